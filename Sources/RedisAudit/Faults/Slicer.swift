import NIOCore

/// `slicer`: the stream arrives in small chunks with a pause between them (toxiproxy's slicer toxic).
public struct Slicer: Fault {
    public static let kind = "slicer"
    public static let summary = "from the targeted command on, cut the stream into chunks of about size bytes, delay_us apart"
    public static let parameters: KeyValuePairs<String, String> = [
        "size": "average chunk size in bytes (required)",
        "variation": "chunk sizes vary by up to this many bytes either way (default 0, less than size)",
        "delay_us": "microseconds between chunks (default 0)",
        "direction": "reply (default) or request",
    ]
    public static let untargeted = UntargetedFiring.connectionStart

    /// Average chunk size in bytes.
    public var size: Int
    /// Largest difference from `size`, either way.
    public var variation: Int
    /// Pause between chunks.
    public var delay: TimeAmount
    /// Which bytes are sliced.
    public var direction: StreamDirection

    /// Chunks of `size` ± `variation` bytes, `delay` apart, in one direction.
    public init(size: Int, variation: Int = 0, delay: TimeAmount = .zero, direction: StreamDirection = .reply) {
        self.size = size
        self.variation = variation
        self.delay = delay
        self.direction = direction
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        size = try reader.count("size", in: 1...1_048_576)
        variation = try reader.count("variation", in: 0...1_048_576, default: 0)
        guard variation < size else { throw FaultRuleError("variation must be less than size") }
        delay = .microseconds(Int64(try reader.count("delay_us", in: 0...60_000_000, default: 0)))
        direction = try StreamDirection(parameter: parameters["direction"])
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        streams.insert(
            Slicing(size: size, variation: variation, delay: delay, random: FaultRandom(seed: random.next())), on: direction)
    }

    /// The stage: chunks of `size` ± `variation` bytes, each `delay` after the previous one.
    public struct Slicing: StreamStage {
        public static let position = 1
        var size: Int
        var variation: Int
        var delay: TimeAmount
        var random: FaultRandom

        public mutating func pass(_ piece: StreamPiece, into output: inout [StreamPiece]) -> Bool {
            var bytes = piece.bytes
            var extra = piece.spacing
            while bytes.readableBytes > 0 {
                let wanted = variation > 0 ? size - variation + Int(random.next() % UInt64(2 * variation + 1)) : size
                let length = min(bytes.readableBytes, wanted)
                output.append(StreamPiece(bytes: bytes.readSlice(length: length)!, spacing: extra + delay))
                extra = .zero
            }
            return false
        }
    }
}
