import NIOCore

/// `slow-close`: when one side closes, the other is closed only a while later (toxiproxy's slow_close toxic).
public struct SlowClose: Fault {
    public static let kind = "slow-close"
    public static let summary = "from the targeted command on, when either side closes, close the other only ms later"
    public static let parameters: KeyValuePairs<String, String> = [
        "ms": "how long the other side stays open (required)"
    ]
    public static let untargeted = UntargetedFiring.connectionStart

    /// How long the other side stays open.
    public var duration: TimeAmount

    /// A close passed on `duration` late.
    public init(duration: TimeAmount) {
        self.duration = duration
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        duration = .milliseconds(try reader.milliseconds("ms", required: true))
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) { streams.closeSlowly(after: duration) }
}
