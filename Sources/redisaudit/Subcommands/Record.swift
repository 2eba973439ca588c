import ArgumentParser
import Foundation
import Logging
import RedisAudit

/// `redisaudit record`: the fault proxy's forwarding path, keeping each client connection's
/// commands and replies, written as scenario files to review when it stops.
struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record an application's Redis traffic through a proxy and write each flow as a scenario file to review.",
        discussion: """
            Point the application at --listen instead of its Redis server and use it; Ctrl-C (or --duration) \
            ends the recording. Each client connection's commands are split at idle gaps (--gap) into flows; \
            each flow becomes one scenario file (commands sent before the earlier ones were answered are one \
            pipeline step, MULTI ... EXEC one transaction step, EVAL and EVALSHA a script step), with expect: \
            from the replies (RESP3 replies written as they read over RESP2), recurring literals as variables, \
            random-looking values as generators, and an index.md. The connection set-up (HELLO, AUTH, CLIENT, \
            SELECT) is left out, and the arguments of AUTH and HELLO ... AUTH are never kept, not even in memory.

            --fault rules apply as in `proxy`: a client seen resending commands after a lost connection gets \
            a client: block saying so.
            """
    )

    @Option(help: "Address to listen on, HOST:PORT (loopback by default).")
    var listen: String = "127.0.0.1:6380"

    @Option(
        help:
            "The server to forward to: redis://host:port, rediss://host:port, unix:///path/to.sock, redis+sentinel://host:port[,host:port...]/master, or a Redis Cluster node."
    )
    var upstream: String

    @Option(help: "Directory the scenario files and index.md are written to (created if missing).")
    var output: String

    @Option(help: "Stop recording after this many seconds (default: at Ctrl-C or SIGTERM).")
    var duration: Double?

    @Option(help: "Idle seconds that end a connection's flow (default: \(CapturedFlow.defaultGap)).")
    var gap: Double = CapturedFlow.defaultGap

    @Flag(
        help: ArgumentHelp(
            "Split flows per client host over its connections, not per connection.",
            discussion:
                "For a cluster client (one connection per node) or a pool that spreads one request over several connections; every client on one host then counts as one."
        ))
    var byHost = false

    @Option(help: "Keep only connections that named themselves so with CLIENT SETNAME; repeat for several.")
    var clientName: [String] = []

    @Option(help: "Keep only flows with this command (GET, EVALSHA); repeat for several.")
    var command: [String] = []

    @Option(help: "Keep only flows touching a key matching this glob (rt:*); repeat for several.")
    var key: [String] = []

    @Flag(help: "Write no recorded value: each is replaced by one of the same length or shape.")
    var redactValues = false

    @Option(help: "Memory for recorded requests and replies, in MiB (default: 256); later commands are not recorded.")
    var maxMemory: Int = TrafficRecorder.defaultMaxBytes / (1024 * 1024)

    @OptionGroup var rules: FaultRuleFlags

    @OptionGroup var connection: ConnectionFlags

    @Flag(name: .shortAndLong, help: "No progress or diagnostics on standard error.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "More detail on standard error (each client connection opening and closing).")
    var verbose = false

    func validate() throws {
        _ = try Proxy.listenAddress(listen)
        if let duration, !(duration.isFinite && duration > 0) {
            throw ValidationError("--duration must be a positive number of seconds, got \(duration)")
        }
        guard gap.isFinite, gap > 0 else { throw ValidationError("--gap must be a positive number of seconds, got \(gap)") }
        guard (1...65536).contains(maxMemory) else { throw ValidationError("--max-memory must be from 1 to 65536 MiB") }
    }

    func run() async throws {
        let rules = try self.rules.rules()
        let options = connection.options()
        let endpoint = try await Proxy.inspect(try Endpoint.parse(upstream), options: options)
        let (host, port) = try Proxy.listenAddress(listen)
        DiagnosticsLogHandler.bootstrap(quiet: quiet, verbose: verbose)
        let logger = Logger(label: "redisaudit")
        let events = ProxyEventPrinter(quiet: quiet, verbose: verbose, hasRules: !rules.isEmpty, logger: logger)
        let recorder = TrafficRecorder(maxBytes: maxMemory * 1024 * 1024)
        let proxy: FaultProxy
        do {
            proxy = try await FaultProxy.start(
                FaultProxyConfiguration(
                    listenHost: host, listenPort: port, upstream: endpoint, options: options, rules: rules,
                    eventLoops: SettingDefaults.proxyEventLoops,
                    commandTimeout: connection.commandTimeout.map { .nanoseconds(Int64($0 * 1e9)) },
                    observer: events.observer, recorder: recorder))
        } catch let error as ProxyError {
            throw UsageError(message: error.description)
        }
        let until = duration.map { "for \($0) s or until Ctrl-C" } ?? "until Ctrl-C"
        logger.info("recording \(host):\(proxy.port) -> \(endpoint) \(until); scenarios go to \(output)")
        await SignalTrap.waitForTermination(orAfter: duration)
        await proxy.stop()
        await events.finish()
        var recording = TrafficRecording.Options()
        recording.gap = gap
        recording.clientNames = Set(clientName)
        recording.commands = Set(command.map { $0.uppercased() })
        recording.keyPatterns = key
        recording.redact = redactValues
        recording.byHost = byHost
        let result = try TrafficRecording.write(
            recorder.connections, upstream: endpoint.description, output: output, options: recording)
        for (draft, path) in result.written {
            let steps = draft.steps.count
            print(
                "\(path): \(draft.flow.client), \(steps) step\(steps == 1 ? "" : "s"), \(draft.inference.variables.count) variable\(draft.inference.variables.count == 1 ? "" : "s")"
                    + (draft.retry == nil ? "" : ", client retries seen"))
        }
        print(
            "\(result.index): \(result.written.count) scenario\(result.written.count == 1 ? "" : "s") from \(result.commands) commands on \(result.connections) connection\(result.connections == 1 ? "" : "s")"
                + (result.filteredOut > 0 ? " (\(result.filteredOut) flows left out by the filters)" : "")
                + (result.skipped.isEmpty ? "" : " (\(result.skipped.count) flows with nothing a scenario can replay)"))
        for (connection, why) in result.stopped {
            switch why {
            case .budgetSpent:
                logger.warning("conn \(connection): --max-memory was reached; its later commands were not recorded")
            case .unpaired(let command): logger.notice("conn \(connection): recording stopped at \(command)")
            }
        }
    }
}
