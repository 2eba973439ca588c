import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RESP

/// What the proxy owes the client for one command it received, oldest first.
enum OwedReply {
    /// The server's reply, passed on after `delay`.
    case server(delay: TimeAmount)
    /// The server's reply never reaches the client: both connections close when it arrives.
    case killAfter(reset: Bool)
    /// A dropped command: this reply in its place (or none), after `delay`.
    case fake(RESPValue?, delay: TimeAmount)
    /// A command sent in another's place: its reply is swallowed and this one sent instead.
    case replaced(RESPValue, delay: TimeAmount)
}

/// How every session of a proxy reaches the upstream server.
struct ProxyUpstream: Sendable {
    let endpoint: Endpoint
    let sslContext: NIOSSLContext?
    let serverHostname: String?
    let connectTimeout: TimeAmount
    /// nil when no rule is active and there is no command timeout: sessions then take the lean path.
    let counters: FaultCounters?
    /// Opens the upstream channel with the session's server-side handler in it; nil: a TCP or
    /// unix-socket connection to `endpoint`. Codec tests hand over an `EmbeddedChannel`.
    var connector: (@Sendable (any EventLoop, ProxySideHandler) throws -> Channel)? = nil
    /// Deadlines for asking a `redis+sentinel://` upstream's Sentinels for the primary.
    var sentinelOptions = ConnectionOptions()
    /// How long the upstream may stay silent after a command was forwarded; nil: no limit.
    var commandTimeout: TimeAmount? = nil
    /// The largest request or reply frame held while it arrives.
    var maxFrameBytes = RESPReplyLimits.defaultMaxReplyBytes
}

/// One client connection glued to its upstream connection, with the faults applied between them.
///
/// Both channels live on the same event loop, so the session needs no locks.
///
/// ```
///  client ─▶ ProxySideHandler(.client) ─▶ RESPFrameScanner.request ─▶ FaultSchedule ─┬─▶ HeldOutput ─▶ server
///                                                                    (per command)   └─▶ owed: fake reply
///  client ◀─ HeldOutput ◀─ owed.popFirst() ◀─ RESPFrameScanner.replyLength ◀─ ProxySideHandler(.server) ◀─ server
/// ```
///
/// Stream toxics (bandwidth, slicer, limit-data) sit last on each way out: what leaves a
/// `HeldOutput` is cut by `StreamShaping` into spaced pieces, held in a second, paced queue.
///
/// Without rules (and without a command timeout) the session frames requests only (to refuse
/// garbage) and passes replies on as they come: no reply framing, no fault checks, no
/// per-command bookkeeping.
///
/// A kill models the connection dying at a byte position: what the client sent before it
/// reaches the server (held request bytes included, as TCP delivers what was sent), nothing
/// after it does. The session stays registered with the proxy until both channels are closed.
final class ProxySession {
    /// What a poisoned transaction's EXEC is replaced with, and what the client gets for it.
    private static let discard = ByteBuffer(string: "*1\r\n$7\r\nDISCARD\r\n")
    private static let execAbort = RESPValue.error("EXECABORT Transaction discarded because of previous errors.")

    private let upstream: ProxyUpstream
    private let sessions: ProxySessions
    private let listener: ProxyListener
    private let client: Channel
    private var server: Channel?
    private var clientClosed = false
    /// Set once there is no upstream channel to wait for: it closed, or never connected.
    private var serverClosed = false
    var clientHandler: ProxySideHandler?
    private var serverHandler: ProxySideHandler?
    private var schedule: FaultSchedule?
    /// Request bytes not yet forming a whole command.
    private var requests: ByteBuffer?
    /// Reply bytes not yet forming a whole reply.
    private var replies: ByteBuffer?
    private var owed = CircularBuffer<OwedReply>()
    private let toServer = HeldOutput()
    private let toClient = HeldOutput()
    /// Pieces cut by the stream toxics, on their way out.
    private let pacedToServer = HeldOutput()
    private let pacedToClient = HeldOutput()
    private var requestShaping = StreamShaping()
    private var replyShaping = StreamShaping()
    /// Set once a limit-data close is on its way: later bytes are dropped.
    private var limitReached = false
    /// Set by `timeout`: nothing passes either way any more.
    private var blackHole = false
    /// Set by `slow-close`: how late a close is passed on to the other side.
    private var slowClose: TimeAmount?
    private var serverNeedsFlush = false
    private var clientNeedsFlush = false
    /// Set once the session is being torn down: nothing more is read or forwarded.
    private var finished = false
    /// Set after the client got a final error: its input is read and discarded until it closes.
    private var draining = false
    /// Set when the client half-closed before the upstream connection was up.
    private var clientInputClosed = false
    /// Set when the client closed before the upstream connection was up: what it sent is
    /// forwarded once connected, then the session ends.
    private var clientGoneBeforeUpstream = false
    /// Set once a close is held behind delayed replies: later input is never delivered.
    private var closing = false
    /// Set once a kill cut the request stream: nothing the client sends later is forwarded.
    private var requestsCut = false
    /// Inside MULTI: MULTI was forwarded, EXEC or DISCARD not yet.
    private var inTransaction = false
    /// A command of the transaction was dropped with an error: its EXEC becomes a DISCARD.
    private var transactionPoisoned = false
    /// Armed while a forwarded command waits for the upstream's first byte back.
    private var replyTimer: Scheduled<Void>?

