import ArgumentParser
import Foundation
import Logging
import RedisAudit

/// `redisaudit proxy`: a RESP-aware fault proxy in front of one server or a cluster, until Ctrl-C.
struct Proxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a RESP-aware TCP proxy in front of one Redis server, injecting faults into chosen commands.",
        discussion: FaultRule.syntax
            + "\n\nPrints a line on standard error each time a rule fires (the client connection, the command and its first key,"
            + " never another argument, and what the client got) and a warning when a client retries into a fault"
            + " \(ProxyEvent.retryStreak) times in a row; runs until Ctrl-C or SIGTERM, then prints how many times each rule fired."
            + "\n\nIn front of a Redis Cluster node it listens once per primary (--listen for the first in slot order,"
            + " free ports for the others) and rewrites the node addresses in MOVED, ASK, CLUSTER SLOTS, SHARDS and NODES"
            + " replies to those listeners, so cluster clients stay behind it."
            + "\n\n--command-timeout applies only when given: a command the upstream does not answer within it gets an error reply"
            + " and its client's session closes; without it, blocking commands wait as long as they need."
    )

    @Option(help: "Address to listen on, HOST:PORT (loopback by default).")
    var listen: String = "127.0.0.1:6380"

    @Option(
        help:
            "The server to forward to: redis://host:port, rediss://host:port, unix:///path/to.sock, or redis+sentinel://host:port[,host:port...]/master (the primary is looked up for each client connection); a Redis Cluster node: the cluster."
    )
    var upstream: String

    @OptionGroup var rules: FaultRuleFlags

    @Option(help: "Also write the per-rule counters as JSON to this file on exit.")
    var stats: String?

    @Option(
        help: ArgumentHelp(
            "Event-loop threads serving the connections (default: one per core, as haproxy).",
            discussion: "One thread leaves the other cores to a server and clients on the same machine."))
    var eventLoops: Int?

    @OptionGroup var connection: ConnectionFlags

    @Flag(name: .shortAndLong, help: "No progress or diagnostics on standard error (no fault firings, no counts at the end).")
    var quiet = false

    @Flag(name: .shortAndLong, help: "More detail on standard error (each client connection opening and closing).")
    var verbose = false

    func validate() throws {
        _ = try Self.listenAddress(listen)
        if let eventLoops, !(1...64).contains(eventLoops) {
            throw ValidationError("--event-loops must be from 1 to 64 (got \(eventLoops))")
        }
    }

    /// `HOST:PORT`, the host possibly a bracketed IPv6 literal.
    static func listenAddress(_ listen: String) throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port), colon > listen.startIndex
        else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:6380 (got '\(listen)')")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    func run() async throws {
        let rules = try self.rules.rules()
        let options = connection.options()
        let endpoint = try await Self.inspect(try Endpoint.parse(upstream), options: options)
        let (host, port) = try Self.listenAddress(listen)
        DiagnosticsLogHandler.bootstrap(quiet: quiet, verbose: verbose)
        let logger = Logger(label: "redisaudit")
        let events = ProxyEventPrinter(quiet: quiet, verbose: verbose, hasRules: !rules.isEmpty, logger: logger)
        let proxy: FaultProxy
        do {
            proxy = try await FaultProxy.start(
                FaultProxyConfiguration(
                    listenHost: host, listenPort: port, upstream: endpoint, options: options, rules: rules,
                    eventLoops: eventLoops ?? SettingDefaults.proxyEventLoops,
                    // Only when given: blocking commands and subscriptions wait as long as they need.
                    commandTimeout: connection.commandTimeout.map { .nanoseconds(Int64($0 * 1e9)) },
                    observer: events.observer))
        } catch let error as ProxyError {
            throw UsageError(message: error.description)
        }
        let ruleCount = rules.isEmpty ? "no faults" : rules.count == 1 ? "1 fault rule" : "\(rules.count) fault rules"
        if endpoint.isCluster {
            for listener in proxy.nodeListeners {
                let slots = listener.slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                if !quiet {
                    printToStandardError(
                        "listening on \(Endpoint.Node(host: host, port: listener.port)) for node \(listener.node) (slots \(slots.joined(separator: ", ")))"
                    )
                }
            }
            logger.info("proxying the cluster of \(endpoint) with \(ruleCount); Ctrl-C stops")
        } else {
            logger.info("proxying \(host):\(proxy.port) -> \(endpoint) with \(ruleCount); Ctrl-C stops")
        }
        await SignalTrap.waitForTermination()
        await proxy.stop()
        await events.finish()
        let counts = proxy.counters.snapshot
        for (rule, fired) in counts {
            logger.info("\(rule): fired \(fired) time\(fired == 1 ? "" : "s")")
        }
        if let stats {
            let document = ProxyStats(upstream: endpoint.description, rules: counts.map { .init(rule: $0.rule, fired: $0.fired) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(document).write(to: URL(fileURLWithPath: stats))
            } catch {
                throw UsageError(message: "cannot write the counters to \(stats): \(error.localizedDescription)")
            }
        }
    }

    /// The upstream as inspection finds it: a cluster node is marked (`Endpoint.isCluster`).
    /// One that cannot be reached or refuses us now is proxied as one server, as before: its
    /// clients get the upstream's error once they connect.
    static func inspect(_ endpoint: Endpoint, options: ConnectionOptions) async throws -> Endpoint {
        try requireRESP(endpoint)
        if case .sentinel = endpoint.address { return endpoint }
        do {
            return try await EndpointInspection.prepare(endpoint, for: .forward, options: options)
        } catch {
            switch error {
            case .unreachable, .refused: return endpoint
            default: throw error
            }
        }
    }

    /// Refuses a REST endpoint as an upstream in one sentence: what goes through is RESP.
    static func requireRESP(_ endpoint: Endpoint) throws {
        guard endpoint.transport == .rest else { return }
        throw ValidationError(
            "\(endpoint) is Upstash's REST API, and this forwards RESP: give the same database's TCP address "
                + "(rediss://default:TOKEN@HOST:6379 on Upstash), or run rest-gateway in front of a RESP server instead")
    }

    private func printToStandardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Fault firings at the default level, a retry streak as a warning, connections with -v.
    static func log(_ event: ProxyEvent, to logger: Logger) {
        switch event {
        case .faultFired: logger.info("\(event)")
        case .retryingIntoFault: logger.warning("\(event)")
        case .connectionOpened, .connectionClosed: logger.debug("\(event)")
        }
    }
}

/// The `--stats` file: how many times each rule fired.
private struct ProxyStats: Encodable {
    /// One rule's counter.
    struct Rule: Encodable {
        var rule: String
        var fired: Int
    }

    var upstream: String
    var rules: [Rule]
}
