import Foundation
import RESP

/// Reads an endpoint's server profile with read-only commands: INFO, CONFIG GET,
/// COMMAND INFO, a trivial EVAL and MULTI, and a few hundred PINGs.
public enum ServerProfiler {
    /// Settings read with `CONFIG GET`, in report order.
    static let configSettings = ["maxmemory-policy", "maxmemory", "timeout", "maxclients", "notify-keyspace-events", "save", "appendonly"]

    public static func profile(
        role: String, connection: RedisConnection, commands: [String], pings: Int = 200
    ) async -> ServerProfile {
        var profile = ServerProfile(role: role, endpoint: connection.endpoint.description)

        let server = await info(connection, section: "server")
        if let server {
            (profile.engine, profile.version) = engine(from: server)
        } else {
            profile.refused.append("INFO server")
        }

        var config: [String: String] = [:]
        let configOutcomes = await connection.send(configSettings.map { RESPCommand("CONFIG", "GET", $0) })
        var configRefused = false
        for (name, outcome) in zip(configSettings, configOutcomes) {
            guard let pairs = outcome.reply?.arrayElements else { configRefused = true; continue }
            if pairs.count >= 2, let value = pairs[1].text { config[name] = value }
        }
        if configRefused { profile.refused.append("CONFIG GET") }

        let persistence = await info(connection, section: "persistence")
        if persistence == nil { profile.refused.append("INFO persistence") }
        let cluster = await info(connection, section: "cluster")

        profile.settings = [
            ProfileSetting(name: "maxmemory-policy", value: config["maxmemory-policy"]),
            ProfileSetting(name: "maxmemory", value: config["maxmemory"]),
            ProfileSetting(name: "timeout", value: config["timeout"]),
            ProfileSetting(name: "maxclients", value: config["maxclients"]),
            ProfileSetting(name: "notify-keyspace-events", value: config["notify-keyspace-events"]),
            ProfileSetting(name: "rdb", value: rdb(config: config, info: persistence)),
            ProfileSetting(name: "aof", value: aof(config: config, info: persistence)),
            ProfileSetting(name: "cluster_enabled", value: cluster?["cluster_enabled"]),
        ]

        profile.commands = await availability(of: commands, connection: connection)

        // A user denied @scripting says nothing about the host: that is a command-denied finding.
        if case .reply(let reply) = await connection.send([RESPCommand("EVAL", "return 1", "0")])[0], reply.errorClass != "NOPERM" {
            profile.lua = reply == .integer(1)
        }
        let multi = await connection.send([RESPCommand("MULTI"), RESPCommand("PING"), RESPCommand("EXEC")])
        if case .reply(let exec) = multi[2] {
            profile.multi = exec.arrayElements?.first == .simpleString("PONG")
        }

        (profile.latencyP50Micros, profile.latencyP99Micros) = await latency(connection, pings: pings)
        return profile
    }

    /// INFO SECTION as a dictionary, or nil when refused.
    static func info(_ connection: RedisConnection, section: String) async -> [String: String]? {
        guard case .reply(let reply) = await connection.send([RESPCommand("INFO", section)])[0],
              !reply.isError, let text = reply.text
        else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
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
    static func availability(of commands: [String], connection: RedisConnection) async -> [CommandAvailability] {
        let names = Array(Set(commands.map { $0.uppercased() })).sorted()
        guard !names.isEmpty else { return [] }
        let outcomes = await connection.send(names.map { RESPCommand("COMMAND", "INFO", $0) })
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
