/// `kill-before`: close both sides before the command reaches the server; it never runs.
public struct KillBefore: Fault {
    public static let kind = "kill-before"
    public static let summary = "close the client and server connections before the command reaches the server"
    public static let parameters: KeyValuePairs<String, String> = [:]

    public init() {}

    public init(parameters: [String: String]) throws(FaultRuleError) {}

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) { streams.killBefore(reset: false) }
}
