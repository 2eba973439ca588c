import ArgumentParser
import Foundation
import Logging
import NIOCore
import RedisAudit

/// Deadlines and TLS flags shared by every subcommand that connects to an endpoint.
struct ConnectionFlags: ParsableArguments {
    @Option(
        help:
            "Seconds allowed for TCP connect, TLS handshake, AUTH and SELECT (default: \(SettingDefaults.shown(SettingDefaults.connectTimeout)))."
    )
    var connectTimeout: Double?

    @Option(
        help:
            "Seconds allowed for any one command or pipeline to reply (default: \(SettingDefaults.shown(SettingDefaults.commandTimeout)))."
    )
    var commandTimeout: Double?

    @Option(
        name: .customLong("tls-ca"), help: "PEM file of CA certificates trusted for rediss:// (default: the system trust store).")
    var tlsCA: String?

    @Option(name: .customLong("tls-server-name"), help: "Name to verify the server certificate against (and send as SNI).")
    var tlsServerName: String?

    @Flag(name: .customLong("tls-insecure"), help: "Do not verify the server certificate (only for testing).")
    var tlsInsecure = false

    @Option(
        help:
            "Largest reply accepted, in bytes; a larger one closes its connection (default: \(ReplyLimits.defaultMaxReplyBytes), the server's own limit for a string)."
    )
    var maxReplyBytes: Int?

    @Option(help: "Most received bytes a connection holds before parsing them (default: twice --max-reply-bytes).")
    var maxBufferedBytes: Int?

    func validate() throws {
        try NumberOption.check(connectTimeout, "--connect-timeout", in: 0.001...600, unit: " seconds")
        try NumberOption.check(commandTimeout, "--command-timeout", in: 0.001...3600, unit: " seconds")
        if let maxReplyBytes, maxReplyBytes < 1 { throw ValidationError("--max-reply-bytes must be at least 1") }
        if let maxBufferedBytes, maxBufferedBytes < 1 { throw ValidationError("--max-buffered-bytes must be at least 1") }
    }

    /// The deadlines and TLS settings: the flags, else the config file's, else the defaults.
    func options(_ config: AuditConfig? = nil) -> ConnectionOptions {
        let connect = connectTimeout ?? config?.connectTimeout ?? SettingDefaults.connectTimeout
        let command = commandTimeout ?? config?.commandTimeout ?? SettingDefaults.commandTimeout
        return ConnectionOptions(
            connectTimeout: .milliseconds(Int64(connect * 1000)),
            commandTimeout: .milliseconds(Int64(command * 1000)),
            tls: TLSOptions(caFile: tlsCA, serverName: tlsServerName, insecure: tlsInsecure),
            replyLimits: ReplyLimits(
                maxReplyBytes: maxReplyBytes ?? config?.limits["max-reply-bytes"] ?? ReplyLimits.defaultMaxReplyBytes,
                maxBufferedBytes: maxBufferedBytes ?? config?.limits["max-buffered-bytes"]))
    }
}

