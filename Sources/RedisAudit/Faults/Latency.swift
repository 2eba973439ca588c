import NIOCore

/// `latency`: every targeted reply arrives ms ± jitter milliseconds late (toxiproxy's latency toxic).
public struct Latency: Fault {
    public static let kind = "latency"
    public static let summary = "add ms milliseconds, plus or minus up to jitter, to every targeted reply"
    public static let parameters: KeyValuePairs<String, String> = [
        "ms": "added latency (required)",
        "jitter": "up to this many milliseconds more or less, uniformly (default 0)",
    ]

    /// The added latency in milliseconds.
    public var milliseconds: Int64
    /// The spread either side, in milliseconds.
    public var jitter: Int64

    /// A latency of `milliseconds`, plus or minus up to `jitter`.
    public init(milliseconds: Int64, jitter: Int64 = 0) {
        self.milliseconds = milliseconds
        self.jitter = jitter
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        milliseconds = try reader.milliseconds("ms", required: true)
        jitter = try reader.milliseconds("jitter", required: false)
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        guard jitter > 0 else { return streams.holdReply(for: .milliseconds(milliseconds)) }
        let offset = Int64(random.next() % UInt64(2 * jitter + 1)) - jitter
        streams.holdReply(for: .milliseconds(max(0, milliseconds + offset)))
    }
}
