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
            Passwords: REDISAUDIT_PASSWORD_A / REDISAUDIT_PASSWORD_B (or REDISAUDIT_PASSWORD for both).

            Example: redisaudit keyspace redis://127.0.0.1:6379 --expect-prefix checkin:prod: --fail-on medium
            """
    )

    @Argument(help: "Endpoint A.")
    var endpointA: String

    @Argument(help: "Endpoint B, to compare with A (optional).")
    var endpointB: String?

    @Option(help: "Only keys matching this glob (SCAN MATCH).")
    var match: String?

    @Option(help: "SCAN COUNT: keys the server looks at per SCAN call.")
    var count: Int = 1000

    @Option(help: "Stop after this many keys per endpoint (for huge keyspaces).")
    var sample: Int?

    @Option(name: .customLong("expect-prefix"), help: "Every key should start with one of these prefixes (repeatable).")
    var expectPrefixes: [String] = []

    @Flag(help: "Also read MEMORY USAGE of every key (one more command per key).")
    var memory = false

    @Option(help: "With two endpoints: TTLs differ when one side's median or maximum is more than this many times the other's.")
    var ttlRatio: Double = 1.5

    @Option(help: "With two endpoints: key counts differ when they are more than this fraction apart (and over 10 keys).")
    var countTolerance: Double = 0.1

    @OptionGroup var connection: ConnectionFlags
    @OptionGroup var report: ReportFlags

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000 (got \(count))") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1 (got \(sample))") }
        guard ttlRatio >= 1 else { throw ValidationError("--ttl-ratio must be at least 1 (got \(ttlRatio))") }
        guard (0...1).contains(countTolerance) else {
            throw ValidationError("--count-tolerance must be between 0 and 1 (got \(countTolerance))")
        }
        for prefix in expectPrefixes where prefix.isEmpty { throw ValidationError("--expect-prefix must not be empty") }
    }

    func run() async throws {
        let endpoints = try EndpointArguments.parse(endpointA, endpointB)
        let configuration = KeyspaceConfiguration(
            endpoints: endpoints, connection: connection.options,
            scan: KeyspaceScanOptions(match: match, count: count, sample: sample, memory: memory),
            expectPrefixes: expectPrefixes,
            tolerance: KeyspaceTolerance(countFraction: countTolerance, ttlRatio: ttlRatio),
            failOn: report.threshold)
        try await report.run(
            interruptNotice: "interrupted: stopping the scan (nothing to clean up; press Ctrl-C again to exit at once)"
        ) { logger, interruption in
            try await KeyspaceAudit(configuration: configuration, logger: logger, interruption: interruption).run()
        }
    }
}