/// The range check every number option gets before anything connects: no NaN, no infinity,
/// no timeout that rounds to zero; the same ranges as the config file's keys.
enum NumberOption {
    static func check(_ value: Double?, _ flag: String, in range: ClosedRange<Double>, unit: String = "") throws {
        guard let value, !range.contains(value) else { return }
        func show(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
        throw ValidationError(
            "\(flag) must be a number from \(show(range.lowerBound)) to \(show(range.upperBound))\(unit), got \(value)")
    }
}

/// Where the report goes and when the run fails, shared by the audit subcommands.
struct ReportFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Report format on standard output: markdown, json, junit or html (default: markdown; on a terminal without -o, "
                + "a summary, the reports written to redisaudit-<subcommand>.md, .json and .html)."))
    var format: ReportFormat?

    @Flag(
        help: ArgumentHelp(
            "Print the summary on standard output even when it is not a terminal; the reports go to -o, --json-output and "
                + "--html-output, or to redisaudit-<subcommand>.md, .json and .html."))
    var summary = false

    @Option(help: "Findings the summary lists before \"and N more\" (default: 10).")
    var top: Int?

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.", completion: .file())
    var output: String?

    @Option(help: "Also write the JSON report to this file (whatever --format says).", completion: .file(extensions: ["json"]))
    var jsonOutput: String?

    @Option(
        help: "Also write the JUnit XML report to this file (whatever --format says).", completion: .file(extensions: ["xml"]))
    var junitOutput: String?

    @Option(
        help: "Also write the self-contained HTML report to this file (whatever --format says).",
        completion: .file(extensions: ["html"]))
    var htmlOutput: String?

    @Option(
        help: "Exit 1 when a finding is at or above this severity: critical, high, medium, low, info or never (default: high).")
    var failOn: String?

    @Option(help: "A baseline of accepted findings (redisaudit baseline write): they are reported but do not fail the run.")
    var baseline: String?

    @Flag(name: .shortAndLong, help: "No progress or diagnostics on standard error.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "More detail on standard error (per scenario and step).")
    var verbose = false

    func validate() throws {
        if summary, let format {
            throw ValidationError(
                "--summary prints the summary in place of the report and --format \(format.rawValue) prints the report: give one of them"
            )
        }
        if let top, !(0...10_000).contains(top) { throw ValidationError("--top must be a number from 0 to 10000, got \(top)") }
        if let failOn, FailThreshold(failOn) == nil {
            throw ValidationError("--fail-on must be one of critical, high, medium, low, info, never (got '\(failOn)')")
        }
    }

    var threshold: FailThreshold { failOn.flatMap(FailThreshold.init) ?? .severity(.high) }

    /// Where the report goes, as the flags say.
    var delivery: ReportDelivery {
        ReportDelivery(
            format: (format ?? .markdown).delivery, output: output, jsonOutput: jsonOutput, junitOutput: junitOutput,
            htmlOutput: htmlOutput, terminal: summary ? summaryStyle() : format == nil && output == nil ? terminal() : nil)
    }

    /// The terminal summary's settings when standard output is a terminal, nil otherwise: colour
    /// as for diagnostics (never with NO_COLOR or TERM=dumb), the terminal's width (else COLUMNS,
    /// else 100).
    func terminal(environment: [String: String] = ProcessInfo.processInfo.environment) -> ReportDelivery.Terminal? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        return summaryStyle(environment: environment)
    }

    /// How `--summary` draws: as on a terminal when standard output is one, plain otherwise.
    func summaryStyle(environment: [String: String] = ProcessInfo.processInfo.environment) -> ReportDelivery.Terminal {
        let colour = DiagnosticColour(environment: environment, isTerminal: isatty(STDOUT_FILENO) == 1).isEnabled
        var size = winsize()
        let columns = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : nil
        let width = max(40, columns ?? environment["COLUMNS"].flatMap(Int.init) ?? 100)
        return ReportDelivery.Terminal(colour: colour, width: width, listed: top ?? TerminalSummary.listed)
    }

    /// Runs an audit with progress on standard error and the first Ctrl-C turned into a clean
    /// stop, writes its report, and exits 1 when the verdict is a failure.
    func run(
        interruptNotice notice: String = SignalTrap.cleanupNotice, _ audit: (Logger, Interruption) async throws -> AuditReport
    ) async throws {
        // A baseline that cannot be read is a usage error before anything connects.
        let accepted = try baseline.map { path throws(InputError) in (path, try Baseline.load(contentsOf: path)) }
        // So are outputs that cannot be written: found now, not after the audit ran.
        let delivery = self.delivery
        do {
            try delivery.check()
        } catch {
            throw UsageError(message: error.description)
        }
        let logger = makeLogger()
        let interruption = Interruption()
        let signals = SignalTrap.install(interruption, logger: logger, notice: notice)
        defer { _ = signals }
        var result: AuditReport
        do {
            result = try await interruption.tracking { try await audit(logger, interruption) }
        } catch let error as InterruptedError {
            throw error
        } catch _ where interruption.isRequested {
            // Interrupted while checking the endpoints, before the audit wrote anything.
            throw InterruptedError()
        }
        if interruption.isRequested { throw InterruptedError() }
        if let (path, baseline) = accepted {
            result = BaselineCheck.apply(baseline, file: Self.relative(path), to: result)
        }
        let warnings: [String]
        do {
            warnings = try delivery.deliver(result, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw UsageError(message: error.description)
        }
        for warning in warnings { logger.warning("\(warning)") }
        // On a terminal the summary on standard output already says it.
        if delivery.terminal == nil {
            logger.info(
                "\(delivery.verdictLine(result))", metadata: [DiagnosticsLogHandler.verdictKey: "\(result.summary.verdict)"])
        }
        let code = result.summary.verdict == .pass ? ExitStatus.pass : ExitStatus.findings
        if code != ExitStatus.pass { throw ExitCode(code) }
    }

    /// A path as the report names it: relative to the working directory when it is inside it
    /// (a config file's baseline is resolved to an absolute path).
    static func relative(_ path: String) -> String {
        let directory = FileManager.default.currentDirectoryPath
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// The logger for progress and diagnostics, on standard error at the level `--quiet`/`--verbose` ask for.
    func makeLogger() -> Logger {
        DiagnosticsLogHandler.bootstrap(quiet: quiet, verbose: verbose)
        return Logger(label: "redisaudit")
    }
}

/// The report formats, as `--format` takes them.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case markdown, json, junit, html

    var delivery: ReportDelivery.Format {
        switch self {
        case .markdown: return .markdown
        case .json: return .json
        case .junit: return .junit
        case .html: return .html
        }
    }
}

