import NIOCore
import RESP

/// How every session of a proxy reaches the upstream server.
struct ProxyUpstream: Sendable {
    /// The server (a `redis+sentinel://` one is resolved for each session).
    let endpoint: Endpoint
    /// Opens the connection (TCP, TLS, unix socket) as `RedisConnection` does.
    let connector: EndpointConnector
    /// nil when no rule is active and there is no command timeout: sessions then take the lean path.
    let counters: FaultCounters?
    /// Opens the upstream channel with the session's server-side handler in it instead of
    /// `connector`. Codec tests hand over an `EmbeddedChannel`.
    var openChannel: (@Sendable (any EventLoop, ProxySideHandler) throws -> Channel)? = nil
    /// Deadlines for asking a `redis+sentinel://` upstream's Sentinels for the primary.
    var sentinelOptions = ConnectionOptions()
    /// How long the upstream may stay silent after a command was forwarded; nil: no limit.
    var commandTimeout: TimeAmount? = nil
    /// The largest request or reply frame held while it arrives.
    var maxFrameBytes = RESPReplyLimits.defaultMaxReplyBytes
    /// In front of a cluster: the listeners that node addresses in replies are rewritten to
    /// (sessions then always frame replies); nil in front of one server.
    var cluster: ClusterAddressMap? = nil
    /// Where sessions report fault firings and connections; nil when no one observes.
    var events: ProxyEventRelay? = nil
    /// Where sessions keep what their client sends and gets; nil when nothing is recorded.
    var recorder: TrafficRecorder? = nil

    /// Opens the upstream connection for a session on `loop`; `handler` is its server side.
    func connect(on loop: any EventLoop, handler: @escaping @Sendable (Channel) throws -> Void) -> EventLoopFuture<Channel> {
        guard case .sentinel = endpoint.address else {
            return connector.connect(to: endpoint.address, on: loop, handlers: handler)
        }
        // The primary as the Sentinels name it now, for each session: a failover is followed.
        let resolving = loop.makePromise(of: Endpoint.self)
        resolving.completeWithTask { [endpoint, sentinelOptions] in
            try await SentinelResolver.resolve(endpoint, options: sentinelOptions)
        }
        return resolving.futureResult.flatMap { [connector] primary in
            guard case .tcp = primary.address else { return loop.makeFailedFuture(ChannelError.connectPending) }
            return connector.connect(to: primary.address, on: loop, handlers: handler)
        }
    }
}
