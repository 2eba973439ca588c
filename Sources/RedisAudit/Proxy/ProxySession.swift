import Foundation
import NIOCore
import NIOPosix
import RESP

/// One client connection glued to its upstream connection, with the faults applied between them.
///
/// Both channels live on the same event loop, so the session needs no locks. Its life is one
/// `ProxySessionState`; what the faults ask of the streams arrives as `FaultStreams`.
///
/// ```
///  client ─▶ ProxySideHandler(.client) ─▶ RESPFrameScanner.request ─▶ FaultSchedule ─┬─▶ HeldOutput ─▶ StreamStages ─▶ server
///                                                                    (per command)   └─▶ owed: fake reply
///  client ◀─ StreamStages ◀─ HeldOutput ◀─ owed.popFirst() ◀─ RESPFrameScanner.replyLength ◀─ ProxySideHandler(.server) ◀─ server
/// ```
///
/// Without rules (and without a command timeout) the session frames requests only (to refuse
/// garbage) and passes replies on as they come: no reply framing, no fault checks, no
/// per-command bookkeeping.
///
/// A kill models the connection dying at a byte position: what the client sent before it
/// reaches the server (held request bytes included, as TCP delivers what was sent), nothing
/// after it does. The session stays registered with the proxy until both channels are closed.
final class ProxySession {
    let upstream: ProxyUpstream
    let sessions: ProxySessions
    let listener: ProxyListener
    let client: Channel
    var server: Channel?
    var state = ProxySessionState.connecting(.open, silent: false)
    var clientClosed = false
    /// Set once there is no upstream channel to wait for: it closed, or never connected.
    var serverClosed = false
    var clientHandler: ProxySideHandler?
    var serverHandler: ProxySideHandler?
    var schedule: FaultSchedule?
    /// Request bytes not yet forming a whole command.
    var requests: ByteBuffer?
    /// Reply bytes not yet forming a whole reply.
    var replies: ByteBuffer?
    var owed = CircularBuffer<OwedReply>()
    var transaction = TransactionState.none
    let toServer = HeldOutput()
    let toClient = HeldOutput()
    /// Pieces cut by the stream stages, on their way out.
    let pacedToServer = HeldOutput()
    let pacedToClient = HeldOutput()
    var requestStages = StreamStages()
    var replyStages = StreamStages()
    /// Set once a stream stage's close is on its way: later bytes are dropped.
    var limitReached = false
    /// Set by `slow-close`: how late a close is passed on to the other side.
    var slowClose: TimeAmount?
    var serverNeedsFlush = false
    var clientNeedsFlush = false
    /// Armed while a forwarded command waits for the upstream's first byte back.
    var replyTimer: Scheduled<Void>?
    /// The connection as events name it; nil when the proxy has no observer.
    var identity: ProxyClient?
    /// What the client sent and got, kept for `record`; nil when the proxy records nothing.
    var recording: ConnectionRecording?

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
        if let events = upstream.events { identity = events.opened(from: client.remoteAddress) }
        recording = upstream.recorder?.opened(from: client.remoteAddress)
        if var schedule = upstream.counters.map({ FaultSchedule(counters: $0, describesFirings: upstream.events != nil) }) {
            let streams = schedule.connectionStarted()
            self.schedule = schedule
            if !streams.fired.isEmpty { report(streams, command: nil, request: nil) }
            apply(streams)
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

    func leaveIfClosed() {
        guard clientClosed, serverClosed else { return }
        if let recording {
            self.recording = nil
            recording.recorder.closed(recording)
        }
        if let identity {
            self.identity = nil
            upstream.events?.closed(identity)
        }
        sessions.closed(self)
    }

    // MARK: - Events from the handlers

    func active(_ side: ProxySide) {
        if side == .client { connectUpstream() }
    }

    func canRead(_ side: ProxySide) -> Bool {
        switch side {
        case .client: return state.discardsClientInput || (server?.isWritable ?? false)
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
        guard state.accepts(from: side) else { return }
        switch side {
        case .client:
            recording?.read()
            var incoming = buffer
            if var pending = requests {
                requests = nil
                pending.writeBuffer(&incoming)
                consumeRequests(&pending)
            } else {
                consumeRequests(&incoming)
            }
        case .server:
            if replyTimer != nil { upstreamAnswered() }
            guard schedule != nil else {
                client.write(buffer, promise: nil)
                clientNeedsFlush = true
                return
            }
            var incoming = buffer
            if var pending = replies {
                replies = nil
                pending.writeBuffer(&incoming)
                consumeReplies(&pending)
            } else {
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
            switch state.clientClosed() {
            case .wait, .ignore:
                break
            case .passOn:
                if let slowClose {
                    client.eventLoop.assumeIsolated().scheduleTask(in: slowClose) { self.finish(reset: false) }
                } else {
                    finish(reset: false)
                }
            }
            // The client's end is the session's last event: let go of the handlers, which
            // hold the session in turn.
            clientHandler = nil
            serverHandler = nil
        case .server:
            guard !state.isFinished else { return }
            if let slowClose {
                client.eventLoop.assumeIsolated().scheduleTask(in: slowClose) { self.serverWentAway() }
            } else {
                serverWentAway()
            }
        }
    }

    /// The server closed (QUIT, timeout, restart): the client gets what is held first.
    func serverWentAway() {
        guard !state.isFinished else { return }
        if toClient.isEmpty && pacedToClient.isEmpty {
            finish(reset: false)
        } else {
            state.holdClose()
            if let deadline = toClient.hold(.close(reset: false), for: .zero) {
                scheduleRelease(toClient, at: deadline)
            }
        }
    }

    func inputClosed(_ side: ProxySide) {
        // The client will send nothing more: tell the server (after what is held for it), and
        // let its replies come back.
        guard side == .client, state.clientInputClosed() == .passOn else { return }
        passOnClientInputClosed()
    }

    func passOnClientInputClosed() {
        flush()
        if toServer.isEmpty {
            closeServerOutput()
        } else if let deadline = toServer.hold(.closeOutput, for: .zero) {
            scheduleRelease(toServer, at: deadline)
        }
    }

    func closeServerOutput() {
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

    func connectUpstream() {
        if let openChannel = upstream.openChannel {
            let handler = ProxySideHandler(session: self, side: .server)
            serverHandler = handler
            do {
                upstreamConnected(try openChannel(client.eventLoop, handler))
            } catch {
                serverClosed = true
                upstreamUnreachable()
                leaveIfClosed()
            }
            return
        }
        let bound = NIOLoopBound(self, eventLoop: client.eventLoop)
        let connecting = upstream.connect(on: client.eventLoop) { channel in
            let handler = ProxySideHandler(session: bound.value, side: .server)
            bound.value.serverHandler = handler
            try channel.pipeline.syncOperations.addHandler(handler)
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

    func upstreamConnected(_ channel: Channel) {
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            self.serverClosed = true
            self.leaveIfClosed()
        }
        let next = state.upstreamConnected()
        guard next != .closeUpstream else {
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
        switch next {
        case .forwardThenFinish: finish(reset: false)
        case .forwardThenCloseOutput: if !state.isFinished { passOnClientInputClosed() }
        case .forward: clientHandler?.resumeReading()
        case .closeUpstream: break
        }
    }

    func upstreamUnreachable() {
        guard !state.isFinished else { return }
        if case .connecting(.gone, _) = state {
            finish(reset: false)
            return
        }
        refuse("ERR redisaudit proxy: upstream unreachable")
    }

    /// Sends the client a last error and closes: our side first, then, once the client has
    /// closed too (or after a second), the socket. Closing with the client's bytes unread
    /// would send an RST that can destroy the error before the client reads it.
    func refuse(_ message: String) {
        flush()
        finish(reset: false, keepingClient: true)
        state.refuse()
        let client = self.client
        client.writeAndFlush(ByteBuffer(bytes: RESPReplyEncoding.bytes(.error(message))), promise: nil)
        client.close(mode: .output, promise: nil)
        clientHandler?.resumeReading()
        client.eventLoop.scheduleTask(in: .seconds(1)) { client.close(promise: nil) }
    }

    // MARK: - Requests

    func consumeRequests(_ buffer: inout ByteBuffer) {
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
            guard consumeFaultedRequests(&buffer) else { return }
        }
        guard buffer.readableBytes <= upstream.maxFrameBytes else {
            refuse("ERR redisaudit proxy: request: more than \(upstream.maxFrameBytes) bytes without an end (--max-reply-bytes)")
            return
        }
        if buffer.readableBytes > 0 { requests = buffer }
    }

    /// Garbage from the client: tell it, as Redis does, and close this client only.
    func protocolError(_ error: RESPFrameError) {
        if error.announcedLength != nil {
            refuse("ERR redisaudit proxy: request: \(error.reason) (--max-reply-bytes)")
        } else {
            refuse("ERR redisaudit proxy: protocol error: \(error.reason)")
        }
    }

    // MARK: - Flushing, closing

    func flush() {
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
    func finish(reset: Bool, keepingClient: Bool = false) {
        // What was already passed on goes out first: a server that closes right after its last
        // reply (QUIT, or after the client's half-close) may close before the read completes.
        guard !state.isFinished else { return }
        flush()
        _ = state.finish()
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

    func close(_ channel: Channel?, reset: Bool) {
        guard let channel else { return }
        if reset, let socket = channel as? SocketOptionProvider {
            _ = socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        channel.close(promise: nil)
    }
}