/// Endpoint arguments, each with the password of its role's environment variable when the URL
/// has none (`REDISAUDIT_PASSWORD_A`, `_B`, then `REDISAUDIT_PASSWORD`).
enum EndpointArguments {
    static func parse(_ url: String, role: String) throws -> Endpoint {
        let endpoint = try Endpoint.parse(url, passwordEnvironment: ["REDISAUDIT_PASSWORD_\(role)", "REDISAUDIT_PASSWORD"])
        if (try? Endpoint.parse(url, environment: [:]))?.password != nil {
            // As redis-cli does for -a: the command line is readable by every local user.
            ExitStatus.printWarning(
                "the password in endpoint \(role)'s URL is visible to every user of this machine (ps, /proc/<pid>/cmdline); "
                    + "set REDISAUDIT_PASSWORD_\(role) or REDISAUDIT_PASSWORD instead and leave it out of the URL")
        }
        return endpoint
    }

    /// The endpoints once each passed ``EndpointInspection``: a `redis+sentinel://` URL resolved
    /// to its primary, a cluster node marked as a seed, a replica or Sentinel refused in one sentence before any work.
    static func inspect(_ endpoints: [Endpoint], for use: EndpointUse, options: ConnectionOptions) async throws -> [Endpoint] {
        var prepared: [Endpoint] = []
        for endpoint in endpoints {
            prepared.append(try await EndpointInspection.prepare(endpoint, for: use, options: options))
        }
        return prepared
    }

    /// Endpoint A, and B when given.
    static func parse(_ a: String, _ b: String?) throws -> [Endpoint] {
        var endpoints = [try parse(a, role: "A")]
        if let b { endpoints.append(try parse(b, role: "B")) }
        return endpoints
    }
}

/// `--fault RULE` and `--plan FILE`, shared by `proxy` and `inject`: checked before anything
/// connects, the plan's rules first.
struct FaultRuleFlags: ParsableArguments {
    @Option(name: .customLong("fault"), help: "A fault rule, KIND[:COMMAND][:param=value,...] (repeatable).")
    var faults: [String] = []

    @Option(help: "A YAML file of fault rules, faults: [RULE, ...]; they come before the --fault rules.")
    var plan: String?

    /// True when any rule was given.
    var given: Bool { !faults.isEmpty || plan != nil }

    func validate() throws {
        do {
            _ = try rules()
        } catch let error as InputError {
            throw ValidationError(error.description)
        } catch let error as FaultRuleError {
            throw ValidationError(error.description)
        }
    }

    /// The plan's rules, then the `--fault` ones.
    func rules(limits: InputLimits = .defaults) throws -> [FaultRule] {
        try FaultSelection.rules(faults: faults, plan: plan, limits: limits)
    }
}
