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

    public func effect(random: inout FaultRandom) -> FaultEffect {
        .stream(.slicer(size: size, variation: variation, delay: delay, seed: random.next(), direction: direction))
    }
}
