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
    /// What a poisoned transaction's EXEC is replaced with, and what the client gets for it.
    private static let discard = ByteBuffer(string: "*1\r\n$7\r\nDISCARD\r\n")
    private static let execAbort = RESPValue.error("EXECABORT Transaction discarded because of previous errors.")

    private let upstream: ProxyUpstream
    private let sessions: ProxySessions
    private let listener: ProxyListener
    private let client: Channel
    private var server: Channel?
    private var state = ProxySessionState.connecting(.open, silent: false)
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
    private var transaction = TransactionState.none
    private let toServer = HeldOutput()
    private let toClient = HeldOutput()
    /// Pieces cut by the stream stages, on their way out.
    private let pacedToServer = HeldOutput()
    private let pacedToClient = HeldOutput()
    private var requestStages = StreamStages()
    private var replyStages = StreamStages()
    /// Set once a stream stage's close is on its way: later bytes are dropped.
    private var limitReached = false
    /// Set by `slow-close`: how late a close is passed on to the other side.
    private var slowClose: TimeAmount?
    private var serverNeedsFlush = false
    private var clientNeedsFlush = false
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
            let streams = schedule.connectionStarted()
            self.schedule = schedule
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
    private func serverWentAway() {
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

    private func passOnClientInputClosed() {
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

    private func upstreamConnected(_ channel: Channel) {
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

    private func upstreamUnreachable() {
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
    private func refuse(_ message: String) {
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
            // Commands no fault touches go out together, as one slice of the bytes read.
            var run = PassThroughRun()
            let asRead = buffer
            while true {
                let frame: RESPRequestFrame
                do throws(RESPFrameError) {
                    guard let next = try RESPFrameScanner.request(in: buffer, maximumBulkLength: upstream.maxFrameBytes)
                    else { break }
                    frame = next
                } catch {
                    send(run.take(from: asRead), toServerAfter: .zero)
                    protocolError(error)
                    return
                }
                // An empty request gets no reply from the server: nothing is owed.
                guard frame.argumentCount > 0 else {
                    if passesStraight(to: .server) {
                        run.extend(at: buffer.readerIndex, by: frame.length)
                        buffer.moveReaderIndex(forwardBy: frame.length)
                    } else {
                        send(run.take(from: asRead), toServerAfter: .zero)
                        send(buffer.readSlice(length: frame.length)!, toServerAfter: .zero)
                    }
                    continue
                }
                let streams = schedule!.decide(frame.name)
                if streams.isUntouched, passesStraight(to: .server), transaction != .poisoned || frame.name != "EXEC" {
                    run.extend(at: buffer.readerIndex, by: frame.length)
                    buffer.moveReaderIndex(forwardBy: frame.length)
                    owed.append(.server(delay: .zero))
                    expectReply(after: .zero)
                    transaction.forwarded(frame.name)
                    continue
                }
                send(run.take(from: asRead), toServerAfter: .zero)
                guard forward(buffer.readSlice(length: frame.length)!, named: frame.name, streams) else { return }
            }
            send(run.take(from: asRead), toServerAfter: .zero)
        }
        guard buffer.readableBytes <= upstream.maxFrameBytes else {
            refuse("ERR redisaudit proxy: request: more than \(upstream.maxFrameBytes) bytes without an end (--max-reply-bytes)")
            return
        }
        if buffer.readableBytes > 0 { requests = buffer }
    }

    /// Passes one command through the faults; false when nothing the client sends after it
    /// is forwarded any more.
    private func forward(_ bytes: ByteBuffer, named name: String, _ streams: FaultStreams) -> Bool {
        if !streams.isUntouched { apply(streams) }
        // A timeout swallows the command that fired it, and everything after.
        guard !state.isSilent else { return false }
        switch streams.fate {
        case .killBefore(let reset):
            // The connection dies just before this command: it and everything after it are lost.
            state.cutRequests()
            flush()
            finish(reset: reset)
            return false
        case .restartServer(let duration):
            // The server "restarts" before this command: every connection closes.
            state.cutRequests()
            flush()
            listener.down(for: duration)
            return false
        case .answer(let reply):
            transaction.dropped(withError: reply?.isError == true)
            owed.append(.fake(reply, delay: streams.replyDelay))
            settleFakeReplies()
        case .killAfter(let reset):
            // The connection dies just after this command: it runs, nothing after it is
            // forwarded, and it closes when the reply comes.
            send(bytes, toServerAfter: streams.requestDelay)
            owed.append(.killAfter(reset: reset))
            expectReply(after: streams.requestDelay)
            state.cutRequests()
            flush()
            return false
        case .forward:
            if transaction == .poisoned, name == "EXEC" {
                send(Self.discard, toServerAfter: streams.requestDelay)
                owed.append(.replaced(Self.execAbort, delay: streams.replyDelay))
            } else {
                send(bytes, toServerAfter: streams.requestDelay)
                owed.append(.server(delay: streams.replyDelay))
            }
            expectReply(after: streams.requestDelay)
            transaction.forwarded(name)
        }
        return true
    }

    /// True when bytes due to `side` now go out as they are: nothing held before them, no
    /// stream stage, no silence, no limit reached.
    private func passesStraight(to side: ProxySide) -> Bool {
        guard !limitReached, !state.isSilent else { return false }
        switch side {
        case .server: return toServer.isEmpty && !requestStages.isActive
        case .client: return toClient.isEmpty && !replyStages.isActive
        }
    }

    private func send(_ bytes: ByteBuffer?, toServerAfter delay: TimeAmount) {
        guard let bytes else { return }
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
        guard !state.isFinished else { return }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        refuse("ERR redisaudit proxy: upstream did not reply within \(shown)s")
    }

    // MARK: - Replies

    private func consumeReplies(_ buffer: inout ByteBuffer) {
        // Replies passed on untouched go out together, as one slice of the bytes read.
        var run = PassThroughRun()
        let asRead = buffer
        while !state.isFinished {
            let length: Int
            do {
                guard let next = try RESPFrameScanner.replyLength(in: buffer, maximumBulkLength: upstream.maxFrameBytes)
                else { break }
                length = next
            } catch {
                send(run.take(from: asRead), toClientAfter: .zero)
                if error.announcedLength != nil {
                    refuse("ERR redisaudit proxy: upstream reply: \(error.reason) (--max-reply-bytes)")
                    return
                }
                // Not RESP from the server: nothing after this can be paired with a command.
                flush()
                finish(reset: false)
                return
            }
            switch owed.first {
            case .none, .server(delay: .zero):
                if passesStraight(to: .client) {
                    if !owed.isEmpty { owed.removeFirst() }
                    run.extend(at: buffer.readerIndex, by: length)
                    buffer.moveReaderIndex(forwardBy: length)
                    if case .fake = owed.first { settleFakeReplies(after: &run, in: asRead) }
                    continue
                }
            default:
                break
            }
            send(run.take(from: asRead), toClientAfter: .zero)
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
                    state.holdClose()
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
        send(run.take(from: asRead), toClientAfter: .zero)
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

    /// Sends the fake replies next in line after the untouched replies of `run`, in order.
    private func settleFakeReplies(after run: inout PassThroughRun, in buffer: ByteBuffer) {
        send(run.take(from: buffer), toClientAfter: .zero)
        settleFakeReplies()
    }

    private func send(_ bytes: ByteBuffer?, toClientAfter delay: TimeAmount) {
        guard let bytes else { return }
        if delay == .zero && toClient.isEmpty {
            deliver(bytes, to: .client)
        } else if let deadline = toClient.hold(.bytes(bytes), for: delay) {
            scheduleRelease(toClient, at: deadline)
        }
    }

    // MARK: - Lasting changes to the streams

    /// Takes on the lasting changes the faults asked for: stream stages, silence, slow close.
    private func apply(_ streams: FaultStreams) {
        for stage in streams.requestStages { requestStages.add(stage) }
        for stage in streams.replyStages { replyStages.add(stage) }
        if let slowClose = streams.slowClose { self.slowClose = slowClose }
        if let silence = streams.silence {
            state.silence()
            for queue in [toServer, toClient, pacedToServer, pacedToClient] { queue.cancel() }
            owed.removeAll()
            if case .closingAfter(let duration) = silence {
                client.eventLoop.assumeIsolated().scheduleTask(in: duration) { self.finish(reset: false) }
            }
        }
    }

    /// Writes bytes that are due to one side, through its stream stages if any apply.
    private func deliver(_ bytes: ByteBuffer, to side: ProxySide) {
        guard !state.isSilent, !limitReached else { return }
        let cut: (pieces: [StreamPiece], closeAfter: Bool)
        switch side {
        case .server:
            guard requestStages.isActive else {
                server?.write(bytes, promise: nil)
                serverNeedsFlush = true
                return
            }
            cut = requestStages.cut(bytes)
        case .client:
            guard replyStages.isActive else {
                client.write(bytes, promise: nil)
                clientNeedsFlush = true
                return
            }
            cut = replyStages.cut(bytes)
        }
        let queue = side == .server ? pacedToServer : pacedToClient
        for piece in cut.pieces {
            if let deadline = queue.hold(.bytes(piece.bytes), spacedBy: piece.spacing) { scheduleRelease(queue, at: deadline) }
        }
        if cut.closeAfter {
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
        guard !state.isFinished || side == .server else { return }
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
                    // Pieces cut by a stage are still on their way: the close goes after them.
                    _ = pacedQueue.hold(.close(reset: reset), spacedBy: .zero)
                } else if state.isFinished {
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

    private func close(_ channel: Channel?, reset: Bool) {
        guard let channel else { return }
        if reset, let socket = channel as? SocketOptionProvider {
            _ = socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        channel.close(promise: nil)
    }
}
