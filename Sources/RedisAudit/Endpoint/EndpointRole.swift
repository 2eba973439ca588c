import RESP

/// What kind of server answers at an endpoint.
public enum EndpointKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// A standalone primary: the only kind every subcommand can use as it is.
    case primary
    /// A read-only replica (`INFO replication` role:slave, `HELLO` role replica).
    case replica
    /// A Sentinel (`redis_mode:sentinel`, `HELLO` mode sentinel).
    case sentinel
    /// A Redis Cluster node (`cluster_enabled:1`, `HELLO` mode cluster).
    case clusterNode = "cluster-node"
    /// A proxy in front of servers (twemproxy, envoy and the like): `INFO` refused or the connection closed on it.
    case proxy
    /// The host would not say.
    case unknown

    /// The kind as the profile table shows it.
    public var label: String {
        switch self {
        case .primary: return "primary"
        case .replica: return "replica (read-only)"
        case .sentinel: return "Sentinel"
        case .clusterNode: return "cluster node"
        case .proxy: return "proxy"
        case .unknown: return "unknown"
        }
    }
}

/// What an endpoint said about itself: its kind, engine and version, and where to point instead.
public struct EndpointRole: Sendable, Hashable {
    public var kind: EndpointKind = .unknown
    /// Redis, Valkey, ... from `INFO server`, else from `HELLO`; "unknown" when neither answered.
    public var engine = "unknown"
    public var version = "unknown"
    /// A replica's primary, from `INFO replication` or `ROLE`.
    public var primary: Endpoint.Node?
    /// `cluster_enabled` from `INFO cluster`, when the host answered it.
    public var clusterEnabled: String?
    /// `cluster_state` and `cluster_slots_assigned` from `CLUSTER INFO`, for a cluster node.
    public var clusterState: String?
    public var clusterSlotsAssigned: Int?
    /// The master names a Sentinel watches (`SENTINEL MASTERS`).
    public var watchedMasters: [String] = []
    /// What the host refused to say (`INFO server`, `HELLO`, ...).
    public var refused: [String] = []

    public init() {}

    /// Reads the role with `INFO server/replication/cluster`, falling back to `HELLO` (no
    /// protocol argument: the connection stays RESP2) and `ROLE` when `INFO` is refused.
    public static func probe(_ probe: ProbeConnection) async -> EndpointRole {
        var role = EndpointRole()
        let infos = await probe.send(
            [RESPCommand("INFO", "server"), RESPCommand("INFO", "replication"), RESPCommand("INFO", "cluster")], label: "INFO")
        let server = infoFields(infos[0])
        if let server {
            (role.engine, role.version) = ServerProfile.engine(from: server)
            let replication = infoFields(infos[1]) ?? [:]
            let cluster = infoFields(infos[2]) ?? [:]
            role.clusterEnabled = cluster["cluster_enabled"]
            switch server["redis_mode"] ?? server["server_mode"] {
            case "sentinel": role.kind = .sentinel
            case "cluster": role.kind = .clusterNode
            default:
                if cluster["cluster_enabled"] == "1" {
                    role.kind = .clusterNode
                } else if replication["role"] == "slave" || replication["role"] == "replica" {
                    role.kind = .replica
                    if let host = replication["master_host"], let port = replication["master_port"].flatMap({ Int($0) }) {
                        role.primary = Endpoint.Node(host: host, port: port)
                    }
                } else {
                    role.kind = .primary
                }
            }
        } else {
            role.refused.append("INFO server")
            let hello = await probe.send(RESPCommand("HELLO"), label: "HELLO")
            if let fields = helloFields(hello) {
                if let name = fields["server"], !name.isEmpty { role.engine = name.prefix(1).uppercased() + name.dropFirst() }
                if let version = fields["version"], !version.isEmpty { role.version = version }
                switch (fields["mode"], fields["role"]) {
                case ("sentinel", _): role.kind = .sentinel
                case ("cluster", _): role.kind = .clusterNode
                case (_, "replica"), (_, "slave"): role.kind = .replica
                case (_, "master"): role.kind = .primary
                default: role.kind = .unknown
                }
            } else {
                role.refused.append("HELLO")
                // An ACL says NOPERM; a proxy hangs up, or says it does not know either command.
                let closed = !probe.closedOn.isEmpty
                let unsupported = [infos[0], hello].allSatisfy { outcome in
                    if case .reply(.error(let message)) = outcome { return !message.hasPrefix("NOPERM") }
                    return false
                }
                if closed || unsupported { role.kind = .proxy }
            }
            if role.kind == .replica, case .reply(let reply) = await probe.send(RESPCommand("ROLE"), label: "ROLE"),
                let fields = reply.arrayElements, fields.count >= 3, let host = fields[1].text,
                let port = fields[2].integerValue
            {
                role.primary = Endpoint.Node(host: host, port: Int(port))
            }
        }
        if role.kind == .clusterNode,
            let info = infoFields(await probe.send(RESPCommand("CLUSTER", "INFO"), label: "CLUSTER INFO"))
        {
            role.clusterState = info["cluster_state"]
            role.clusterSlotsAssigned = info["cluster_slots_assigned"].flatMap { Int($0) }
        }
        if role.kind == .sentinel,
            case .reply(let reply) = await probe.send(RESPCommand("SENTINEL", "MASTERS"), label: "SENTINEL MASTERS")
        {
            role.watchedMasters = (reply.arrayElements ?? []).compactMap { master in
                helloFields(.reply(master))?["name"]
            }.sorted()
        }
        return role
    }

