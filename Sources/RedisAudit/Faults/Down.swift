import NIOCore

/// `down`: the server seems to restart: every connection of the proxy closes, new ones are refused for a while.
public struct Down: Fault {
    public static let kind = "down"
    public static let summary =
        "close every connection of the proxy and refuse new ones for ms milliseconds (a restart seen from the client)"
    public static let parameters: KeyValuePairs<String, String> = [
        "ms": "how long new connections are refused (required)"
    ]
    /// Untargeted, it fires once, on the run's first command: not again on every reconnection.
    public static let untargeted = UntargetedFiring.firstCommandOfRun

    /// How long the proxy refuses connections.
    public var duration: TimeAmount

    /// A restart that keeps the proxy refusing connections for `duration`.
    public init(duration: TimeAmount) {
        self.duration = duration
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        duration = .milliseconds(try reader.milliseconds("ms", required: true))
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) { streams.restartServer(for: duration) }
}
