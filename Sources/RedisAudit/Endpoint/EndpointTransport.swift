import RESP

/// What carries a run's commands to an endpoint: one reconnecting connection to a server, or a
/// router over a cluster's primaries when the endpoint is a cluster seed.
enum EndpointTransport: CommandTransport {
    case server(ReconnectingConnection)
    case cluster(ClusterRouter)

    /// Opens the transport the endpoint needs: on a cluster, a connection to every primary at
    /// once, over `topology` when the caller read it already, else over the seed's.
    static func open(to endpoint: Endpoint, options: ConnectionOptions, topology: ClusterTopology? = nil)
        async throws(EndpointError) -> EndpointTransport
    {
        guard endpoint.isCluster else { return .server(try await ReconnectingConnection.open(to: endpoint, options: options)) }
        var router: ClusterRouter
        if let topology {
            router = ClusterRouter(seed: endpoint, options: options, topology: topology, slotOf: ClusterRouter.keySlot)
        } else {
            router = try await ClusterRouter.open(seed: endpoint, options: options)
        }
        do {
            try await router.connectAll()
        } catch {
            await router.close()
            throw error
        }
        return .cluster(router)
    }

    /// Wraps an open connection: a cluster seed's topology is read through it.
    static func wrap(_ connection: RedisConnection) async throws(EndpointError) -> EndpointTransport {
        guard connection.endpoint.isCluster else { return .server(ReconnectingConnection(connection)) }
        let topology = try await ClusterTopology.read(
            from: connection, seedHost: ClusterRouter.seedHost(connection.endpoint))
        return .cluster(
            ClusterRouter(
                seed: connection.endpoint, options: connection.options, topology: topology, slotOf: ClusterRouter.keySlot))
    }

    mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome] {
        switch self {
        case .server(var connection):
            defer { self = .server(connection) }
            return try await connection.send(commands)
        case .cluster(var router):
            defer { self = .cluster(router) }
            return try await router.send(commands)
        }
    }

    mutating func close() async {
        switch self {
        case .server(var connection):
            await connection.close()
            self = .server(connection)
        case .cluster(var router):
            await router.close()
            self = .cluster(router)
        }
    }

    mutating func eachNode<T>(_ body: (inout ReconnectingConnection) async throws -> T) async throws -> [T] {
        switch self {
        case .server(var connection):
            defer { self = .server(connection) }
            return try await connection.eachNode(body)
        case .cluster(var router):
            defer { self = .cluster(router) }
            return try await router.eachNode(body)
        }
    }

    /// Redirections a cluster router followed (none for a server).
    var redirections: ClusterRouter.Redirections {
        if case .cluster(let router) = self { return router.redirections }
        return ClusterRouter.Redirections()
    }

    /// The connections open now: the server's, or one per cluster node used.
    var openConnections: [RedisConnection] {
        switch self {
        case .server(let connection): return connection.current.map { [$0] } ?? []
        case .cluster(let router): return router.openConnections
        }
    }

    /// The cluster's topology, nil for a server.
    var topology: ClusterTopology? {
        if case .cluster(let router) = self { return router.topology }
        return nil
    }
}
