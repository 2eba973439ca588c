import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisAudit

/// What a REST gateway listens on, forwards to and accepts.
public struct RESTGatewayConfiguration: Sendable {
    /// The address to listen on (port 0: a free one).
    public var listenHost: String
    public var listenPort: Int
    /// The server every command goes to.
    public var upstream: Endpoint
    /// Deadlines of the upstream connections.
    public var options: ConnectionOptions
    /// The bearer tokens accepted; a request with none of them gets 401.
    public var tokens: Set<String>
    /// The largest request body accepted, in bytes.
    public var maxRequestBytes: Int
    /// Fault rules applied to the commands inside requests.
    public var rules: [FaultRule]

    /// Upstash's limit on a request as first documented, 1 MB (its Free and Pay-as-you-go plans now take 10 MB).
    public static let defaultMaxRequestBytes = 1_048_576

    public init(
        listenHost: String, listenPort: Int, upstream: Endpoint, options: ConnectionOptions, tokens: Set<String>,
        maxRequestBytes: Int = RESTGatewayConfiguration.defaultMaxRequestBytes, rules: [FaultRule] = []
    ) {
        self.rules = rules
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.upstream = upstream
        self.options = options
        self.tokens = tokens
        self.maxRequestBytes = maxRequestBytes
    }
}

/// Why the gateway could not start.
public struct RESTGatewayError: Error, CustomStringConvertible {
    public let description: String
}

/// An Upstash-compatible REST server in front of one Redis endpoint, until stopped.
public final class RESTGateway: Sendable {
    /// The port it listens on.
    public let port: Int
    private let task: Task<Void, any Error>
    private let faults: RESTFaults

    private init(port: Int, task: Task<Void, any Error>, faults: RESTFaults) {
        self.port = port
        self.task = task
        self.faults = faults
    }

    /// How many times each fault rule fired so far.
    public var ruleCounts: [(rule: FaultRule, fired: Int)] {
        let fired = faults.fired.withLockedValue { $0 }
        return faults.rules.indices.map { (rule: faults.rules[$0], fired: fired[$0]) }
    }

    /// Starts listening; returns once the listener is bound.
    public static func start(_ configuration: RESTGatewayConfiguration) async throws -> RESTGateway {
        let pool = UpstreamPool(endpoint: configuration.upstream, options: configuration.options)
        let faults = try RESTFaults(rules: configuration.rules)
        let handler = RESTRequestHandler(configuration: configuration, pool: pool, faults: faults)
        let (bound, boundSink) = AsyncStream.makeStream(of: Int?.self)
        var logger = Logger(label: "redisaudit.rest-gateway")
        logger.logLevel = .critical
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await handler.respond(to: request) },
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort)),
            onServerRunning: { channel in
                boundSink.yield(channel.localAddress?.port)
                boundSink.finish()
            },
            logger: logger)
        let task = Task {
            defer { boundSink.finish() }
            try await app.run()
            await pool.closeAll()
        }
        var iterator = bound.makeAsyncIterator()
        guard let port = await iterator.next() ?? nil else {
            let reason: String
            do {
                try await task.value
                reason = "the listener stopped at once"
            } catch {
                reason = String(describing: error)
            }
            throw RESTGatewayError(
                description: "cannot listen on \(configuration.listenHost):\(configuration.listenPort): \(reason)")
        }
        return RESTGateway(port: port, task: task, faults: faults)
    }

    /// Stops listening and closes the upstream connections.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Idle upstream connections; each request takes one for itself, so no two requests share one.
/// A lock, not an actor: taking and giving back are a few instructions, not worth a hop each.
final class UpstreamPool: Sendable {
    private let endpoint: Endpoint
    private let options: ConnectionOptions
    private let idle = NIOLockedValueBox<[RedisConnection]>([])
    /// The most idle connections kept; more are closed when given back.
    static let maxIdle = 512

    init(endpoint: Endpoint, options: ConnectionOptions) {
        self.endpoint = endpoint
        self.options = options
    }

    /// An idle open connection, or a new one.
    func take() async throws(EndpointError) -> RedisConnection {
        while let connection = idle.withLockedValue({ $0.popLast() }) {
            if connection.isActive { return connection }
            await connection.close()
        }
        return try await RedisConnection.connect(to: endpoint, options: options)
    }

    /// Gives a connection back; one that failed is closed instead, as its replies may be out of step.
    func give(back connection: RedisConnection, healthy: Bool) async {
        let kept =
            healthy && connection.isActive
            && idle.withLockedValue { idle in
                guard idle.count < Self.maxIdle else { return false }
                idle.append(connection)
                return true
            }
        if !kept { await connection.close() }
    }

    /// Closes every idle connection.
    func closeAll() async {
        let connections = idle.withLockedValue { idle in
            defer { idle = [] }
            return idle
        }
        for connection in connections { await connection.close() }
    }
}
