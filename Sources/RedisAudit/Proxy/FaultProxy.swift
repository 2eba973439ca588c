import NIOConcurrencyHelpers
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
    /// Told each fault firing and each client connection opening and closing, as they happen
    /// (`ProxyEvent`); nil (the default): no event is made at all.
    public var observer: (@Sendable (ProxyEvent) -> Void)?
    /// Keeps every client connection's commands and replies (`redisaudit record`); nil (the
    /// default): nothing is kept.
    public var recorder: TrafficRecorder?

    public init(
        listenHost: String = "127.0.0.1", listenPort: Int = 6380, upstream: Endpoint,
        options: ConnectionOptions = ConnectionOptions(), rules: [FaultRule] = [], eventLoops: Int? = nil,
        commandTimeout: TimeAmount? = nil, observer: (@Sendable (ProxyEvent) -> Void)? = nil,
        recorder: TrafficRecorder? = nil
    ) {
        self.recorder = recorder
        self.commandTimeout = commandTimeout
        self.observer = observer
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.upstream = upstream
        self.options = options
        self.rules = rules
        self.eventLoops = eventLoops
    }
}

extension FaultProxyConfiguration {
    /// True when sessions need not frame replies: no rule, no command timeout, no recorder.
    var takesLeanPath: Bool { rules.isEmpty && commandTimeout == nil && recorder == nil }
}

/// A RESP-aware TCP proxy in front of one Redis server, or of a cluster, that injects faults
/// into chosen commands.
///
/// Every accepted client connection gets its own upstream connection, on the same event loop,
/// glued together by a `ProxySession`. The proxy does not authenticate on anyone's behalf:
/// clients send their own AUTH and SELECT, so the upstream URL's user, password and database
/// are not used. A `redis+sentinel://` upstream is looked up for each session, so a failover
/// is followed by the next client connection.
///
/// In front of a cluster (`Endpoint.isCluster`) it listens once per primary (`ClusterFaultProxy`):
/// the rules and their counters are shared by every listener.
public final class FaultProxy: Sendable {
    /// One listening socket and the sessions it accepted.
    struct Front: Sendable {
        /// The cluster node it forwards to; nil in front of one server.
        var node: Endpoint.Node?
        /// The slots that node served when the listener started.
        var slots: [ClosedRange<Int>]
        var listener: ProxyListener
        var sessions: ProxySessions
    }

    /// How many times each rule fired (over every listener).
    public let counters: FaultCounters
    /// In front of a cluster: which listener forwards to which node.
    let cluster: ClusterAddressMap?
    /// The listeners, in the order they started, and whether the proxy stopped.
    private let fronts = NIOLockedValueBox<(started: [Front], stopped: Bool)>(([], false))
    /// The event loops the proxy started for itself, if any.
    private let ownGroup: MultiThreadedEventLoopGroup?

    init(counters: FaultCounters, cluster: ClusterAddressMap?, ownGroup: MultiThreadedEventLoopGroup?) {
        self.counters = counters
        self.cluster = cluster
        self.ownGroup = ownGroup
    }

    /// The port the proxy listens on (in front of a cluster: the first primary's listener, a seed).
    public var port: Int { listeners.first?.listener.port ?? 0 }

    /// How many client connections are open (each with its upstream connection).
    public var openSessions: Int { listeners.reduce(0) { $0 + $1.sessions.count } }

    /// Starts listening; throws `ProxyError` when the address cannot be bound, and
    /// `EndpointError` when the TLS settings cannot be used (or, in front of a cluster, when its
    /// topology cannot be read).
    public static func start(
        _ configuration: FaultProxyConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> FaultProxy {
        let counters = FaultCounters(rules: configuration.rules)
        let events = configuration.observer.map { ProxyEventRelay(observer: $0) }
        let ownGroup = configuration.eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
        let eventLoopGroup = ownGroup ?? eventLoopGroup
        if configuration.upstream.isCluster {
            return try await ClusterFaultProxy.start(
                configuration, counters: counters, events: events, eventLoopGroup: eventLoopGroup, ownGroup: ownGroup)
        }
        let proxy = FaultProxy(counters: counters, cluster: nil, ownGroup: ownGroup)
        do {
            let upstream = ProxyUpstream(
                endpoint: configuration.upstream,
                connector: try EndpointConnector(endpoint: configuration.upstream, options: configuration.options),
                // Without rules, a command timeout or a recorder, sessions take the lean path (replies unframed).
                counters: configuration.takesLeanPath ? nil : counters,
                sentinelOptions: configuration.options,
                commandTimeout: configuration.commandTimeout, maxFrameBytes: configuration.options.replyLimits.maxReplyBytes,
                events: events, recorder: configuration.recorder)
            try await proxy.listen(
                host: configuration.listenHost, port: configuration.listenPort, upstream: upstream, eventLoopGroup: eventLoopGroup
            )
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw error
        }
        return proxy
    }

    /// Starts one more listener whose sessions forward to `upstream`; throws `ProxyError`.
    @discardableResult
    func listen(
        host: String, port: Int, upstream: ProxyUpstream, eventLoopGroup: any EventLoopGroup,
        node: Endpoint.Node? = nil, slots: [ClosedRange<Int>] = []
    ) async throws -> Int {
        let sessions = ProxySessions()
        let listener = ProxyListener(host: host, sessions: sessions, eventLoop: eventLoopGroup.next()) { listener in
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
            try await listener.bind(port: port)
        } catch {
            throw ProxyError.cannotListen(address: "\(host):\(port)", reason: "\(error)")
        }
        let front = Front(node: node, slots: slots, listener: listener, sessions: sessions)
        let kept = fronts.withLockedValue { fronts in
            if !fronts.stopped { fronts.started.append(front) }
            return !fronts.stopped
        }
        guard kept else {
            // The proxy stopped while this listener started (a node the cluster named late).
            await listener.stop()
            throw ProxyError.cannotListen(address: "\(host):\(port)", reason: "the proxy stopped")
        }
        return listener.port
    }

    /// The listeners, in the order they started.
    var listeners: [Front] { fronts.withLockedValue { $0.started } }

    /// Stops accepting connections and closes every open one; returns once they are closed.
    public func stop() async {
        cluster?.stop()
        let stopping = fronts.withLockedValue { fronts in
            fronts.stopped = true
            return fronts.started
        }
        for front in stopping {
            await front.listener.stop()
            // A connection accepted just before the listener closed registers a moment later.
            repeat {
                front.sessions.terminateAll()
            } while !(await front.sessions.settle(timeout: .milliseconds(200), timerLoop: front.listener.eventLoop))
        }
        try? await ownGroup?.shutdownGracefully()
    }

    /// Waits until no session is open any more (every client has closed, both connections of
    /// each session are closed and nothing is held for them) and no `down` period lasts: true,
    /// or false after `timeout`.
    public func settle(timeout: TimeAmount) async -> Bool {
        let deadline = NIODeadline.now() + timeout
        for front in listeners {
            let left = deadline - .now()
            guard await front.sessions.settle(timeout: max(left, .zero), timerLoop: front.listener.eventLoop) else {
                return false
            }
        }
        return true
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
