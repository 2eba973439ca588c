/// `kill-after`: the server runs the command, the client never gets its reply (the ambiguous case).
public struct KillAfter: Fault {
    public static let kind = "kill-after"
    public static let summary = "forward the command, then close both connections before its reply reaches the client"
    public static let parameters: KeyValuePairs<String, String> = [:]

    public init() {}

    public init(parameters: [String: String]) throws(FaultRuleError) {}

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) { streams.killAfter(reset: false) }
}
