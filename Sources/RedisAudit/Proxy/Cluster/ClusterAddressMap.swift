import NIOConcurrencyHelpers

/// Which listener of a proxy in front of a cluster forwards to which node: what the node
/// addresses in the cluster's replies become on their way to the client.
///
/// A node named in a reply that no listener forwards to yet (the cluster changed) gets one,
/// started in the background; until it listens, the reply is rewritten without that node.
final class ClusterAddressMap: Sendable {
    /// The listeners known, those starting, and how to start one.
    private struct State {
        var ports: [Endpoint.Node: Int] = [:]
        var starting: Set<Endpoint.Node> = []
        var stopped = false
        var startListener: (@Sendable (Endpoint.Node) async -> Void)?
    }

    /// The host the listeners listen on: every rewritten address names it.
    let listenHost: String
    /// Where a node that announces no address is reached (the seed's host), as `ClusterTopology` reads it.
    let seedHost: String
    private let state = NIOLockedValueBox(State())

    init(listenHost: String, seedHost: String) {
        self.listenHost = listenHost
        self.seedHost = seedHost
    }

    /// The port of the listener that forwards to `node`, if any.
    func port(for node: Endpoint.Node) -> Int? {
        state.withLockedValue { $0.ports[node] }
    }

    /// Every node with its listener's port.
    var ports: [Endpoint.Node: Int] { state.withLockedValue { $0.ports } }

    /// Records that a listener on `port` forwards to `node`.
    func listening(for node: Endpoint.Node, on port: Int) {
        state.withLockedValue { state in
            state.ports[node] = port
            state.starting.remove(node)
        }
    }

    /// Sets how a listener is started for a node named in a reply.
    func whenUnknown(_ start: @escaping @Sendable (Endpoint.Node) async -> Void) {
        state.withLockedValue { $0.startListener = start }
    }

    /// A reply named `node`, which no listener forwards to: starts one, once, unless stopped.
    func unknown(_ node: Endpoint.Node) {
        let start: (@Sendable (Endpoint.Node) async -> Void)? = state.withLockedValue { state in
            guard !state.stopped, state.startListener != nil, state.ports[node] == nil, !state.starting.contains(node)
            else { return nil }
            state.starting.insert(node)
            return state.startListener
        }
        guard let start else { return }
        Task {
            await start(node)
            // A listener that could not start may be tried again by a later reply.
            state.withLockedValue { _ = $0.starting.remove(node) }
        }
    }

    /// No listener is started any more.
    func stop() {
        state.withLockedValue { state in
            state.stopped = true
            state.startListener = nil
        }
    }

    /// A `host:port` as Redis writes it in `MOVED`, `ASK` and `CLUSTER NODES` (an empty host is the seed's).
    func node(_ address: Substring) -> Endpoint.Node? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            return nil
        }
        let host = address[..<colon]
        return Endpoint.Node(host: host.isEmpty || host == "?" ? seedHost : String(host), port: port)
    }
}
