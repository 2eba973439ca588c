import NIOCore

/// `delay`: hold the targeted command's reply (a slow read) or the command itself (a slow write).
public struct Delay: Fault {
    public static let kind = "delay"
    public static let summary = "hold the reply (or, with direction=request, the command) for ms milliseconds"
    public static let parameters: KeyValuePairs<String, String> = [
        "ms": "how long to hold it (required)",
        "direction": "reply (default) or request",
    ]

    /// How long to hold.
    public var duration: TimeAmount
    /// True to hold the command on its way to the server.
    public var holdsRequest: Bool

    /// A delay of `duration` on the reply, or on the command itself when `holdsRequest`.
    public init(duration: TimeAmount, holdsRequest: Bool) {
        self.duration = duration
        self.holdsRequest = holdsRequest
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        duration = .milliseconds(try reader.milliseconds("ms", required: true))
        switch parameters["direction"] ?? "reply" {
        case "reply": holdsRequest = false
        case "request": holdsRequest = true
        case let other: throw FaultRuleError("direction must be reply or request (got '\(other)')")
        }
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        if holdsRequest { streams.holdRequest(for: duration) } else { streams.holdReply(for: duration) }
    }
}