    init(client: Channel, upstream: ProxyUpstream, sessions: ProxySessions, listener: ProxyListener) {
        self.client = client
        self.upstream = upstream
        self.sessions = sessions
        self.listener = listener
        sessions.opened(self, on: client.eventLoop)
        client.closeFuture.assumeIsolated().whenComplete { _ in
            self.clientClosed = true
            self.leaveIfClosed()
        }
        if var schedule = upstream.counters.map({ FaultSchedule(counters: $0) }) {
            let toxics = schedule.connectionStarted()
            self.schedule = schedule
            for toxic in toxics { apply(toxic) }
        }
    }

    /// Closes both connections now, dropping everything held (the proxy stops or goes down).
    func terminate() {
        toServer.cancel()
        pacedToServer.cancel()
        finish(reset: false)
        client.close(promise: nil)
        server?.close(promise: nil)
    }

    private func leaveIfClosed() {
        guard clientClosed, serverClosed else { return }
        sessions.closed(self)
    }

    // MARK: - Events from the handlers

    func active(_ side: ProxySide) {
        if side == .client { connectUpstream() }
    }

    func canRead(_ side: ProxySide) -> Bool {
        switch side {
        case .client: return draining || (server?.isWritable ?? false)
        case .server: return client.isWritable
        }
    }

    func becameWritable(_ side: ProxySide) {
        switch side {
        case .client: serverHandler?.resumeReading()
        case .server: clientHandler?.resumeReading()
        }
    }

    func read(_ buffer: ByteBuffer, from side: ProxySide) {
        guard !finished, !closing, !blackHole, side == .server || !requestsCut else { return }
        switch side {
        case .client:
            if var pending = requests {
                requests = nil
                var incoming = buffer
                pending.writeBuffer(&incoming)
                consumeRequests(&pending)
            } else {
                var incoming = buffer
                consumeRequests(&incoming)
            }
        case .server:
            upstreamAnswered()
            guard schedule != nil else {
                client.write(buffer, promise: nil)
                clientNeedsFlush = true
                return
            }
            if var pending = replies {
                replies = nil
                var incoming = buffer
                pending.writeBuffer(&incoming)
                consumeReplies(&pending)
            } else {
                var incoming = buffer
                consumeReplies(&incoming)
            }
        }
    }

    func readComplete(from side: ProxySide) {
        flush()
    }

    func inactive(_ side: ProxySide) {
        switch side {
        case .client:
            if server == nil, !serverClosed, !finished {
                clientGoneBeforeUpstream = true
            } else if let slowClose, !finished {
                client.eventLoop.assumeIsolated().scheduleTask(in: slowClose) { self.finish(reset: false) }
            } else {
                finish(reset: false)
            }
            // The client's end is the session's last event: let go of the handlers, which
            // hold the session in turn.
            clientHandler = nil
            serverHandler = nil
        case .server:
            guard !finished else { return }
            if let slowClose {
                client.eventLoop.assumeIsolated().scheduleTask(in: slowClose) { self.serverWentAway() }
            } else {
                serverWentAway()
            }
        }
    }

    /// The server closed (QUIT, timeout, restart): the client gets what is held first.
    private func serverWentAway() {
        guard !finished else { return }
        if toClient.isEmpty && pacedToClient.isEmpty {
            finish(reset: false)
        } else {
            closing = true
            if let deadline = toClient.hold(.close(reset: false), for: .zero) {
                scheduleRelease(toClient, at: deadline)
            }
        }
    }

