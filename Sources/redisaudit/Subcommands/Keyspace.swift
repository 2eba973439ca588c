import ArgumentParser
import Foundation
import RedisAudit

/// `redisaudit keyspace A [B]`: scan keyspaces read-only, infer key patterns, report TTL and prefix problems.
struct Keyspace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan one or two keyspaces (read-only), infer key patterns, report TTL and prefix problems.",
        discussion: """
            Reads with SCAN, TYPE and PTTL only (and MEMORY USAGE with --memory), pipelined; writes nothing.
            Keys are grouped into patterns such as rt:<id>:<hash>; each pattern gets its key count, types and
            TTL statistics. With two endpoints, their patterns, counts and TTLs are compared.
            A Redis Cluster node is a seed: every shard is read at once (its primary, or a replica with
            --replicas), the counts are summed, and each pattern's hash-slot spread is reported.
            Passwords: REDISAUDIT_PASSWORD_A / REDISAUDIT_PASSWORD_B (or REDISAUDIT_PASSWORD for both).

            Example: redisaudit keyspace redis://127.0.0.1:6379 --expect-prefix checkin:prod: --fail-on medium
            """
    )

    @Argument(help: "Endpoint A; default: endpoints.a of the config file.")
    var endpointA: String?

    @Argument(help: "Endpoint B, to compare with A (optional; default: endpoints.b of the config file).")
    var endpointB: String?

    @Option(help: "Only keys matching this glob (SCAN MATCH).")
    var match: String?

    @Option(help: "SCAN COUNT: keys the server looks at per SCAN call (default: \(SettingDefaults.scanCount)).")
    var count: Int?

    @Option(help: "Stop after this many keys per endpoint (for huge keyspaces).")
    var sample: Int?

    @Option(name: .customLong("expect-prefix"), help: "Every key should start with one of these prefixes (repeatable).")
    var expectPrefixes: [String] = []

    @Flag(inversion: .prefixedNo, help: "Also read MEMORY USAGE of every key (one more command per key; default: off).")
    var memory: Bool?

    @Flag(
        inversion: .prefixedNo,
        help:
            "On a cluster: read each shard on a replica (after READONLY) to spare the primaries; a shard without one is read on its primary (default: off)."
    )
    var replicas: Bool?

    @Option(
        help:
            "With two endpoints: TTLs differ when one side's median or maximum is more than this many times the other's (default: \(SettingDefaults.shown(SettingDefaults.ttlRatio)))."
    )
    var ttlRatio: Double?

    @Option(
        help:
            "With two endpoints: key counts differ when they are more than this fraction apart, and over 10 keys (default: \(SettingDefaults.shown(SettingDefaults.countTolerance)))."
    )
    var countTolerance: Double?

    @OptionGroup var connection: ConnectionFlags
    @OptionGroup var report: ReportFlags
    @OptionGroup var config: ConfigFlags

    func validate() throws {
        if let count, !(1...100_000).contains(count) {
            throw ValidationError("--count must be between 1 and 100000 (got \(count))")
        }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1 (got \(sample))") }
        try NumberOption.check(ttlRatio, "--ttl-ratio", in: 1...1_000_000)
        try NumberOption.check(countTolerance, "--count-tolerance", in: 0...1)
        for prefix in expectPrefixes where prefix.isEmpty { throw ValidationError("--expect-prefix must not be empty") }
    }

    func run() async throws {
        let file = try config.load()
        let settings = file?.keyspace ?? AuditConfig.KeyspaceSettings()
        guard let a = try EndpointArguments.resolve(endpointA, role: "A", config: file) else {
            throw EndpointArguments.missing("keyspace needs an endpoint")
        }
        let b = try EndpointArguments.resolve(endpointB, role: "B", config: file)
        let report = self.report.applying(file)
        let configuration = KeyspaceConfiguration(
            endpoints: [a, b].compactMap { $0 }, connection: connection.options(file),
            scan: KeyspaceScanOptions(
                match: match ?? settings.match, count: count ?? settings.count ?? SettingDefaults.scanCount,
                sample: sample ?? settings.sample,
                memory: memory ?? settings.memory ?? false, replicas: replicas ?? settings.replicas ?? false),
            expectPrefixes: expectPrefixes.isEmpty ? settings.expectPrefixes : expectPrefixes,
            tolerance: KeyspaceTolerance(
                countFraction: countTolerance ?? settings.countTolerance ?? SettingDefaults.countTolerance,
                ttlRatio: ttlRatio ?? settings.ttlRatio ?? SettingDefaults.ttlRatio),
            failOn: report.threshold)
        try await report.run(
            interruptNotice: "interrupted: stopping the scan (nothing to clean up; press Ctrl-C again to exit at once)"
        ) { logger, interruption in
            var configuration = configuration
            configuration.endpoints = try await EndpointArguments.inspect(
                configuration.endpoints, for: .scan, options: configuration.connection)
            return try await KeyspaceAudit(configuration: configuration, logger: logger, interruption: interruption).run()
        }
    }
}
