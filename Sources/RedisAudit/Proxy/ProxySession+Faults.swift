import Foundation
import NIOCore
import RESP

/// The fault path of a session: requests framed and passed through the faults, replies paired
/// with what is owed, the command timeout, held and paced output.
extension ProxySession {
    /// What a poisoned transaction's EXEC is replaced with, and what the client gets for it.
    static let discard = ByteBuffer(string: "*1\r\n$7\r\nDISCARD\r\n")
    static let execAbort = RESPValue.error("EXECABORT Transaction discarded because of previous errors.")

    /// Frames the requests read and passes each through the faults; false when the session
    /// stopped taking requests (a kill, a timeout, garbage).
    func consumeFaultedRequests(_ buffer: inout ByteBuffer) -> Bool {
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
                return false
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
            recording?.request(
                buffer, at: buffer.readerIndex, length: frame.length, name: frame.name, argumentCount: frame.argumentCount)
            let streams = schedule!.decide(frame.name)
            if !streams.fired.isEmpty {
                report(streams, command: frame.name, request: buffer.getSlice(at: buffer.readerIndex, length: frame.length))
            }
            // In front of a cluster, a reply that lists nodes is rewritten (not inside MULTI,
            // where it comes back within EXEC's).
            let query =
                upstream.cluster != nil && frame.name == "CLUSTER" && transaction == .none
                ? ClusterQuery(request: buffer.getSlice(at: buffer.readerIndex, length: frame.length)!) : nil
            if streams.isUntouched, query == nil, passesStraight(to: .server), transaction != .poisoned || frame.name != "EXEC" {
                run.extend(at: buffer.readerIndex, by: frame.length)
                buffer.moveReaderIndex(forwardBy: frame.length)
                owed.append(.server(delay: .zero))
                expectReply(after: .zero)
                transaction.forwarded(frame.name)
                continue
            }
            send(run.take(from: asRead), toServerAfter: .zero)
            guard forward(buffer.readSlice(length: frame.length)!, named: frame.name, streams, answering: query) else {
                return false
            }
        }
        send(run.take(from: asRead), toServerAfter: .zero)
        return true
    }

    /// Tells the observer which rules fired on a command (`request`: its bytes), or as the
    /// connection opened (`command` nil). Only its name and first key leave the session.
    func report(_ streams: FaultStreams, command: String?, request: ByteBuffer?) {
        guard let events = upstream.events, let identity, let rules = upstream.counters?.rules else { return }
        let key = command.flatMap { name in request.flatMap { RequestFirstKey.of($0, named: name) } }
        let now = Date()
        for firing in streams.fired {
            events.fired(
                FaultEvent(
                    time: now, client: identity, rule: rules[firing.rule].text, ruleIndex: firing.rule, command: command,
                    key: key, effects: firing.effects))
        }
    }

    /// Passes one command through the faults; false when nothing the client sends after it
    /// is forwarded any more. `query`: in front of a cluster, what its reply lists.
    func forward(_ bytes: ByteBuffer, named name: String, _ streams: FaultStreams, answering query: ClusterQuery? = nil) -> Bool {
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
            recording?.answeredByProxy()
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
                owed.append(query.map { .nodeList($0, delay: streams.replyDelay) } ?? .server(delay: streams.replyDelay))
            }
            expectReply(after: streams.requestDelay)
            transaction.forwarded(name)
        }
        return true
    }

    /// True when bytes due to `side` now go out as they are: nothing held before them, no
    /// stream stage, no silence, no limit reached.
    func passesStraight(to side: ProxySide) -> Bool {
        guard !limitReached, !state.isSilent else { return false }
        switch side {
        case .server: return toServer.isEmpty && !requestStages.isActive
        case .client: return toClient.isEmpty && !replyStages.isActive
        }
    }

    func send(_ bytes: ByteBuffer?, toServerAfter delay: TimeAmount) {
        guard let bytes else { return }
        if delay == .zero && toServer.isEmpty {
            deliver(bytes, to: .server)
        } else if let deadline = toServer.hold(.bytes(bytes), for: delay) {
            scheduleRelease(toServer, at: deadline)
        }
    }

    // MARK: - Command timeout

    /// Arms the command timeout for a command forwarded now (or after `delay`), unless it is
    /// armed already for an earlier one still unanswered.
    ///
    /// The upstream must send something back within `--command-timeout` of a command reaching
    /// it; the timer runs again while replies are still owed. A timeout makes the session frame
    /// replies as fault rules do (see `FaultProxy.start`), so it knows which are owed.
    func expectReply(after delay: TimeAmount) {
        guard let timeout = upstream.commandTimeout, replyTimer == nil else { return }
        replyTimer = client.eventLoop.assumeIsolated().scheduleTask(in: delay + timeout) { self.upstreamSilent(timeout) }
    }

    /// Bytes came from upstream: the oldest command is answered (or being answered).
    func upstreamAnswered() {
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
    func upstreamSilent(_ timeout: TimeAmount) {
        replyTimer = nil
        guard !state.isFinished else { return }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        refuse("ERR redisaudit proxy: upstream did not reply within \(shown)s")
    }

    // MARK: - Replies

    func consumeReplies(_ buffer: inout ByteBuffer) {
        // Replies passed on untouched go out together, as one slice of the bytes read.
        var run = PassThroughRun()
        let asRead = buffer
        while !state.isFinished {
            let length: Int
            do {
                guard let next = try RESPFrameScanner.replyLength(in: buffer, maximumBulkLength: upstream.maxFrameBytes)
                else { break }
                length = next
                recording?.reply(buffer, at: buffer.readerIndex, length: length)
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
                // In front of a cluster, a redirection is rewritten to name a listener.
                if passesStraight(to: .client),
                    upstream.cluster == nil || !ClusterReplyRewriter.isRedirection(buffer)
                {
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
                send(clusterRewritten(bytes), toClientAfter: .zero)
            case .server(let delay):
                send(clusterRewritten(bytes), toClientAfter: delay)
            case .nodeList(let query, let delay):
                send(clusterRewritten(bytes, answering: query), toClientAfter: delay)
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

    /// A reply as the client gets it: in front of a cluster, with its node addresses at the
    /// proxy's listeners; otherwise as it came.
    func clusterRewritten(_ reply: ByteBuffer, answering query: ClusterQuery? = nil) -> ByteBuffer {
        guard let map = upstream.cluster else { return reply }
        return ClusterReplyRewriter(map: map).rewrite(reply, answering: query)
    }

    /// Sends the fake replies of dropped commands that are next in line.
    func settleFakeReplies() {
        while case .fake(let reply, let delay) = owed.first {
            owed.removeFirst()
            if let reply { send(ByteBuffer(bytes: RESPReplyEncoding.bytes(reply)), toClientAfter: delay) }
        }
    }

    /// Sends the fake replies next in line after the untouched replies of `run`, in order.
    func settleFakeReplies(after run: inout PassThroughRun, in buffer: ByteBuffer) {
        send(run.take(from: buffer), toClientAfter: .zero)
        settleFakeReplies()
    }

    func send(_ bytes: ByteBuffer?, toClientAfter delay: TimeAmount) {
        guard let bytes else { return }
        if delay == .zero && toClient.isEmpty {
            deliver(bytes, to: .client)
        } else if let deadline = toClient.hold(.bytes(bytes), for: delay) {
            scheduleRelease(toClient, at: deadline)
        }
    }

    // MARK: - Lasting changes to the streams

    /// Takes on the lasting changes the faults asked for: stream stages, silence, slow close.
    func apply(_ streams: FaultStreams) {
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
    func deliver(_ bytes: ByteBuffer, to side: ProxySide) {
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

    // MARK: - Held output

    func scheduleRelease(_ queue: HeldOutput, at deadline: NIODeadline) {
        queue.timer = client.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.release(queue)
        }
    }

    func release(_ queue: HeldOutput) {
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
}
