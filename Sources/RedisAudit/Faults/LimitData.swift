import NIOCore

/// `limit-data`: the connection closes once a number of bytes has passed (toxiproxy's limit_data toxic).
public struct LimitData: Fault {
    public static let kind = "limit-data"
    public static let summary = "from the targeted command on, close both connections once bytes bytes have passed"
    public static let parameters: KeyValuePairs<String, String> = [
        "bytes": "how many bytes pass before the close (required)",
        "direction": "reply (default) or request",
    ]
    public static let untargeted = UntargetedFiring.connectionStart

    /// How many bytes pass.
    public var bytes: Int
    /// Which bytes are counted.
    public var direction: StreamDirection

    /// A close after `bytes` bytes in one direction.
    public init(bytes: Int, direction: StreamDirection = .reply) {
        self.bytes = bytes
        self.direction = direction
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        bytes = try reader.count("bytes", in: 0...Int(Int32.max))
        direction = try StreamDirection(parameter: parameters["direction"])
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        streams.insert(Limit(remaining: bytes), on: direction)
    }

    /// The stage: lets `remaining` bytes through, then asks for the close.
    public struct Limit: StreamStage {
        public static let position = 0
        /// Bytes still let through before the connection closes.
        public var remaining: Int

        public mutating func pass(_ piece: StreamPiece, into output: inout [StreamPiece]) -> Bool {
            guard piece.bytes.readableBytes >= remaining else {
                remaining -= piece.bytes.readableBytes
                output.append(piece)
                return false
            }
            if remaining > 0 {
                output.append(
                    StreamPiece(
                        bytes: piece.bytes.getSlice(at: piece.bytes.readerIndex, length: remaining)!, spacing: piece.spacing))
            }
            remaining = 0
            return true
        }

        /// A second limit on the same stream: the tighter one holds.
        public mutating func takeOver(from earlier: Limit) {
            remaining = min(remaining, earlier.remaining)
        }
    }
}
