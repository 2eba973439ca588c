/// The commands one client sent in one burst: a request of the application, as the capture
/// shows it. A client's commands split into flows where it was idle for longer than the gap.
public struct CapturedFlow: Hashable, Sendable {
    /// The client's address.
    public var client: String
    /// The commands, in order, without the connection's set-up.
    public var commands: [CapturedCommand]

    public init(client: String, commands: [CapturedCommand]) {
        self.client = client
        self.commands = commands
    }

    /// The default idle time that ends a flow, in seconds.
    public static let defaultGap = 1.0

    /// Commands that set a connection up rather than serve a request (`HELLO`, `AUTH`,
    /// `CLIENT SETNAME`, `SELECT`, `PING`, a cluster client's `CLUSTER SLOTS`, ...): no flow has them.
    public static let connectionSetup: Set<String> = [
        "HELLO", "AUTH", "CLIENT", "SELECT", "PING", "COMMAND", "READONLY", "READWRITE", "ASKING", "QUIT", "RESET",
        "ECHO", "CLUSTER",
    ]

    /// Splits commands into flows: per client (only `clients` when it is not empty), then where
    /// a client was idle for more than `gap` seconds, never inside a MULTI ... EXEC. Flows come
    /// in the order of their first command.
    public static func split(_ commands: [CapturedCommand], clients: Set<String> = [], gap: Double = defaultGap)
        -> [CapturedFlow]
    {
        var flows: [CapturedFlow] = []
        var open: [String: Int] = [:]  // client -> index of its current flow in `flows`
        var inTransaction: Set<String> = []
        for command in commands {
            guard clients.isEmpty || clients.contains(command.client) else { continue }
            let name = command.name
            if connectionSetup.contains(name) { continue }
            if let index = open[command.client], let last = flows[index].commands.last,
                inTransaction.contains(command.client) || command.time - last.time <= gap
            {
                flows[index].commands.append(command)
            } else {
                open[command.client] = flows.count
                flows.append(CapturedFlow(client: command.client, commands: [command]))
            }
            switch name {
            case "MULTI": inTransaction.insert(command.client)
            case "EXEC", "DISCARD": inTransaction.remove(command.client)
            default: break
            }
        }
        return flows
    }
}