    /// An `INFO` reply as a dictionary, or nil when refused.
    static func infoFields(_ outcome: CommandOutcome) -> [String: String]? {
        guard case .reply(let reply) = outcome, !reply.isError, let text = reply.text else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// A flat RESP2 array of field/value pairs (`HELLO`, one `SENTINEL MASTERS` entry) as a dictionary.
    static func helloFields(_ outcome: CommandOutcome) -> [String: String]? {
        guard case .reply(let reply) = outcome, let elements = reply.arrayElements, elements.count >= 2 else { return nil }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < elements.count {
            if let key = elements[index].text, let value = elements[index + 1].text { fields[key] = value }
            index += 2
        }
        return fields.isEmpty ? nil : fields
    }
}

/// What a subcommand does with an endpoint, which decides the kinds it accepts.
public enum EndpointUse: Sendable {
    /// Replays scenarios, writing under the run namespace (`compare`, `inject`).
    case replay
    /// Deletes what interrupted runs left (`clean`).
    case clean
    /// Reads every key with SCAN, TYPE and PTTL (`keyspace`).
    case scan
    /// Forwards clients' commands as they come (`proxy`): any kind passes, a cluster node is marked.
    case forward

    /// Why a read-only replica cannot serve this use.
    fileprivate var writes: String {
        switch self {
        case .replay: return "the run writes to it (under its own namespace)"
        case .clean: return "clean deletes keys on it"
        case .scan: return "it is only read"
        case .forward: return "clients write through the proxy"
        }
    }
}

/// The one check every subcommand runs before it does any work: resolves a Sentinel URL to
/// its primary, probes the endpoint's role, and refuses the kinds the use cannot work with,
/// in one sentence that says what the endpoint is and what to point at instead.
public enum EndpointInspection {
    /// The endpoint to use (a `redis+sentinel://` one resolved to its primary) once it passed.
    public static func prepare(
        _ endpoint: Endpoint, for use: EndpointUse, options: ConnectionOptions
    ) async throws(EndpointError) -> Endpoint {
        var resolved = try await SentinelResolver.resolve(endpoint, options: options)
        // A connection that fails here fails with its own message (unreachable, AUTH refused, ...).
        let probe = ProbeConnection(endpoint: resolved, options: options)
        try await probe.start()
        do {
            let role = await EndpointRole.probe(probe)
            try check(role, of: resolved, for: use)
            if role.kind == .clusterNode { resolved.isCluster = true }
            if use == .clean || use == .scan, role.kind == .proxy {
                try await checkScan(resolved, for: use, probe: probe)
            }
        } catch {
            await probe.close()
            throw error
        }
        await probe.close()
        return resolved
    }

