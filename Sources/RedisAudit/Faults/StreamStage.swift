import NIOCore

/// One step a stream fault inserts into the bytes toward one side, as toxiproxy's toxics sit
/// in its pipe: it cuts, spaces or ends the pieces that pass.
public protocol StreamStage: Sendable {
    /// Where the stage sits among others on the same stream: lower first.
    static var position: Int { get }
    /// Passes one piece on as zero or more pieces into `output`; returns true when the stream
    /// must close once they are out.
    mutating func pass(_ piece: StreamPiece, into output: inout [StreamPiece]) -> Bool
    /// Takes over from an earlier stage of the same kind on the same stream (default: the
    /// later one replaces it as it is).
    mutating func takeOver(from earlier: Self)
}

extension StreamStage {
    public mutating func takeOver(from earlier: Self) {}
}

/// A piece of a byte stream and how long after the previous piece it goes out.
public struct StreamPiece: Sendable {
    /// The bytes.
    public var bytes: ByteBuffer
    /// The pause before it, after the previous piece.
    public var spacing: TimeAmount

    public init(bytes: ByteBuffer, spacing: TimeAmount) {
        self.bytes = bytes
        self.spacing = spacing
    }
}
