/// What an endpoint is and how it is configured, as far as it lets us see.
public struct ServerProfile: Codable, Sendable, Hashable {
    /// `A` or `B`.
    public var role: String
    /// The redacted endpoint URL.
    public var endpoint: String
    /// What the endpoint is: primary, replica, Sentinel, cluster node, proxy, or unknown.
    public var kind: EndpointKind
    /// How commands reach it: RESP over a socket, or Upstash's REST API; nil when not recorded.
    public var transport: Endpoint.Transport?
    /// Redis, Valkey, KeyDB, Dragonfly, ... (from INFO).
    public var engine: String
    public var version: String
    /// Settings in a fixed order; a nil value means the host would not say.
    public var settings: [ProfileSetting]
    /// Availability of each command the scenarios use (nil: could not be checked).
    public var commands: [CommandAvailability]
    /// Whether EVAL runs a trivial script (nil: not checked).
    public var lua: Bool?
    /// Whether MULTI/EXEC runs a trivial transaction.
    public var multi: Bool?
    /// Round-trip latency of sequential PINGs, in microseconds.
    public var latencyP50Micros: Int?
    public var latencyP99Micros: Int?
    /// What the host refused to tell (`CONFIG GET`, `INFO persistence`, ...).
    public var refused: [String]
    /// Commands the server knows but refused to the audit's user (NOPERM) during the replay; nil when none.
    public var denied: [String]?
    /// Each primary of a cluster endpoint: its address, slot count and version; nil for a server.
    public var clusterNodes: [ClusterNodeProfile]?

    public init(role: String, endpoint: String) {
        self.role = role
        self.endpoint = endpoint
        self.kind = .unknown
        self.engine = "unknown"
        self.version = "unknown"
        self.settings = []
        self.commands = []
        self.refused = []
    }

    enum CodingKeys: String, CodingKey {
        case role, endpoint, kind, engine, version, settings, commands, lua, multi, latencyP50Micros, latencyP99Micros, refused
        case clusterNodes, transport
    }

    /// Decodes a profile; one written before the kind was recorded reads as `unknown`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(String.self, forKey: .role)
        endpoint = try c.decode(String.self, forKey: .endpoint)
        kind = try c.decodeIfPresent(EndpointKind.self, forKey: .kind) ?? .unknown
        transport = try c.decodeIfPresent(Endpoint.Transport.self, forKey: .transport)
        engine = try c.decode(String.self, forKey: .engine)
        version = try c.decode(String.self, forKey: .version)
        settings = try c.decode([ProfileSetting].self, forKey: .settings)
        commands = try c.decode([CommandAvailability].self, forKey: .commands)
        lua = try c.decodeIfPresent(Bool.self, forKey: .lua)
        multi = try c.decodeIfPresent(Bool.self, forKey: .multi)
        latencyP50Micros = try c.decodeIfPresent(Int.self, forKey: .latencyP50Micros)
        latencyP99Micros = try c.decodeIfPresent(Int.self, forKey: .latencyP99Micros)
        refused = try c.decode([String].self, forKey: .refused)
        clusterNodes = try c.decodeIfPresent([ClusterNodeProfile].self, forKey: .clusterNodes)
    }

    /// `Redis 7.0.15`, `Valkey unknown`, or `unknown` when the host would tell neither.
    public var serverDescription: String {
        engine == "unknown" && version == "unknown" ? "unknown" : "\(engine) \(version)"
    }

    /// Engine and version from INFO server.
    static func engine(from info: [String: String]) -> (String, String) {
        if let version = info["dragonfly_version"] { return ("Dragonfly", version) }
        if let version = info["valkey_version"] { return ("Valkey", version) }
        if let name = info["server_name"], let version = info["\(name)_version"] ?? info["redis_version"] {
            return (name.prefix(1).uppercased() + name.dropFirst(), version)
        }
        if info.keys.contains(where: { $0.hasPrefix("keydb") }) || info["mvcc-depth"] != nil {
            return ("KeyDB", info["redis_version"] ?? "unknown")
        }
        return ("Redis", info["redis_version"] ?? "unknown")
    }

    /// The value of a setting, if known.
    public func setting(_ name: String) -> String? {
        settings.first { $0.name == name }?.value
    }
}

/// One named server setting and its value.
public struct ProfileSetting: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// Whether the server knows a command.
public struct CommandAvailability: Codable, Sendable, Hashable {
    public var name: String
    public var available: Bool?

    public init(name: String, available: Bool?) {
        self.name = name
        self.available = available
    }
}

/// One primary of a cluster as the profile shows it.
public struct ClusterNodeProfile: Codable, Sendable, Hashable {
    /// `host:port` as the cluster announces it.
    public var address: String
    /// How many hash slots it serves.
    public var slots: Int
    /// `Redis 7.0.15`, or `unknown` when it would not say.
    public var server: String
}