    /// The refusal for a kind the use cannot work with.
    static func check(_ role: EndpointRole, of endpoint: Endpoint, for use: EndpointUse) throws(EndpointError) {
        let name = endpoint.description
        switch role.kind {
        case .clusterNode:
            // A cluster node is a seed: commands are routed over its cluster's primaries, which
            // needs a formed cluster and database 0 (the only one a cluster has).
            if endpoint.database != 0 {
                throw EndpointError.unsuitable(
                    endpoint: name,
                    sentence:
                        "\(name) is a Redis Cluster node, and redisaudit audits a cluster's database 0 only: drop the /\(endpoint.database) from the URL."
                )
            }
            if let state = role.clusterState, state != "ok" {
                let served = role.clusterSlotsAssigned.map { ", \($0) of 16384 slots assigned" } ?? ""
                throw EndpointError.unsuitable(
                    endpoint: name,
                    sentence: "\(name) is a Redis Cluster node whose cluster is not serving (cluster_state:\(state)\(served)): "
                        + "assign every slot (redis-cli --cluster create or fix) or point at a node of a healthy cluster.")
            }
        case .sentinel where use != .forward:
            let here: String
            if case .tcp(let host, let port) = endpoint.address {
                here = Endpoint.Node(host: host, port: port).description
            } else {
                here = "HOST:PORT"
            }
            let masters = role.watchedMasters
            let watches = masters.isEmpty ? "it watches no master" : "it watches \(masters.joined(separator: ", "))"
            let url = "redis+sentinel://\(here)/\(masters.first ?? "MASTER_NAME")"
            throw EndpointError.unsuitable(
                endpoint: name,
                sentence: "\(name) is a Sentinel, not a data node (\(watches)): point at \(url) to reach that master's primary.")
        case .replica where use == .replay || use == .clean:
            var target = endpoint
            let instead: String
            if let primary = role.primary {
                target.address = .tcp(host: primary.host, port: primary.port)
                target.sentinelPassword = nil
                instead = "point at its primary \(target) instead"
            } else {
                instead = "point at its primary instead"
            }
            let of = role.primary.map { " of \($0)" } ?? ""
            throw EndpointError.unsuitable(
                endpoint: name, sentence: "\(name) is a read-only replica\(of), and \(use.writes): \(instead).")
        default:
            return
        }
    }

    /// A proxy that refuses the commands that list keys (`SCAN`, and `DBSIZE` for keyspace's
    /// progress) cannot be scanned or cleaned: say so in one sentence.
    private static func checkScan(_ endpoint: Endpoint, for use: EndpointUse, probe: ProbeConnection) async throws(EndpointError)
    {
        var probes = [("SCAN", RESPCommand("SCAN", "0", "COUNT", "1"))]
        if use == .scan { probes.append(("DBSIZE", RESPCommand("DBSIZE"))) }
        var refused: [String] = []
        for (label, command) in probes where (await probe.send(command, label: label)).isFailure {
            refused.append(label)
        }
        guard !refused.isEmpty else { return }
        let name = endpoint.description
        let subcommand = use == .scan ? "keyspace" : "clean"
        throw EndpointError.unsuitable(
            endpoint: name,
            sentence:
                "\(name) is a proxy that refuses \(refused.joined(separator: " and ")), so \(subcommand) cannot list its keys: "
                + "point \(subcommand) at each Redis server behind the proxy instead.")
    }
}
