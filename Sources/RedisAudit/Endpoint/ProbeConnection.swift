import RESP

/// A connection for read-only probes that opens again when the host closes it on a command it
/// does not support (twemproxy closes the connection on `INFO`, `HELLO`, `COMMAND`, `CLIENT`),
/// and remembers which commands it closed on.
public final class ProbeConnection {
    public let endpoint: Endpoint
    public let options: ConnectionOptions
    private var connection: RedisConnection?
    /// The labels of the probes the host closed the connection on, in order.
    public private(set) var closedOn: [String] = []

    /// Probes `endpoint` on connections of its own (the caller's connections are never closed by a probe).
    public init(endpoint: Endpoint, options: ConnectionOptions) {
        self.endpoint = endpoint
        self.options = options
    }

    /// Opens the first connection; its failure (unreachable, AUTH refused, ...) is the endpoint's.
    public func start() async throws(EndpointError) {
        if let connection, connection.isActive { return }
        connection = try await RedisConnection.connect(to: endpoint, options: options)
    }

    /// Sends the commands as one batch; when the connection closed under them, `label` is
    /// remembered and the next batch goes on a new connection. Never throws: a connection
    /// that cannot be opened gives every command a transport failure.
    public func send(_ commands: [RESPCommand], label: String) async -> [CommandOutcome] {
        let current: RedisConnection
        if let connection, connection.isActive {
            current = connection
        } else {
            do {
                current = try await RedisConnection.connect(to: endpoint, options: options)
            } catch {
                return commands.map { _ in .failed(.connectionClosed(error.description)) }
            }
            connection = current
        }
        let outcomes = await current.send(commands)
        if outcomes.contains(where: { if case .failed(.connectionClosed) = $0 { return true } else { return false } }) {
            closedOn.append(label)
            await current.close()
            connection = nil
        }
        return outcomes
    }

    /// One command.
    public func send(_ command: RESPCommand, label: String) async -> CommandOutcome {
        await send([command], label: label)[0]
    }

    /// The open connection, opening one if needed (for measurements such as PING round trips).
    public func open() async -> RedisConnection? {
        if let connection, connection.isActive { return connection }
        connection = try? await RedisConnection.connect(to: endpoint, options: options)
        return connection
    }

    /// Closes the connection, if one is open.
    public func close() async {
        await connection?.close()
        connection = nil
    }
}
