import NIOCore

/// The stream toxics on the bytes toward one channel: a rate, slices and a byte limit.
///
/// ```
///  bytes ─▶ limit (truncate, then close) ─▶ pieces (slicer size ± variation, or 10 ms of rate)
///        ─▶ each piece spaced after the previous one by delay + its size / rate
/// ```
struct StreamShaping {
    /// A piece of the stream and how long after the previous piece it goes out.
    struct Piece {
        var bytes: ByteBuffer
        var spacing: TimeAmount
    }

    private var bytesPerSecond: Int?
    private var slicer: (size: Int, variation: Int, delay: TimeAmount)?
    private var random = FaultRandom(seed: 0)
    /// Bytes still let through before the connection closes; nil: no limit.
    private var remaining: Int?

    /// True once any toxic applies: bytes then go through `cut`.
    var isActive: Bool { bytesPerSecond != nil || slicer != nil || remaining != nil }

    /// Adds a toxic that acts on this direction (a later one of the same kind replaces it).
    mutating func add(_ toxic: StreamToxic) {
        switch toxic {
        case .bandwidth(let rate, _):
            bytesPerSecond = rate
        case .slicer(let size, let variation, let delay, let seed, _):
            slicer = (size, variation, delay)
            random = FaultRandom(seed: seed)
        case .limitData(let bytes, _):
            remaining = min(bytes, remaining ?? bytes)
        case .timeout, .slowClose:
            break
        }
    }

    /// Cuts `bytes` into spaced pieces; `limitReached` when the byte limit is used up with them.
    mutating func cut(_ bytes: ByteBuffer) -> (pieces: [Piece], limitReached: Bool) {
        var bytes = bytes
        var limitReached = false
        if let remaining {
            if bytes.readableBytes >= remaining {
                bytes = bytes.getSlice(at: bytes.readerIndex, length: remaining)!
                limitReached = true
            }
            self.remaining = remaining - bytes.readableBytes
        }
        var pieces: [Piece] = []
        while bytes.readableBytes > 0 {
            let length = min(bytes.readableBytes, nextPieceLength())
            let piece = bytes.readSlice(length: length)!
            var spacing = slicer?.delay ?? .zero
            if let bytesPerSecond {
                spacing = spacing + .nanoseconds(Int64(length) * 1_000_000_000 / Int64(bytesPerSecond))
            }
            pieces.append(Piece(bytes: piece, spacing: spacing))
        }
        return (pieces, limitReached)
    }

    private mutating func nextPieceLength() -> Int {
        if let slicer {
            guard slicer.variation > 0 else { return slicer.size }
            return slicer.size - slicer.variation + Int(random.next() % UInt64(2 * slicer.variation + 1))
        }
        if let bytesPerSecond { return max(1, bytesPerSecond / 100) }
        return Int.max
    }
}
