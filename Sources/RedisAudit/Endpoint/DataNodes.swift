/// The servers that hold an endpoint's data, as endpoints of their own with the same TLS,
/// credentials and options: the server itself, or each primary of a cluster. What a cluster
/// keeps per node (ACL users, leftovers to find) is done on each of them.
enum DataNodes {
    /// The endpoint itself, or each primary of its cluster in slot order.
    static func of(_ endpoint: Endpoint, options: ConnectionOptions) async throws(EndpointError) -> [Endpoint] {
        guard endpoint.isCluster else { return [endpoint] }
        return try await ClusterTopology.read(seed: endpoint, options: options).shards.map { node(endpoint, $0.primary) }
    }

    /// The cluster seed pointed at one of its nodes (no longer a seed: it is used on its own).
    static func node(_ seed: Endpoint, _ node: Endpoint.Node) -> Endpoint {
        var endpoint = seed
        endpoint.address = .tcp(host: node.host, port: node.port)
        endpoint.isCluster = false
        return endpoint
    }
}
