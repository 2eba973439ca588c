import NIOCore

/// `timeout`: nothing passes any more, either way; the connection closes later or never (toxiproxy's timeout toxic).
public struct Timeout: Fault {
    public static let kind = "timeout"
    public static let summary =
        "from the targeted command on (it included), pass nothing either way; close after ms (0: never, a black hole)"
    public static let parameters: KeyValuePairs<String, String> = [
        "ms": "when both connections close; 0: they stay open, silent (required)"
    ]
    public static let untargeted = UntargetedFiring.connectionStart

    /// When both connections close; nil: never.
    public var duration: TimeAmount?

    /// A black hole that closes after `duration`, or never when nil.
    public init(duration: TimeAmount?) {
        self.duration = duration
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        let milliseconds = try reader.milliseconds("ms", required: true)
        duration = milliseconds == 0 ? nil : .milliseconds(milliseconds)
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        streams.silence(duration.map { .closingAfter($0) } ?? .untilClosed)
    }
}
