/// `reset`: like a kill, but both connections end with a TCP RST (SO_LINGER 0).
public struct Reset: Fault {
    public static let kind = "reset"
    public static let summary = "like kill-before (or kill-after with when=after), but the connections end with a TCP RST"
    public static let parameters: KeyValuePairs<String, String> = [
        "when": "before (default: the command never reaches the server) or after (it runs, its reply is lost)"
    ]

    /// True when the command is forwarded and the reset replaces its reply.
    public var afterCommand: Bool

    /// A reset before the command runs, or after it when `afterCommand`.
    public init(afterCommand: Bool = false) {
        self.afterCommand = afterCommand
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        switch parameters["when"] ?? "before" {
        case "before": afterCommand = false
        case "after": afterCommand = true
        case let other: throw FaultRuleError("when must be before or after (got '\(other)')")
        }
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        if afterCommand { streams.killAfter(reset: true) } else { streams.killBefore(reset: true) }
    }
}
