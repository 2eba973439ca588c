import ArgumentParser
import Foundation
import Logging
import RedisAudit
import RedisAuditREST

/// `redisaudit rest-gateway`: an Upstash-compatible REST server in front of one endpoint, until Ctrl-C.
struct RestGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rest-gateway",
        abstract: "Serve Upstash's REST API in front of one Redis server, for applications written against an Upstash SDK.",
        discussion:
            "Accepts POST / (a JSON array), path-style commands (GET|POST|PUT /set/key/value/EX/100), /pipeline and /multi-exec"
            + " (each transaction on an upstream connection of its own), with a bearer token from the environment variable named by"
            + " --token-env or the lines of --tokens; Upstash-Encoding: base64 and Upstash-Response-Format: resp2 as Upstash does."
            + " Every upstream command is under --command-timeout. --fault rules (kill-before, kill-after, drop, delay) apply to"
            + " the commands inside requests, nth counting over the whole gateway. Runs until Ctrl-C or SIGTERM. See docs/rest-gateway.md."
    )

    @Option(help: "Address to listen on, HOST:PORT (loopback by default).")
    var listen: String = "127.0.0.1:8079"

    @Option(
        help: "The server to forward to: redis://host:port, rediss://host:port, unix:///path/to.sock, or redis+sentinel://...")
    var upstream: String

    @Option(help: "The environment variable holding the accepted bearer token.")
    var tokenEnv: String = "REDISAUDIT_REST_TOKEN"

    @Option(help: "A file of accepted bearer tokens, one a line (instead of --token-env).")
    var tokens: String?

    @Option(help: "Largest request body accepted, in bytes (Upstash's limit was 1 MB, now 10 MB on its smaller plans).")
    var maxRequestBytes: Int = RESTGatewayConfiguration.defaultMaxRequestBytes

    @OptionGroup var rules: FaultRuleFlags

    @OptionGroup var connection: ConnectionFlags

    @Flag(name: .shortAndLong, help: "No diagnostics on standard error.")
    var quiet = false

    func validate() throws {
        _ = try Proxy.listenAddress(listen)
        if maxRequestBytes < 1 { throw ValidationError("--max-request-bytes must be at least 1") }
    }

    /// The accepted tokens: the lines of --tokens, else the variable named by --token-env; never printed.
    func acceptedTokens(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Set<String> {
        if let tokens {
            guard let text = try? String(contentsOfFile: tokens, encoding: .utf8) else {
                throw UsageError(message: "cannot read the tokens file \(tokens)")
            }
            let lines = Set(
                text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            guard !lines.isEmpty else { throw UsageError(message: "the tokens file \(tokens) holds no token") }
            return lines
        }
        guard let token = environment[tokenEnv], !token.isEmpty else {
            throw UsageError(message: "no token: set the environment variable \(tokenEnv) or give --tokens FILE")
        }
        return [token]
    }

    func run() async throws {
        let tokens = try acceptedTokens()
        let rules = try self.rules.rules()
        let options = connection.options()
        let endpoint = try Endpoint.parse(upstream)
        try Proxy.requireRESP(endpoint)
        let (host, port) = try Proxy.listenAddress(listen)
        DiagnosticsLogHandler.bootstrap(quiet: quiet, verbose: false)
        let logger = Logger(label: "redisaudit")
        let gateway: RESTGateway
        do {
            gateway = try await RESTGateway.start(
                RESTGatewayConfiguration(
                    listenHost: host, listenPort: port, upstream: endpoint, options: options, tokens: tokens,
                    maxRequestBytes: maxRequestBytes, rules: rules))
        } catch let error as RESTGatewayError {
            throw UsageError(message: error.description)
        }
        logger.info("serving Upstash REST on http://\(host):\(gateway.port) -> \(endpoint); Ctrl-C stops")
        await SignalTrap.waitForTermination()
        await gateway.stop()
        for (rule, fired) in gateway.ruleCounts {
            logger.info("\(rule): fired \(fired) time\(fired == 1 ? "" : "s")")
        }
    }
}
