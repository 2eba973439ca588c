import RESP

/// A connection to one endpoint that is reopened when a transport failure closed it, as a client
/// library's connection pool would: the TCP implementation of `CommandTransport`.
struct ReconnectingConnection: CommandTransport {
    private var connection: RedisConnection?
    private var lastSendFailed = false
    let endpoint: Endpoint
    let options: ConnectionOptions

    init(connection: RedisConnection, endpoint: Endpoint, options: ConnectionOptions) {
        self.connection = connection
        self.endpoint = endpoint
        self.options = options
    }

    /// Wraps an open connection, reopening it with its own endpoint and options.
    init(_ connection: RedisConnection) {
        self.init(connection: connection, endpoint: connection.endpoint, options: connection.options)
    }

    /// Opens the first connection to `endpoint`.
    static func open(to endpoint: Endpoint, options: ConnectionOptions) async throws(EndpointError) -> ReconnectingConnection {
        ReconnectingConnection(
            connection: try await RedisConnection.connect(to: endpoint, options: options), endpoint: endpoint, options: options)
    }

    /// Sends on the current connection, reconnecting first if the last one died or a command
    /// on it got no reply (a timed-out connection is being closed: it must not be reused, as a
    /// client library would not).
    mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome] {
        if connection?.isActive != true || lastSendFailed {
            await connection?.close()
            connection = try await RedisConnection.connect(to: endpoint, options: options)
        }
        let outcomes = await connection!.send(commands)
        lastSendFailed = outcomes.contains { if case .failed = $0 { return true } else { return false } }
        return outcomes
    }

    mutating func close() async {
        await connection?.close()
        connection = nil
    }

    /// One node: this connection's server.
    mutating func eachNode<T>(_ body: (inout ReconnectingConnection) async throws -> T) async throws -> [T] {
        [try await body(&self)]
    }

    /// The connection in use, to be closed by whoever outlives the session.
    var current: RedisConnection? { connection }
}
