import NIOCore
import Testing
@testable import RedisAudit

@Suite("bandwidth")
struct BandwidthTests {
    @Test func pacesTheReplyStreamByDefault() throws {
        let streams = try FaultFiring.streams("bandwidth:rate=64")
        #expect(streams.replyStages.count == 1 && streams.requestStages.isEmpty)
        #expect((streams.replyStages.first as? Bandwidth.Pacing)?.bytesPerSecond == 64_000)
        #expect(try FaultFiring.streams("bandwidth:rate=64,direction=request").requestStages.count == 1)
    }

    @Test func spacesPiecesBySizeOverRate() {
        let cut = FaultFiring.cut(String(repeating: "x", count: 25), through: [Bandwidth.Pacing(bytesPerSecond: 1000)])
        // 10 ms of a 1000 B/s stream: 10-byte pieces, 10 ms apart.
        #expect(cut.pieces.map(\.count) == [10, 10, 5])
        #expect(cut.spacings == [.milliseconds(10), .milliseconds(10), .milliseconds(5)])
        #expect(!cut.closeAfter)
    }

    @Test(arguments: ["bandwidth", "bandwidth:rate=0", "bandwidth:rate=10,direction=up"])
    func badParametersAreRefused(rule: String) {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse(rule) }
    }
}
