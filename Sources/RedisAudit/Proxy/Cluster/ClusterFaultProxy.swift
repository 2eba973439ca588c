import NIOCore
import NIOPosix

/// A fault proxy in front of a Redis Cluster: one listener per primary, each forwarding to its
/// node, with the node addresses in replies rewritten to the listeners (`ClusterReplyRewriter`)
/// so cluster clients (`redis-cli -c`, redis-py's `RedisCluster`, `ClusterRouter`) stay behind it.
///
/// ```
///  client ─▶ 127.0.0.1:P0 ─▶ primary A (slots 0-5460)        -MOVED 9000 B  ─▶ -MOVED 9000 127.0.0.1:P1
///  client ─▶ 127.0.0.1:P1 ─▶ primary B (slots 5461-10922)    CLUSTER SLOTS  ─▶ A at P0, B at P1, C at P2
///  client ─▶ 127.0.0.1:P2 ─▶ primary C (slots 10923-16383)
/// ```
///
/// The topology is read once, with the upstream URL's credentials; the first primary in slot
/// order listens on the configured port, the others on free ports. Every session frames its
/// replies, rules or not, so it can rewrite them. A node the cluster names later gets a
/// listener of its own on a free port.
enum ClusterFaultProxy {
    static func start(
        _ configuration: FaultProxyConfiguration, counters: FaultCounters, events: ProxyEventRelay?,
        eventLoopGroup: any EventLoopGroup, ownGroup: MultiThreadedEventLoopGroup?
    ) async throws -> FaultProxy {
        let seedHost = ClusterRouter.seedHost(configuration.upstream)
        let map = ClusterAddressMap(listenHost: configuration.listenHost, seedHost: seedHost)
        let proxy = FaultProxy(counters: counters, cluster: map, ownGroup: ownGroup)
        do {
            let connection = try await RedisConnection.connect(to: configuration.upstream, options: configuration.options)
            let topology: ClusterTopology
            do {
                topology = try await ClusterTopology.read(from: connection, seedHost: seedHost)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
            for (index, shard) in topology.shards.enumerated() {
                try await listen(
                    proxy, for: shard.primary, slots: shard.slots, port: index == 0 ? configuration.listenPort : 0,
                    configuration, events: events, eventLoopGroup: eventLoopGroup)
            }
        } catch {
            await proxy.stop()
            throw error
        }
        map.whenUnknown { [weak proxy] node in
            guard let proxy else { return }
            try? await listen(
                proxy, for: node, slots: [], port: 0, configuration, events: events, eventLoopGroup: eventLoopGroup)
        }
        return proxy
    }

    /// Starts the listener that forwards to `node`.
    private static func listen(
        _ proxy: FaultProxy, for node: Endpoint.Node, slots: [ClosedRange<Int>], port: Int,
        _ configuration: FaultProxyConfiguration, events: ProxyEventRelay?, eventLoopGroup: any EventLoopGroup
    ) async throws {
        guard let map = proxy.cluster else { return }
        var endpoint = configuration.upstream
        endpoint.address = .tcp(host: node.host, port: node.port)
        let upstream = ProxyUpstream(
            endpoint: endpoint, connector: try EndpointConnector(endpoint: endpoint, options: configuration.options),
            // Always framed: replies are rewritten.
            counters: proxy.counters, sentinelOptions: configuration.options, commandTimeout: configuration.commandTimeout,
            maxFrameBytes: configuration.options.replyLimits.maxReplyBytes, cluster: map, events: events,
            recorder: configuration.recorder)
        let bound = try await proxy.listen(
            host: configuration.listenHost, port: port, upstream: upstream, eventLoopGroup: eventLoopGroup, node: node,
            slots: slots)
        map.listening(for: node, on: bound)
    }
}

/// One listener of a proxy in front of a cluster: the node it forwards to, and the slots that
/// node served when the listener started (none for a node the cluster named later).
public struct ClusterNodeListener: Sendable, Hashable {
    public var node: Endpoint.Node
    public var port: Int
    public var slots: [ClosedRange<Int>]
}

extension FaultProxy {
    /// In front of a cluster, each node's listener in the order they started (the primaries in
    /// slot order, then nodes the cluster named later); empty in front of one server.
    public var nodeListeners: [ClusterNodeListener] {
        listeners.compactMap { front in
            front.node.map { ClusterNodeListener(node: $0, port: front.listener.port, slots: front.slots) }
        }
    }

    /// In front of a cluster, the port of each node's listener; empty in front of one server.
    public var listenerPorts: [Endpoint.Node: Int] { cluster?.ports ?? [:] }
}
