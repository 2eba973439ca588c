import NIOCore
@testable import RedisAudit

/// Fires one fault outside any proxy: what it asks of a connection's streams, and what a
/// stream stage does to bytes.
enum FaultFiring {
    /// Streams nothing fired on yet.
    static var blank: FaultStreams { FaultStreams() }

    /// The streams after the fault of `rule` fired once on a command.
    static func streams(_ rule: String, seed: UInt64 = 1) throws -> FaultStreams {
        var streams = FaultStreams()
        var random = FaultRandom(seed: seed)
        try FaultRule.parse(rule).fault.fire(on: &streams, random: &random)
        return streams
    }

    /// The pieces one stream of stages cuts `text` into, and whether it then asks for the close.
    static func cut(_ text: String, through stages: [any StreamStage]) -> (
        pieces: [String], spacings: [TimeAmount], closeAfter: Bool
    ) {
        var chain = StreamStages()
        for stage in stages { chain.add(stage) }
        let cut = chain.cut(ByteBuffer(string: text))
        return (cut.pieces.map { String(buffer: $0.bytes) }, cut.pieces.map(\.spacing), cut.closeAfter)
    }
}
