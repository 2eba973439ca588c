import RESP

/// A `CommandTransport` for a cluster: each command goes to the primary that serves its key's
/// slot, a batch is split per node and its outcomes put back in order, a transaction goes whole
/// to the node of its first key (as a client library sends it, so the host's own CROSSSLOT is
/// what the application would see), `MOVED` refreshes the map and retries, `ASK` sends `ASKING`
/// and the command to the target without changing the map, and `TRYAGAIN` or `CLUSTERDOWN` is
/// retried a few times. Every redirection followed is counted.
struct ClusterRouter: CommandTransport {
    typealias Redirections = ClusterRedirections

    let seed: Endpoint
    let options: ConnectionOptions
    /// The slot of a command's first key; nil for a command without keys (sent to any primary).
    let slotOf: @Sendable (RESPCommand) -> Int?
    private(set) var topology: ClusterTopology
    private(set) var redirections = Redirections()
    private var connections: [ClusterTopology.Node: ReconnectingConnection] = [:]

    /// How often one command follows a redirection or retries before its last answer stands.
    static let maxRedirections = 5

    init(seed: Endpoint, options: ConnectionOptions, topology: ClusterTopology, slotOf: @escaping @Sendable (RESPCommand) -> Int?)
    {
        self.seed = seed
        self.options = options
        self.topology = topology
        self.slotOf = slotOf
    }

    /// Reads the topology from the seed and opens nothing else until a command needs it.
    static func open(
        seed: Endpoint, options: ConnectionOptions, slotOf: @escaping @Sendable (RESPCommand) -> Int? = ClusterRouter.keySlot
    )
        async throws(EndpointError) -> ClusterRouter
    {
        let topology = try await ClusterTopology.read(seed: seed, options: options)
        return ClusterRouter(seed: seed, options: options, topology: topology, slotOf: slotOf)
    }

    mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome] {
        guard !commands.isEmpty else { return [] }
        // A transaction stays on one connection, that of its first key.
        if commands.first?.name == "MULTI" {
            // The node's answers inside a transaction (MOVED or CROSSSLOT for a key of another
            // slot, then EXECABORT) are what the application gets: following a redirection
            // would run that command outside the transaction.
            let slot = commands.lazy.compactMap(slotOf).first
            return try await sendWhole(commands, slot: slot)
        }
        var outcomes = [CommandOutcome?](repeating: nil, count: commands.count)
        var groups: [ClusterTopology.Node: [Int]] = [:]
        var order: [ClusterTopology.Node] = []
        for (i, command) in commands.enumerated() {
            let node = self.node(for: slotOf(command))
            if groups[node] == nil { order.append(node) }
            groups[node, default: []].append(i)
        }
        for node in order {
            let positions = groups[node]!
            let replies = try await send(positions.map { commands[$0] }, to: node)
            for (position, outcome) in zip(positions, replies) { outcomes[position] = outcome }
        }
        for (i, outcome) in outcomes.enumerated() {
            if case .reply(.error(let message)) = outcome, Self.isRedirection(message) {
                outcomes[i] = try await follow(commands[i], answer: message)
            }
        }
        return outcomes.map { $0! }
    }

    /// Each primary in slot order, on its own connection.
    mutating func eachNode<T>(_ body: (inout ReconnectingConnection) async throws -> T) async throws -> [T] {
        var results: [T] = []
        for node in topology.shards.map(\.primary) {
            try await openConnection(to: node)
            results.append(try await body(&connections[node]!))
        }
        return results
    }

    /// The slot of a command's first key, located by the command table (nil for a command
    /// without keys, and for the patterns of `KEYS` and `SCAN`).
    @Sendable static func keySlot(_ command: RESPCommand) -> Int? {
        let arguments = command.arguments
        guard arguments.count > 1 else { return nil }
        let words = arguments.prefix(2).map { String(decoding: $0, as: UTF8.self) }
        guard case .supported(let spec) = CommandTable.lookup(words) else {
            // A command learned from the server (not in the table): in a replay every key is in
            // the run namespace, so its first namespaced argument is its key.
            let root = Array(Namespace.root.utf8)
            return arguments.dropFirst().first { $0.starts(with: root) }.map { HashSlot.of($0) }
        }
        switch spec.keys {
        case .none, .pattern, .scanMatch: return nil
        case .range(let first, _, _) where first < arguments.count: return HashSlot.of(arguments[first])
        default:
            let text = arguments.map { String(decoding: $0, as: UTF8.self) }
            guard let first = try? CommandTable.keyPositions(of: spec, in: text).first else { return nil }
            return HashSlot.of(arguments[first])
        }
    }

    /// Takes an open connection to one of the primaries as that node's connection (a
    /// connection to a node that is not a primary is closed by whoever opened it).
    mutating func adopt(_ connection: RedisConnection) -> Bool {
        guard case .tcp(let host, let port) = connection.endpoint.address,
            let node = topology.shards.map(\.primary).first(where: { $0.port == port && $0.host == host }),
            connections[node] == nil
        else { return false }
        connections[node] = ReconnectingConnection(connection)
        return true
    }

    /// Opens a connection to every primary not connected yet, all at once, so a later command
    /// does not pay for a handshake (a race's clients must all be ready before it starts, and a
    /// scenario's first command on each node would otherwise wait for one).
    mutating func connectAll() async throws(EndpointError) {
        try await connect(to: topology.shards.map(\.primary))
    }

    /// Opens a connection to each of `nodes` not connected yet, all at once.
    mutating func connect(to nodes: [ClusterTopology.Node]) async throws(EndpointError) {
        let missing = nodes.filter { connections[$0] == nil }
        guard !missing.isEmpty else { return }
        let opened = await Self.open(missing.map { ($0, endpoint($0)) }, options: options)
        var failure: EndpointError?
        for (node, result) in opened {
            switch result {
            case .success(let connection): connections[node] = connection
            case .failure(let error): failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// Opens a connection to each node at once, each with its outcome.
    private static func open(_ nodes: [(ClusterTopology.Node, Endpoint)], options: ConnectionOptions) async
        -> [(ClusterTopology.Node, Result<ReconnectingConnection, EndpointError>)]
    {
        let opened = await withTaskGroup(of: (Int, Result<RedisConnection, EndpointError>).self) { group in
            for (index, (_, endpoint)) in nodes.enumerated() {
                group.addTask {
                    do throws(EndpointError) {
                        return (index, .success(try await RedisConnection.connect(to: endpoint, options: options)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results: [(Int, Result<RedisConnection, EndpointError>)] = []
            for await result in group { results.append(result) }
            return results
        }
        return opened.map { index, result in
            (nodes[index].0, result.map { ReconnectingConnection(connection: $0, endpoint: nodes[index].1, options: options) })
        }
    }

    /// The connections open now, one per node used.
    var openConnections: [RedisConnection] { connections.values.compactMap(\.current) }

    mutating func close() async {
        for node in Array(connections.keys) { await connections[node]?.close() }
        connections = [:]
    }

    /// The node serving `slot`; a command without a key goes to the first primary.
    private func node(for slot: Int?) -> ClusterTopology.Node {
        if let slot, let primary = topology.primary(forSlot: slot) { return primary }
        if let primary = topology.shards.first?.primary { return primary }
        if case .tcp(let host, let port) = seed.address { return ClusterTopology.Node(host: host, port: port) }
        return ClusterTopology.Node(host: "127.0.0.1", port: 6379)
    }

    /// Sends on the connection to a node, opened on first use with the seed's TLS, credentials
    /// and options, and reopened as `ReconnectingConnection` does.
    private mutating func send(_ commands: [RESPCommand], to node: ClusterTopology.Node) async throws(EndpointError)
        -> [CommandOutcome]
    {
        try await openConnection(to: node)
        return try await connections[node]!.send(commands)
    }

    /// Opens the connection to a node, with the seed's TLS, credentials and options, unless it is open.
    private mutating func openConnection(to node: ClusterTopology.Node) async throws(EndpointError) {
        if connections[node] == nil {
            connections[node] = try await ReconnectingConnection.open(to: endpoint(node), options: options)
        }
    }

    private mutating func sendWhole(_ commands: [RESPCommand], slot: Int?) async throws(EndpointError) -> [CommandOutcome] {
        try await send(commands, to: node(for: slot))
    }

    /// Follows `MOVED`, `ASK`, `TRYAGAIN` and `CLUSTERDOWN` for one command, a bounded number of times.
    private mutating func follow(_ command: RESPCommand, answer first: String) async throws(EndpointError) -> CommandOutcome {
        var answer = first
        for _ in 0..<Self.maxRedirections {
            let words = answer.split(separator: " ")
            switch words.first {
            case "MOVED":
                redirections.moved += 1
                try await refresh()
                let target = Self.node(words.last, seedHost: Self.seedHost(seed)) ?? node(for: slotOf(command))
                let outcome = try await send([command], to: target)[0]
                guard case .reply(.error(let message)) = outcome, Self.isRedirection(message) else { return outcome }
                answer = message
            case "ASK":
                redirections.ask += 1
                guard let target = Self.node(words.last, seedHost: Self.seedHost(seed)) else { return .reply(.error(answer)) }
                let outcomes = try await send([RESPCommand("ASKING"), command], to: target)
                guard case .reply(.error(let message)) = outcomes[1], Self.isRedirection(message) else { return outcomes[1] }
                answer = message
            default:
                // TRYAGAIN (keys of a multi-key command split by a migration) or CLUSTERDOWN.
                redirections.retried += 1
                try? await Task.sleep(for: .milliseconds(50))
                let outcome = try await send([command], to: node(for: slotOf(command)))[0]
                guard case .reply(.error(let message)) = outcome, Self.isRedirection(message) else { return outcome }
                answer = message
            }
        }
        return .reply(.error(answer))
    }

    /// Reads the topology again from any primary that answers.
    private mutating func refresh() async throws(EndpointError) {
        let candidates = topology.shards.map(\.primary)
        for node in candidates {
            guard let connection = try? await RedisConnection.connect(to: endpoint(node), options: options) else { continue }
            let fresh = try? await ClusterTopology.read(from: connection, seedHost: Self.seedHost(seed))
            await connection.close()
            if let fresh {
                topology = fresh
                return
            }
        }
    }

    /// The seed endpoint pointed at a node.
    func endpoint(_ node: ClusterTopology.Node) -> Endpoint { DataNodes.node(seed, node) }

    /// The seed's host, where a node that announces no address is reached.
    static func seedHost(_ seed: Endpoint) -> String {
        if case .tcp(let host, _) = seed.address { return host }
        return "127.0.0.1"
    }

    static func isRedirection(_ message: String) -> Bool {
        message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") || message.hasPrefix("TRYAGAIN")
            || message.hasPrefix("CLUSTERDOWN")
    }

    /// `host:port` of a redirection (an empty host is the seed's).
    static func node(_ text: Substring?, seedHost: String) -> ClusterTopology.Node? {
        guard let text, let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        let host = String(text[..<colon])
        return ClusterTopology.Node(host: host.isEmpty ? seedHost : host, port: port)
    }
}

/// Redirections a cluster's connections followed.
public struct ClusterRedirections: Sendable, Hashable {
    public var moved = 0
    public var ask = 0
    public var retried = 0

    public var total: Int { moved + ask + retried }

    static func + (lhs: ClusterRedirections, rhs: ClusterRedirections) -> ClusterRedirections {
        ClusterRedirections(moved: lhs.moved + rhs.moved, ask: lhs.ask + rhs.ask, retried: lhs.retried + rhs.retried)
    }

    /// `3 MOVED, 1 ASK, 0 TRYAGAIN/CLUSTERDOWN retries`.
    public var summary: String { "\(moved) MOVED, \(ask) ASK, \(retried) TRYAGAIN/CLUSTERDOWN retr\(retried == 1 ? "y" : "ies")" }
}
