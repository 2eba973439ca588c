import NIOCore
import NIOPosix
import NIOSSL

/// Where a fault proxy listens, what it forwards to, and which faults it applies.
public struct FaultProxyConfiguration: Sendable {
    /// The address to listen on (loopback unless told otherwise).
    public var listenHost: String
    /// The port to listen on (0: any free port).
    public var listenPort: Int
    /// The server every client connection is forwarded to.
    public var upstream: Endpoint
    /// Connect deadline and TLS settings for the upstream connections.
    public var options: ConnectionOptions
    /// The faults, in the order given.
    public var rules: [FaultRule]
    /// Event-loop threads of the proxy's own, stopped with it; nil: the group given to `start`.
    public var eventLoops: Int?
    /// How long the upstream may stay silent after a command reached it before the client gets
    /// an error and its session closes; nil (the default): as long as it takes, so blocking
    /// commands and subscriptions pass through.
    public var commandTimeout: TimeAmount?

    public init(
        listenHost: String = "127.0.0.1", listenPort: Int = 6380, upstream: Endpoint,
        options: ConnectionOptions = ConnectionOptions(), rules: [FaultRule] = [], eventLoops: Int? = nil,
        commandTimeout: TimeAmount? = nil
    ) {
        self.commandTimeout = commandTimeout
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.upstream = upstream
        self.options = options
        self.rules = rules
        self.eventLoops = eventLoops
    }
}

/// A RESP-aware TCP proxy in front of one Redis server that injects faults into chosen commands.
///
/// Every accepted client connection gets its own upstream connection, on the same event loop,
/// glued together by a `ProxySession`. The proxy does not authenticate on anyone's behalf:
/// clients send their own AUTH and SELECT, so the upstream URL's user, password and database
/// are not used. A `redis+sentinel://` upstream is looked up for each session, so a failover
/// is followed by the next client connection.
public final class FaultProxy: Sendable {
    /// The port the proxy listens on.
    public let port: Int
    /// How many times each rule fired.
    public let counters: FaultCounters
    private let listener: ProxyListener
    private let sessions: ProxySessions
    /// The event loops the proxy started for itself, if any.
    private let ownGroup: MultiThreadedEventLoopGroup?

    private init(
        port: Int, counters: FaultCounters, listener: ProxyListener, sessions: ProxySessions,
        ownGroup: MultiThreadedEventLoopGroup?
    ) {
        self.port = port
        self.counters = counters
        self.listener = listener
        self.sessions = sessions
        self.ownGroup = ownGroup
    }

    /// How many client connections are open (each with its upstream connection).
    public var openSessions: Int { sessions.count }

    /// Starts listening; throws `ProxyError` when the address cannot be bound, and
    /// `EndpointError` when the TLS settings cannot be used.
    public static func start(
        _ configuration: FaultProxyConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> FaultProxy {
        let counters = FaultCounters(rules: configuration.rules)
        let upstream = ProxyUpstream(
            endpoint: configuration.upstream,
            connector: try EndpointConnector(endpoint: configuration.upstream, options: configuration.options),
            // Without rules or a command timeout, sessions take the lean path (replies unframed).
            counters: configuration.rules.isEmpty && configuration.commandTimeout == nil ? nil : counters,
            sentinelOptions: configuration.options,
            commandTimeout: configuration.commandTimeout, maxFrameBytes: configuration.options.replyLimits.maxReplyBytes)
        let ownGroup = configuration.eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
        let eventLoopGroup = ownGroup ?? eventLoopGroup
        let sessions = ProxySessions()
        let listener = ProxyListener(host: configuration.listenHost, sessions: sessions, eventLoop: eventLoopGroup.next()) {
            listener in
            ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let session = ProxySession(client: channel, upstream: upstream, sessions: sessions, listener: listener)
                        let handler = ProxySideHandler(session: session, side: .client)
                        session.clientHandler = handler
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
        }
        do {
            try await listener.bind(port: configuration.listenPort)
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw ProxyError.cannotListen(address: "\(configuration.listenHost):\(configuration.listenPort)", reason: "\(error)")
        }
        return FaultProxy(
            port: listener.port, counters: counters, listener: listener,
            sessions: sessions, ownGroup: ownGroup)
    }

    /// Stops accepting connections and closes every open one; returns once they are closed.
    public func stop() async {
        await listener.stop()
        // A connection accepted just before the listener closed registers a moment later.
        repeat {
            sessions.terminateAll()
        } while !(await sessions.settle(timeout: .milliseconds(200), timerLoop: listener.eventLoop))
        try? await ownGroup?.shutdownGracefully()
    }

    /// Waits until no session is open any more (every client has closed, both connections of
    /// each session are closed and nothing is held for them) and no `down` period lasts: true,
    /// or false after `timeout`.
    public func settle(timeout: TimeAmount) async -> Bool {
        await sessions.settle(timeout: timeout, timerLoop: listener.eventLoop)
    }
}

/// Why the proxy could not start.
public enum ProxyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The listen address could not be bound.
    case cannotListen(address: String, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let reason): return "cannot listen on \(address): \(reason)"
        }
    }
}
