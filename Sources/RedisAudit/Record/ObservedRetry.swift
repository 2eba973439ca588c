/// A client seen resending commands after its connection was lost: the same commands, from the
/// same host, at the start of its next connection. Drafted as the scenario's `client:` block.
public struct ObservedRetry: Hashable, Sendable {
    /// What the client resent.
    public enum Resend: String, Hashable, Sendable {
        /// The whole pipeline or transaction, replies already received included.
        case whole
        /// Only the commands that got no reply.
        case unacknowledged
    }

    /// How many times the commands were resent (each after a lost connection).
    public var resends: Int
    public var resend: Resend
    /// The connections that were lost, then the one that carried the last resend (`conn 3`).
    public var connections: [String]
    /// The names of the commands resent.
    public var commands: [String]

    public init(resends: Int, resend: Resend, connections: [String], commands: [String]) {
        self.resends = resends
        self.resend = resend
        self.connections = connections
        self.commands = commands
    }

    /// The `client:` block with comments that say what was seen.
    var clientBlock: [String] {
        let lost = connections.dropLast().joined(separator: ", ")
        return [
            "# The client resent \(commands.joined(separator: ", ")) \(resends == 1 ? "once" : "\(resends) times") after its connection"
                + " was lost (\(lost); resent on \(connections.last ?? "?")): a retrying client.",
            "# The capture shows at least \(resends) retr\(resends == 1 ? "y" : "ies"); give the library's real count"
                + " (or a preset: client: redis-py).",
            "client: { retries: \(resends), on: [connection-lost, timeout], resend: \(resend.rawValue) }",
        ]
    }
}
