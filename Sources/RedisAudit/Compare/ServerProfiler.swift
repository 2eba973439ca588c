import Foundation
import RESP

/// Reads an endpoint's server profile with read-only commands: its role (INFO, else HELLO),
/// CONFIG GET, COMMAND INFO, a trivial EVAL and MULTI, and a few hundred PINGs.
///
/// The probes run on connections of their own, opened again whenever the host closes one on
/// a command it does not support (a proxy): the caller's connection is left as it was.
public enum ServerProfiler {
    /// Settings read with `CONFIG GET`, in report order.
    static let configSettings = [
        "maxmemory-policy", "maxmemory", "timeout", "maxclients", "notify-keyspace-events", "save", "appendonly",
    ]

    public static func profile(
        role: String, connection: RedisConnection, commands: [String], pings: Int = 200
    ) async -> ServerProfile {
        var profile = ServerProfile(role: role, endpoint: connection.endpoint.description)
        profile.transport = connection.endpoint.transport
        let probe = ProbeConnection(endpoint: connection.endpoint, options: connection.options)

        let endpointRole = await EndpointRole.probe(probe)
        profile.kind = endpointRole.kind
        (profile.engine, profile.version) = (endpointRole.engine, endpointRole.version)
        profile.refused += endpointRole.refused

        var config: [String: String] = [:]
        let configOutcomes = await probe.send(configSettings.map { RESPCommand("CONFIG", "GET", $0) }, label: "CONFIG")
        var configRefused = false
        for (name, outcome) in zip(configSettings, configOutcomes) {
            guard let pairs = outcome.reply?.arrayElements else { configRefused = true; continue }
            if pairs.count >= 2, let value = pairs[1].text { config[name] = value }
        }
        if configRefused { profile.refused.append("CONFIG GET") }

        let persistence = await info(probe, section: "persistence")
        if persistence == nil { profile.refused.append("INFO persistence") }

        profile.settings = [
            ProfileSetting(name: "maxmemory-policy", value: config["maxmemory-policy"]),
            ProfileSetting(name: "maxmemory", value: config["maxmemory"]),
            ProfileSetting(name: "timeout", value: config["timeout"]),
            ProfileSetting(name: "maxclients", value: config["maxclients"]),
            ProfileSetting(name: "notify-keyspace-events", value: config["notify-keyspace-events"]),
            ProfileSetting(name: "rdb", value: rdb(config: config, info: persistence)),
            ProfileSetting(name: "aof", value: aof(config: config, info: persistence)),
            ProfileSetting(name: "cluster_enabled", value: endpointRole.clusterEnabled),
        ]

        if endpointRole.kind == .clusterNode, connection.endpoint.isCluster {
            await cluster(of: connection.endpoint, options: connection.options, into: &profile)
        }

        profile.commands = await availability(of: commands, probe: probe)
        if !profile.commands.isEmpty, profile.commands.allSatisfy({ $0.available == nil }) { profile.refused.append("COMMAND") }

        // A user denied @scripting says nothing about the host: that is a command-denied finding.
        if case .reply(let reply) = await probe.send(RESPCommand("EVAL", "return 1", "0"), label: "EVAL"),
            reply.errorClass != "NOPERM"
        {
            profile.lua = reply == .integer(1)
        }
        let multi = await probe.send([RESPCommand("MULTI"), RESPCommand("PING"), RESPCommand("EXEC")], label: "MULTI")
        if case .reply(let exec) = multi[2] {
            profile.multi = exec.arrayElements?.first == .simpleString("PONG")
        } else if case .failed(.connectionClosed) = multi[0] {
            profile.multi = false
        }

        if let measured = await probe.open() {
            (profile.latencyP50Micros, profile.latencyP99Micros) = await latency(measured, pings: pings)
        }
        await probe.close()
        return profile
    }

    /// A cluster's shards, slot coverage and each primary's server, as profile settings and nodes.
    static func cluster(of seed: Endpoint, options: ConnectionOptions, into profile: inout ServerProfile) async {
        guard let topology = try? await ClusterTopology.read(seed: seed, options: options) else {
            profile.refused.append("CLUSTER SHARDS")
            return
        }
        var nodes: [ClusterNodeProfile] = []
        for shard in topology.shards {
            let role = await EndpointRole.probe(
                ProbeConnection(endpoint: DataNodes.node(seed, shard.primary), options: options))
            let server = role.version == "unknown" ? "unknown" : "\(role.engine) \(role.version)"
            nodes.append(
                ClusterNodeProfile(
                    address: shard.primary.description, slots: shard.slots.reduce(0) { $0 + $1.count }, server: server))
        }
        profile.clusterNodes = nodes
        let replicas = topology.shards.reduce(0) { $0 + $1.replicas.count }
        let servers = Dictionary(grouping: nodes, by: \.server).map { "\($0.key) ×\($0.value.count)" }.sorted()
        profile.settings += [
            ProfileSetting(name: "cluster shards", value: "\(topology.shards.count) primaries, \(replicas) replicas"),
            ProfileSetting(name: "cluster slots", value: "\(topology.coveredSlots) of \(HashSlot.count) served"),
            ProfileSetting(name: "cluster servers", value: servers.joined(separator: ", ")),
        ]
    }

    /// INFO SECTION on a probe connection, or nil when refused.
    static func info(_ probe: ProbeConnection, section: String) async -> [String: String]? {
        EndpointRole.infoFields(await probe.send(RESPCommand("INFO", section), label: "INFO"))
    }

    private static func rdb(config: [String: String], info: [String: String]?) -> String? {
        if let save = config["save"] { return save.isEmpty ? "off" : "on (save \(save))" }
        return nil
    }

    private static func aof(config: [String: String], info: [String: String]?) -> String? {
        if let appendonly = config["appendonly"] { return appendonly == "yes" ? "on" : "off" }
        if let enabled = info?["aof_enabled"] { return enabled == "1" ? "on" : "off" }
        return nil
    }

    /// COMMAND INFO for each name, one at a time (Redis 6.2 and managed hosts differ in
    /// what they accept); nil where COMMAND itself is refused.
    static func availability(of commands: [String], probe: ProbeConnection) async -> [CommandAvailability] {
        let names = Array(Set(commands.map { $0.uppercased() })).sorted()
        guard !names.isEmpty else { return [] }
        let outcomes = await probe.send(names.map { RESPCommand("COMMAND", "INFO", $0) }, label: "COMMAND")
        return zip(names, outcomes).map { name, outcome in
            guard let elements = outcome.reply?.arrayElements, let first = elements.first else {
                return CommandAvailability(name: name, available: nil)
            }
            return CommandAvailability(name: name, available: first != .nullArray && first != .null)
        }
    }

    /// p50 and p99 of sequential PING round trips, in microseconds.
    static func latency(_ connection: RedisConnection, pings: Int) async -> (Int?, Int?) {
        guard pings > 0, var samples = await connection.pingRoundTrips(pings), !samples.isEmpty else { return (nil, nil) }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        return (Int(p50 / 1000), Int(p99 / 1000))
    }
}
