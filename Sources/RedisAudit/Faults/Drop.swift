import RESP

/// `drop`: the command never reaches the server; the client gets a fake reply, an error, or nothing.
public struct Drop: Fault {
    public static let kind = "drop"
    public static let summary = "swallow the command; answer with reply= in its place, or never answer"
    public static let parameters: KeyValuePairs<String, String> = [
        "reply": "the reply sent instead: :1 or +OK (a silent loss), -ERR lost (a visible loss), nil; none: the client waits"
    ]

    /// What the client gets instead of the server's reply; nil: nothing.
    public var reply: RESPValue?

    /// A drop answered with `reply` (any value, arrays included), or never answered when nil.
    public init(reply: RESPValue?) {
        self.reply = reply
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        reply = parameters["reply"].map { RESPValue(shortForm: $0) }
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) { streams.answer(reply) }
}
