import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RESP

/// One RESP2 connection to an endpoint: authenticated, on the right database, every
/// command under a deadline.
///
/// ```
///   socket ─▶ [TLS] ─▶ RESPValueDecoder ─▶ RedisCommandHandler ─▶ promises
///   socket ◀─ [TLS] ◀─ RedisCommandHandler (encodes each batch) ◀─ send(_:)
/// ```
public final class RedisConnection: Sendable {
    /// The endpoint this connection talks to.
    public let endpoint: Endpoint
    /// The deadlines in force.
    public let options: ConnectionOptions
    private let channel: Channel
    /// The first error that broke the connection, as the command handler saw it.
    private let failure: NIOLockedValueBox<String?>

    private init(endpoint: Endpoint, options: ConnectionOptions, channel: Channel, failure: NIOLockedValueBox<String?>) {
        self.endpoint = endpoint
        self.options = options
        self.channel = channel
        self.failure = failure
    }

    /// Opens, authenticates and selects the database, each attempt within `options.connectTimeout`.
    ///
    /// A `redis+sentinel://` endpoint connects to the primary its Sentinels name now. Handshake
    /// extras (`CLIENT SETNAME`) the endpoint refused are remembered in ``HandshakeRefusals``:
    /// the connection is made again without them, and later connections leave them out.
    public static func connect(
        to endpoint: Endpoint,
        options: ConnectionOptions = ConnectionOptions(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(EndpointError) -> RedisConnection {
        let endpoint = try await SentinelResolver.resolve(endpoint, options: options, eventLoopGroup: eventLoopGroup)
        let refusals = options.handshakeRefusals
        var extras = refusals.remaining(HandshakeExtra.requested(by: options, endpoint: endpoint), for: endpoint.address)
        var attempt = try await open(endpoint, options: options, eventLoopGroup: eventLoopGroup, extras: extras)
        while attempt.outcome == .closedOnExtra {
            // The refusal is remembered, so each attempt has fewer extras: once more, without it.
            extras = refusals.remaining(extras, for: endpoint.address)
            attempt = try await open(endpoint, options: options, eventLoopGroup: eventLoopGroup, extras: extras)
        }
        switch attempt.outcome {
        case .ready, .closedOnExtra:
            return attempt.connection
        case .closedInBatch:
            // The connection closed before the essentials' replies: the essentials alone, then each extra on its own.
            var current = try await open(endpoint, options: options, eventLoopGroup: eventLoopGroup, extras: []).connection
            for extra in extras {
                switch await current.send([extra.command], timeout: options.connectTimeout)[0] {
                case .reply(let value):
                    if value.isError { refusals.remember(extra, refusedBy: endpoint.address) }
                case .failed:
                    refusals.remember(extra, refusedBy: endpoint.address)
                    await current.close()
                    current = try await open(endpoint, options: options, eventLoopGroup: eventLoopGroup, extras: []).connection
                }
            }
            return current
        }
    }

    /// How a handshake ended when it did not throw.
    private enum HandshakeOutcome {
        /// Ready for commands.
        case ready
        /// The essentials were answered, then the connection closed on an extra (now remembered as refused).
        case closedOnExtra
        /// The connection closed before the essentials were answered, with extras in the same batch.
        case closedInBatch
    }

    /// One connection attempt: TCP (and TLS), then the handshake with `extras`.
    private static func open(
        _ endpoint: Endpoint, options: ConnectionOptions, eventLoopGroup: any EventLoopGroup, extras: [HandshakeExtra]
    ) async throws(EndpointError) -> (connection: RedisConnection, outcome: HandshakeOutcome) {
        let connector = try EndpointConnector(endpoint: endpoint, options: options)
        let failure = NIOLockedValueBox<String?>(nil)
        let channel: Channel
        do {
            channel = try await connector.connect(to: endpoint.address, on: eventLoopGroup) { channel in
                let sync = channel.pipeline.syncOperations
                if endpoint.transport == .rest {
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(RESTBridge(endpoint: endpoint, faults: options.restFaults))
                }
                try sync.addHandler(ByteToMessageHandler(RESPValueDecoder(limits: options.replyLimits)))
                try sync.addHandler(RedisCommandHandler(failure: failure))
            }.get()
        } catch {
            throw EndpointError.unreachable(endpoint: endpoint.description, reason: describeConnectError(error))
        }
        Interruption.current?.track(channel)
        let connection = RedisConnection(endpoint: endpoint, options: options, channel: channel, failure: failure)
        let outcome: HandshakeOutcome
        do {
            outcome = try await connection.handshake(extras: extras)
        } catch {
            await connection.close()
            throw error
        }
        if outcome != .ready { await connection.close() }
        return (connection, outcome)
    }

    /// AUTH, SELECT, a PING and the extras in one round trip, under the connect deadline.
    /// Refusals of the essentials throw; an extra's refusal is remembered.
    private func handshake(extras: [HandshakeExtra]) async throws(EndpointError) -> HandshakeOutcome {
        // A REST connection is a keep-alive socket: once the API accepted the token, another
        // one has nothing to set up, and a request of its own would only cost a round trip.
        if endpoint.transport == .rest, RESTBridge.accepted.withLockedValue({ $0.contains(endpoint) }) { return .ready }
        var commands: [RESPCommand] = []
        var names: [String] = []
        // Over REST the password is each request's bearer token, and there is only database 0.
        if let password = endpoint.password, endpoint.transport == .resp {
            if let username = endpoint.username {
                commands.append(RESPCommand("AUTH", username, password))
            } else {
                commands.append(RESPCommand("AUTH", password))
            }
            names.append("AUTH")
        }
        if endpoint.database != 0 {
            commands.append(RESPCommand("SELECT", String(endpoint.database)))
            names.append("SELECT \(endpoint.database)")
        }
        commands.append(RESPCommand("PING"))
        names.append("PING")
        let outcomes = await send(commands + extras.map(\.command), timeout: options.connectTimeout)
        for (name, outcome) in zip(names, outcomes) {
            switch outcome {
            case .failed(let failure):
                if !extras.isEmpty, case .connectionClosed = failure { return .closedInBatch }
                if case .limitExceeded(let reason) = failure {
                    throw EndpointError.unsuitable(endpoint: endpoint.description, sentence: "\(endpoint.description): \(reason)")
                }
                throw EndpointError.unreachable(
                    endpoint: endpoint.description, reason: describeHandshakeFailure(failure, transport: endpoint.transport))
            case .reply(let value):
                guard case .error(let message) = value else { continue }
                if message.hasPrefix("NOAUTH"), endpoint.transport == .rest {
                    throw EndpointError.refused(
                        endpoint: endpoint.description,
                        reason:
                            "the REST API refused the token (\(message.dropFirst("NOAUTH ".count))): give the database's REST "
                            + "token as the endpoint's password (REDISAUDIT_PASSWORD_A, _B or REDISAUDIT_PASSWORD)")
                }
                if message.hasPrefix("NOAUTH") {
                    throw EndpointError.refused(
                        endpoint: endpoint.description,
                        reason:
                            "the server requires a password (give it in the URL or in the endpoint's password environment variable)"
                    )
                }
                throw EndpointError.refused(
                    endpoint: endpoint.description, reason: "\(name == "AUTH" ? "AUTH" : name): \(message)")
            }
        }
        var closed = false
        for (extra, outcome) in zip(extras, outcomes.dropFirst(names.count)) where outcome.isFailure {
            options.handshakeRefusals.remember(extra, refusedBy: endpoint.address)
            if case .failed = outcome { closed = true }
        }
        if endpoint.transport == .rest { RESTBridge.accepted.withLockedValue { _ = $0.insert(endpoint) } }
        return closed ? .closedOnExtra : .ready
    }

    /// Sends the commands back to back and waits for every reply (or failure) within the
    /// command timeout. Error replies are values, not thrown.
    public func send(_ commands: [RESPCommand]) async -> [CommandOutcome] {
        await send(commands, timeout: options.commandTimeout)
    }

    /// Sends the commands with an explicit deadline for the whole batch.
    public func send(_ commands: [RESPCommand], timeout: TimeAmount) async -> [CommandOutcome] {
        guard !commands.isEmpty else { return [] }
        // The future never fails: every command ends with a reply or a transport failure.
        return (try? await pipeline(commands, timeout: timeout).get()) ?? []
    }

    /// Writes the commands back to back and returns at once; the future completes with one
    /// outcome per command when the last reply (or the failure) is in. Several pipelines may
    /// be in flight on one connection: replies come back in the order they were sent.
    ///
    /// ```
    ///   pipeline([SCAN 17 ...])          ─▶ ┐
    ///   pipeline([TYPE k1, PTTL k1, ...]) ─▶ ┘ server ─▶ [SCAN reply] [TYPE, PTTL, ...]
    /// ```
    public func pipeline(_ commands: [RESPCommand], timeout: TimeAmount? = nil) -> EventLoopFuture<[CommandOutcome]> {
        submit(count: commands.count) { collector in
            RedisRequest(commands: commands, collector: collector, timeout: timeout ?? options.commandTimeout)
        }
    }

    /// Like ``pipeline(_:timeout:)`` for `count` commands the caller encoded into `bytes`
    /// (with ``RESPCommandEncoding``), for batches too large to build one command value each.
    public func pipeline(encoded bytes: ByteBuffer, count: Int, timeout: TimeAmount? = nil) -> EventLoopFuture<[CommandOutcome]> {
        submit(count: count) { collector in
            RedisRequest(encoded: bytes, count: count, collector: collector, timeout: timeout ?? options.commandTimeout)
        }
    }

    /// Writes a request whose `count` replies a collector gathers into one future.
    private func submit(count: Int, _ request: (ReplyCollector) -> RedisRequest) -> EventLoopFuture<[CommandOutcome]> {
        let loop = channel.eventLoop
        guard count > 0 else { return loop.makeSucceededFuture([]) }
        let collector = ReplyCollector(expected: count, promise: loop.makePromise(of: [CommandOutcome].self))
        // A channel that closed before the request reached the command handler fails the write,
        // not the replies: fail them here, or they would wait forever.
        let written = loop.makePromise(of: Void.self)
        let failure = self.failure
        written.futureResult.whenFailure { error in
            let reason = failure.withLockedValue { $0 } ?? String(describing: error)
            collector.failRemaining(.connectionClosed(reason))
        }
        channel.writeAndFlush(request(collector), promise: written)
        return collector.promise.futureResult
    }

    /// A buffer from the connection's allocator, for ``pipeline(encoded:count:timeout:)``.
    public func makeBuffer(capacity: Int) -> ByteBuffer { channel.allocator.buffer(capacity: capacity) }

    /// Sends one command; throws a transport failure, returns error replies as values.
    public func execute(_ command: RESPCommand) async throws(TransportFailure) -> RESPValue {
        switch await send([command])[0] {
        case .reply(let value): return value
        case .failed(let failure): throw failure
        }
    }

    /// Convenience: a command from text arguments.
    public func execute(_ arguments: String...) async throws(TransportFailure) -> RESPValue {
        try await execute(RESPCommand(strings: arguments))
    }

    /// Round-trip times of `count` sequential PINGs in nanoseconds, timed on the event loop
    /// itself so the figure is the network and server, not the hop into Swift concurrency;
    /// nil when a PING fails.
    public func pingRoundTrips(_ count: Int) async -> [Int64]? {
        guard count > 0 else { return [] }
        let loop = channel.eventLoop
        let channel = self.channel
        let timeout = options.commandTimeout
        let done = loop.makePromise(of: [Int64]?.self)
        loop.execute {
            let samples = NIOLoopBoundBox([Int64](), eventLoop: loop)
            samples.value.reserveCapacity(count)
            @Sendable func ping(_ remaining: Int) {
                let start = NIODeadline.now()
                let reply = loop.makePromise(of: RESPValue.self)
                let written = loop.makePromise(of: Void.self)
                written.futureResult.whenFailure { reply.fail($0) }
                channel.writeAndFlush(
                    RedisRequest(commands: [RESPCommand("PING")], promises: [reply], timeout: timeout), promise: written)
                reply.futureResult.whenComplete { result in
                    guard case .success(.simpleString) = result else { return done.succeed(nil) }
                    samples.value.append((NIODeadline.now() - start).nanoseconds)
                    if remaining > 1 { ping(remaining - 1) } else { done.succeed(samples.value) }
                }
            }
            ping(count)
        }
        return try? await done.futureResult.get()
    }

    /// True while the socket is open.
    public var isActive: Bool { channel.isActive }

    /// The event loop the connection's channel runs on.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// Closes the connection (idempotent).
    public func close() async {
        try? await channel.close().get()
    }
}

private func describeConnectError(_ error: Error) -> String {
    if let channelError = error as? ChannelError, case .connectTimeout(let t) = channelError {
        return "connect timed out after \(t.nanoseconds / 1_000_000) ms"
    }
    let text = String(describing: error)
    if text.contains("Connection refused") || text.contains("connection refused") { return "connection refused" }
    return text
}

private func describeHandshakeFailure(_ failure: TransportFailure, transport: Endpoint.Transport) -> String {
    let text = failure.description
    if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed")
        || text.contains("handshakeFailed")
    {
        return "TLS handshake failed (certificate not trusted: check --tls-ca / --tls-server-name): \(text)"
    }
    if case .timeout = failure { return "no answer to the handshake within the connect timeout" }
    // The wrong protocol for the port: say which URL the server takes.
    switch (transport, failure) {
    case (.resp, .protocolError) where text.contains("HTTP/1."):
        return "it answers HTTP, not RESP: an Upstash REST URL or a rest-gateway takes upstash+https:// (upstash+http://)"
    case (.rest, .connectionClosed), (.rest, .protocolError):
        return "no Upstash REST answer (\(text)): a Redis server's own port takes redis:// or rediss://; "
            + "upstash+https:// is for the database's REST URL"
    default:
        return text
    }
}

/// `--tls-server-name`: the server's certificate must carry the name among its DNS names
/// (a `*.` wildcard covers one label), whatever its IP addresses say.
enum CertificateName {
    /// Succeeds when the certificate names `name` (or has no alternative names at all, when
    /// NIOSSL has already checked its common name against it).
    static func check(_ certificate: NIOSSLCertificate, names name: String, on loop: any EventLoop) -> EventLoopFuture<Void> {
        var dnsNames: [String] = []
        var others: [String] = []
        for alternative in certificate._subjectAlternativeNames() {
            switch alternative.nameType {
            case .dnsName: dnsNames.append(String(decoding: Array(alternative.contents), as: UTF8.self))
            case .ipAddress: others.append("an IP address")
            default: others.append("a non-DNS name")
            }
        }
        if dnsNames.isEmpty && others.isEmpty { return loop.makeSucceededVoidFuture() }
        if dnsNames.contains(where: { matches($0, name) }) { return loop.makeSucceededVoidFuture() }
        let named = dnsNames.isEmpty ? "no DNS name" : dnsNames.joined(separator: ", ")
        return loop.makeFailedFuture(
            CertificateNameError(
                description: "the server certificate does not name \(name) (--tls-server-name); it names \(named)"))
    }

    /// A DNS name from a certificate against the name asked for, case-insensitively.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        let pattern = pattern.lowercased()
        let name = name.lowercased().hasSuffix(".") ? String(name.lowercased().dropLast()) : name.lowercased()
        guard pattern.hasPrefix("*.") else { return pattern == name }
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return false }
        return name[dot...] == pattern.dropFirst()
    }
}

/// The certificate's names did not include `--tls-server-name`.
struct CertificateNameError: Error, CustomStringConvertible {
    var description: String
}
