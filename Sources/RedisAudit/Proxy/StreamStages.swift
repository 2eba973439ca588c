import NIOCore

/// The stream faults' stages on the bytes toward one channel, in their positions.
///
/// ```
///  bytes ─▶ stage (position 0) ─▶ stage (position 1) ─▶ ... ─▶ spaced pieces [, then close]
/// ```
struct StreamStages {
    private var stages: [any StreamStage] = []

    /// True once a stage applies: bytes then go through `cut`.
    var isActive: Bool { !stages.isEmpty }

    /// Adds a stage; one of a kind already there hands over to it.
    mutating func add(_ stage: any StreamStage) {
        if let index = stages.firstIndex(where: { type(of: $0) == type(of: stage) }) {
            stages[index] = Self.handOver(from: stages[index], to: stage)
        } else {
            stages.append(stage)
            stages.sort { type(of: $0).position < type(of: $1).position }
        }
    }

    private static func handOver<Stage: StreamStage>(from earlier: any StreamStage, to later: Stage) -> any StreamStage {
        var later = later
        if let earlier = earlier as? Stage { later.takeOver(from: earlier) }
        return later
    }

    /// Cuts `bytes` into spaced pieces; `closeAfter` when a stage asks for the close once they are out.
    mutating func cut(_ bytes: ByteBuffer) -> (pieces: [StreamPiece], closeAfter: Bool) {
        var pieces = [StreamPiece(bytes: bytes, spacing: .zero)]
        var closeAfter = false
        for index in stages.indices {
            var output: [StreamPiece] = []
            for piece in pieces {
                // What comes after the stage asked for the close never passes it.
                if stages[index].pass(piece, into: &output) {
                    closeAfter = true
                    break
                }
            }
            pieces = output
        }
        return (pieces, closeAfter)
    }
}
