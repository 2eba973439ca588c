import RESP

/// What carries a run's commands to an endpoint: one reconnecting connection to a server, or a
/// router over a cluster's primaries when the endpoint is a cluster seed.
///
/// Exactly one of the two is held; each is mutated in place, so a send never copies the
/// router's connections.
struct EndpointTransport: CommandTransport {
    private var connection: ReconnectingConnection?
    private var router: ClusterRouter?

    /// A server's reconnecting connection.
    static func server(_ connection: ReconnectingConnection) -> EndpointTransport {
        EndpointTransport(connection: connection, router: nil)
    }

    /// A cluster's router.
    static func cluster(_ router: ClusterRouter) -> EndpointTransport {
        EndpointTransport(connection: nil, router: router)
    }

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
        if router != nil { return try await router!.send(commands) }
        return try await connection!.send(commands)
    }

    mutating func close() async {
        if router != nil { await router!.close() } else { await connection?.close() }
    }

    mutating func eachNode<T>(_ body: (inout ReconnectingConnection) async throws -> T) async throws -> [T] {
        if router != nil { return try await router!.eachNode(body) }
        return try await connection!.eachNode(body)
    }

    /// Redirections a cluster router followed (none for a server).
    var redirections: ClusterRedirections { router?.redirections ?? ClusterRedirections() }

    /// The connections open now: the server's, or one per cluster node used.
    var openConnections: [RedisConnection] {
        if let router { return router.openConnections }
        return connection?.current.map { [$0] } ?? []
    }

    /// The cluster's topology, nil for a server.
    var topology: ClusterTopology? { router?.topology }
}