    func inputClosed(_ side: ProxySide) {
        // The client will send nothing more: tell the server (after what is held for it), and
        // let its replies come back.
        guard side == .client, !finished else { return }
        guard server != nil else {
            clientInputClosed = true
            return
        }
        flush()
        if toServer.isEmpty {
            closeServerOutput()
        } else if let deadline = toServer.hold(.closeOutput, for: .zero) {
            scheduleRelease(toServer, at: deadline)
        }
    }

    private func closeServerOutput() {
        guard let server else { return }
        server.close(mode: .output).whenFailure { [client] _ in
            server.close(promise: nil)
            client.close(promise: nil)
        }
    }

    func failed(_ side: ProxySide, _ error: Error) {
        finish(reset: false)
    }

    // MARK: - Upstream

    private func connectUpstream() {
        if let connector = upstream.connector {
            let handler = ProxySideHandler(session: self, side: .server)
            serverHandler = handler
            do {
                upstreamConnected(try connector(client.eventLoop, handler))
            } catch {
                serverClosed = true
                upstreamUnreachable()
                leaveIfClosed()
            }
            return
        }
        let bound = NIOLoopBound(self, eventLoop: client.eventLoop)
        let upstream = self.upstream
        let bootstrap = ClientBootstrap(group: client.eventLoop)
            .connectTimeout(upstream.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext = upstream.sslContext {
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: upstream.serverHostname))
                    }
                    let handler = ProxySideHandler(session: bound.value, side: .server)
                    bound.value.serverHandler = handler
                    try sync.addHandler(handler)
                }
            }
        let connecting: EventLoopFuture<Channel>
        switch upstream.endpoint.address {
        case .tcp(let host, let port):
            connecting = bootstrap.channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1).connect(host: host, port: port)
        case .unix(let path):
            connecting = bootstrap.connect(unixDomainSocketPath: path)
        case .sentinel:
            // The primary as the Sentinels name it now, for each session: a failover is followed.
            let loop = client.eventLoop
            let resolving = loop.makePromise(of: Endpoint.self)
            resolving.completeWithTask {
                try await SentinelResolver.resolve(upstream.endpoint, options: upstream.sentinelOptions)
            }
            connecting = resolving.futureResult.assumeIsolated().flatMap { primary in
                guard case .tcp(let host, let port) = primary.address else {
                    return loop.makeFailedFuture(ChannelError.connectPending)
                }
                return bootstrap.channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1).connect(host: host, port: port)
            }.nonisolated()
        }
        connecting.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.upstreamConnected(channel)
            case .failure:
                self.serverClosed = true
                self.upstreamUnreachable()
                self.leaveIfClosed()
            }
        }
    }

    private func upstreamConnected(_ channel: Channel) {
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            self.serverClosed = true
            self.leaveIfClosed()
        }
        guard !finished else {
            channel.close(promise: nil)
            return
        }
        server = channel
        // A client that sent everything and half-closed before we were connected: its bytes
        // arrived with the end of its input, without a read of ours.
        if var early = requests {
            requests = nil
            consumeRequests(&early)
            flush()
        }
        if clientGoneBeforeUpstream {
            finish(reset: false)
        } else if clientInputClosed {
            inputClosed(.client)
        } else {
            clientHandler?.resumeReading()
        }
    }

    private func upstreamUnreachable() {
        guard !finished else { return }
        guard !clientGoneBeforeUpstream else {
            finish(reset: false)
            return
        }
        refuse("ERR redisaudit proxy: upstream unreachable")
    }

    /// Sends the client a last error and closes: our side first, then, once the client has
    /// closed too (or after a second), the socket. Closing with the client's bytes unread
    /// would send an RST that can destroy the error before the client reads it.
    private func refuse(_ message: String) {
        flush()
        finish(reset: false, keepingClient: true)
        draining = true
        let client = self.client
        client.writeAndFlush(ByteBuffer(bytes: RESPReplyEncoding.bytes(.error(message))), promise: nil)
        client.close(mode: .output, promise: nil)
        clientHandler?.resumeReading()
        client.eventLoop.scheduleTask(in: .seconds(1)) { client.close(promise: nil) }
    }

    // MARK: - Requests

    private func consumeRequests(_ buffer: inout ByteBuffer) {
        guard let server else {
            requests = buffer
            return
        }
        if schedule == nil {
            // The lean path: find where the last whole command ends and forward up to there.
            let scanned: Result<Int, RESPFrameError> = buffer.withUnsafeReadableBytes { bytes in
                var offset = 0
                do throws(RESPFrameError) {
                    while offset < bytes.count,
                        let frame = try RESPFrameScanner.request(
                            UnsafeRawBufferPointer(rebasing: bytes[offset...]), maximumBulkLength: upstream.maxFrameBytes)
                    {
                        offset += frame.length
                    }
                } catch {
                    return .failure(error)
                }
                return .success(offset)
            }
            switch scanned {
            case .failure(let error):
                protocolError(error)
                return
            case .success(let length):
                if length > 0, let whole = buffer.readSlice(length: length) {
                    server.write(whole, promise: nil)
                    serverNeedsFlush = true
                }
            }
        } else {
            while true {
                let frame: RESPRequestFrame
                do throws(RESPFrameError) {
                    guard let next = try RESPFrameScanner.request(in: buffer, maximumBulkLength: upstream.maxFrameBytes)
                    else { break }
                    frame = next
                } catch {
                    protocolError(error)
                    return
                }
                let bytes = buffer.readSlice(length: frame.length)!
                // An empty request gets no reply from the server: nothing is owed.
                guard frame.argumentCount > 0 else {
                    send(bytes, toServerAfter: .zero)
                    continue
                }
                let decision = schedule!.decide(frame.name)
                for toxic in decision.toxics { apply(toxic) }
                // A timeout swallows the command that fired it, and everything after.
                guard !blackHole else { return }
                switch decision.effect {
                case .killBefore(let reset):
                    // The connection dies just before this command: it and everything after
                    // it are lost.
                    requestsCut = true
                    flush()
                    finish(reset: reset)
                    return
                case .down(let duration):
                    // The server "restarts" before this command: every connection closes.
                    requestsCut = true
                    flush()
                    listener.down(for: duration)
                    return
                case .drop(let reply):
                    // A command that fails to queue poisons the transaction, as on a server.
                    if inTransaction, reply?.isError == true { transactionPoisoned = true }
                    owed.append(.fake(reply, delay: decision.replyDelay))
                    settleFakeReplies()
                case .killAfter(let reset):
                    // The connection dies just after this command: it runs, nothing after it
                    // is forwarded, and it closes when the reply comes.
                    send(bytes, toServerAfter: decision.requestDelay)
                    owed.append(.killAfter(reset: reset))
                    expectReply(after: decision.requestDelay)
                    requestsCut = true
                    flush()
                    return
                case .delayRequest, .delayReply, .stream, nil:
                    if transactionPoisoned, frame.name == "EXEC" {
                        send(Self.discard, toServerAfter: decision.requestDelay)
                        owed.append(.replaced(Self.execAbort, delay: decision.replyDelay))
                    } else {
                        send(bytes, toServerAfter: decision.requestDelay)
                        owed.append(.server(delay: decision.replyDelay))
                    }
                    expectReply(after: decision.requestDelay)
                    trackTransaction(frame.name)
                }
            }
        }
        guard buffer.readableBytes <= upstream.maxFrameBytes else {
            refuse("ERR redisaudit proxy: request: more than \(upstream.maxFrameBytes) bytes without an end (--max-reply-bytes)")
            return
        }
        if buffer.readableBytes > 0 { requests = buffer }
    }

    /// Follows MULTI, EXEC and DISCARD forwarded to the server.
    private func trackTransaction(_ name: String) {
        switch name {
        case "MULTI":
            inTransaction = true
        case "EXEC", "DISCARD":
            inTransaction = false
            transactionPoisoned = false
        default:
            break
        }
    }

    private func send(_ bytes: ByteBuffer, toServerAfter delay: TimeAmount) {
        if delay == .zero && toServer.isEmpty {
            deliver(bytes, to: .server)
        } else if let deadline = toServer.hold(.bytes(bytes), for: delay) {
            scheduleRelease(toServer, at: deadline)
        }
    }

    /// Garbage from the client: tell it, as Redis does, and close this client only.
    private func protocolError(_ error: RESPFrameError) {
        if error.announcedLength != nil {
            refuse("ERR redisaudit proxy: request: \(error.reason) (--max-reply-bytes)")
        } else {
            refuse("ERR redisaudit proxy: protocol error: \(error.reason)")
        }
    }

    // MARK: - Command timeout

    /// Arms the command timeout for a command forwarded now (or after `delay`), unless it is
    /// armed already for an earlier one still unanswered.
    ///
    /// The upstream must send something back within `--command-timeout` of a command reaching
    /// it; the timer runs again while replies are still owed. A timeout makes the session frame
    /// replies as fault rules do (see `FaultProxy.start`), so it knows which are owed.
    private func expectReply(after delay: TimeAmount) {
        guard let timeout = upstream.commandTimeout, replyTimer == nil else { return }
        replyTimer = client.eventLoop.assumeIsolated().scheduleTask(in: delay + timeout) { self.upstreamSilent(timeout) }
    }

    /// Bytes came from upstream: the oldest command is answered (or being answered).
    private func upstreamAnswered() {
        guard let timer = replyTimer else { return }
        timer.cancel()
        replyTimer = nil
        // A fake reply is the proxy's own; every other owed reply comes from upstream.
        if owed.contains(where: { if case .fake = $0 { return false } else { return true } }) {
            expectReply(after: .zero)
        }
    }

    /// The upstream stayed silent past the timeout: the client gets an error, the session ends
    /// (a reply arriving later could no longer be paired with its command).
    private func upstreamSilent(_ timeout: TimeAmount) {
        replyTimer = nil
        guard !finished else { return }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        refuse("ERR redisaudit proxy: upstream did not reply within \(shown)s")
    }

    // MARK: - Replies

    private func consumeReplies(_ buffer: inout ByteBuffer) {
        while !finished {
            let length: Int
            do {
                guard let next = try RESPFrameScanner.replyLength(in: buffer, maximumBulkLength: upstream.maxFrameBytes)
                else { break }
                length = next
            } catch {
                if error.announcedLength != nil {
                    refuse("ERR redisaudit proxy: upstream reply: \(error.reason) (--max-reply-bytes)")
                    return
                }
                // Not RESP from the server: nothing after this can be paired with a command.
                flush()
                finish(reset: false)
                return
            }
            let bytes = buffer.readSlice(length: length)!
            switch owed.popFirst() {
            case .none:
                // Nothing asked for it (a push message): pass it on.
                send(bytes, toClientAfter: .zero)
            case .server(let delay):
                send(bytes, toClientAfter: delay)
            case .killAfter(let reset):
                if toClient.isEmpty {
                    flush()
                    finish(reset: reset)
                } else {
                    closing = true
                    if let deadline = toClient.hold(.close(reset: reset), for: .zero) {
                        scheduleRelease(toClient, at: deadline)
                    }
                }
                // Whatever follows is never delivered.
                owed.removeAll()
                return
            case .fake(let reply, let delay):
                if let reply { send(ByteBuffer(bytes: RESPReplyEncoding.bytes(reply)), toClientAfter: delay) }
            case .replaced(let reply, let delay):
                send(ByteBuffer(bytes: RESPReplyEncoding.bytes(reply)), toClientAfter: delay)
            }
            settleFakeReplies()
        }
        guard buffer.readableBytes <= upstream.maxFrameBytes else {
            refuse(
                "ERR redisaudit proxy: upstream reply: more than \(upstream.maxFrameBytes) bytes without an end (--max-reply-bytes)"
            )
            return
        }
        if buffer.readableBytes > 0 { replies = buffer }
    }

    /// Sends the fake replies of dropped commands that are next in line.
    private func settleFakeReplies() {
        while case .fake(let reply, let delay) = owed.first {
            owed.removeFirst()
            if let reply { send(ByteBuffer(bytes: RESPReplyEncoding.bytes(reply)), toClientAfter: delay) }
        }
    }

    private func send(_ bytes: ByteBuffer, toClientAfter delay: TimeAmount) {
        if delay == .zero && toClient.isEmpty {
            deliver(bytes, to: .client)
        } else if let deadline = toClient.hold(.bytes(bytes), for: delay) {
            scheduleRelease(toClient, at: deadline)
        }
    }

    // MARK: - Stream toxics

    private func apply(_ toxic: StreamToxic) {
        switch toxic {
        case .bandwidth(_, let direction), .slicer(_, _, _, _, let direction), .limitData(_, let direction):
            if direction == .request {
                requestShaping.add(toxic)
            } else {
                replyShaping.add(toxic)
            }
        case .timeout(let duration):
            blackHole = true
            for queue in [toServer, toClient, pacedToServer, pacedToClient] { queue.cancel() }
            owed.removeAll()
            if let duration {
                client.eventLoop.assumeIsolated().scheduleTask(in: duration) { self.finish(reset: false) }
            }
        case .slowClose(let duration):
            slowClose = duration
        }
    }

    /// Writes bytes that are due to one side, through its stream toxics if any apply.
    private func deliver(_ bytes: ByteBuffer, to side: ProxySide) {
        guard !blackHole, !limitReached else { return }
        let cut: (pieces: [StreamShaping.Piece], limitReached: Bool)
        switch side {
        case .server:
            guard requestShaping.isActive else {
                server?.write(bytes, promise: nil)
                serverNeedsFlush = true
                return
            }
            cut = requestShaping.cut(bytes)
        case .client:
            guard replyShaping.isActive else {
                client.write(bytes, promise: nil)
                clientNeedsFlush = true
                return
            }
            cut = replyShaping.cut(bytes)
        }
        let queue = side == .server ? pacedToServer : pacedToClient
        for piece in cut.pieces {
            if let deadline = queue.hold(.bytes(piece.bytes), spacedBy: piece.spacing) { scheduleRelease(queue, at: deadline) }
        }
        if cut.limitReached {
            // Both connections close once the last byte allowed is out.
            limitReached = true
            if let deadline = queue.hold(.close(reset: false), spacedBy: .zero) { scheduleRelease(queue, at: deadline) }
        }
    }

    // MARK: - Held output, flushing, closing

    private func scheduleRelease(_ queue: HeldOutput, at deadline: NIODeadline) {
        queue.timer = client.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.release(queue)
        }
    }

    private func release(_ queue: HeldOutput) {
        let side: ProxySide = queue === toServer || queue === pacedToServer ? .server : .client
        let paced = queue === pacedToServer || queue === pacedToClient
        // Once the session is finished only request bytes already sent on their way go on.
        guard !finished || side == .server else { return }
        let channel = side == .server ? server : client
        let (items, next) = queue.due(at: .now())
        queue.timer = nil
        for item in items {
            switch item {
            case .bytes(let bytes):
                if paced {
                    channel?.write(bytes, promise: nil)
                } else {
                    deliver(bytes, to: side)
                    flush()
                }
            case .closeOutput:
                channel?.flush()
                closeServerOutput()
            case .close(let reset):
                channel?.flush()
                let pacedQueue = side == .server ? pacedToServer : pacedToClient
                if !paced, !pacedQueue.isEmpty {
                    // Pieces cut by a toxic are still on their way: the close goes after them.
                    _ = pacedQueue.hold(.close(reset: reset), spacedBy: .zero)
                } else if finished {
                    close(channel, reset: reset)
                } else {
                    flush()
                    finish(reset: reset)
                }
                return
            }
        }
        channel?.flush()
        if let next { scheduleRelease(queue, at: next) }
    }

    private func flush() {
        if serverNeedsFlush {
            serverNeedsFlush = false
            server?.flush()
        }
        if clientNeedsFlush {
            clientNeedsFlush = false
            client.flush()
        }
    }

    /// Closes both connections (with a TCP RST when `reset`), dropping the replies held.
    /// Request bytes held for a still open server go out first, then the server's connection
    /// closes: the client sent them before it died.
    private func finish(reset: Bool, keepingClient: Bool = false) {
        guard !finished else { return }
        // What was already passed on goes out first: a server that closes right after its last
        // reply (QUIT, or after the client's half-close) may close before the read completes.
        flush()
        finished = true
        replyTimer?.cancel()
        replyTimer = nil
        toClient.cancel()
        pacedToClient.cancel()
        owed.removeAll()
        if !keepingClient { close(client, reset: reset) }
        if let server, server.isActive, !toServer.isEmpty {
            _ = toServer.hold(.close(reset: reset), for: .zero)
        } else if let server, server.isActive, !pacedToServer.isEmpty {
            _ = pacedToServer.hold(.close(reset: reset), spacedBy: .zero)
        } else {
            toServer.cancel()
            pacedToServer.cancel()
            close(server, reset: reset)
        }
    }

    private func close(_ channel: Channel?, reset: Bool) {
        guard let channel else { return }
        if reset, let socket = channel as? SocketOptionProvider {
            _ = socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        channel.close(promise: nil)
    }
}
