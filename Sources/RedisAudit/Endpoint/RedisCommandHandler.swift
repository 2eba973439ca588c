import NIOConcurrencyHelpers
import NIOCore
import RESP

/// A batch of commands written back to back, each with the promise of its reply, or all
/// sharing one collector that completes once with every outcome.
struct RedisRequest: Sendable {
    var commands: [RESPCommand]
    var promises: [EventLoopPromise<RESPValue>]
    var collector: ReplyCollector?
    /// Commands already encoded by the caller, and how many there are.
    var encoded: (bytes: ByteBuffer, count: Int)?
    var timeout: TimeAmount

    init(commands: [RESPCommand], promises: [EventLoopPromise<RESPValue>], timeout: TimeAmount) {
        self.commands = commands
        self.promises = promises
        self.collector = nil
        self.timeout = timeout
    }

    init(commands: [RESPCommand], collector: ReplyCollector, timeout: TimeAmount) {
        self.commands = commands
        self.promises = []
        self.collector = collector
        self.timeout = timeout
    }

    init(encoded: ByteBuffer, count: Int, collector: ReplyCollector, timeout: TimeAmount) {
        self.commands = []
        self.promises = []
        self.collector = collector
        self.encoded = (encoded, count)
        self.timeout = timeout
    }
}

/// Gathers the outcomes of one pipelined batch in order and fulfils a single promise when the
/// last one is in: one future per batch instead of one per command (a keyspace scan sends
/// millions of commands). Used only on its channel's event loop.
final class ReplyCollector: @unchecked Sendable {
    let promise: EventLoopPromise<[CommandOutcome]>
    private let expected: Int
    /// Appended to for every reply, on the event loop only: no dynamic exclusivity checks.
    @exclusivity(unchecked) private var outcomes: [CommandOutcome]

    init(expected: Int, promise: EventLoopPromise<[CommandOutcome]>) {
        self.expected = expected
        self.promise = promise
        self.outcomes = []
        self.outcomes.reserveCapacity(expected)
    }

    func append(_ outcome: CommandOutcome) {
        guard outcomes.count < expected else { return }
        outcomes.append(outcome)
        if outcomes.count == expected { promise.succeed(outcomes) }
    }

    /// Fails every command still without an outcome (the batch never reached the handler).
    func failRemaining(_ failure: TransportFailure) {
        while outcomes.count < expected { append(.failed(failure)) }
    }
}

/// Where one pending command's reply goes.
enum ReplySink {
    case promise(EventLoopPromise<RESPValue>)
    case collector(ReplyCollector)

    func succeed(_ value: RESPValue) {
        switch self {
        case .promise(let p): p.succeed(value)
        case .collector(let c): c.append(.reply(value))
        }
    }

    func fail(_ failure: TransportFailure) {
        switch self {
        case .promise(let p): p.fail(failure)
        case .collector(let c): c.append(.failed(failure))
        }
    }
}

/// Pairs replies with the commands that asked for them, in order, and enforces the deadline.
///
/// ```
///   RedisRequest ──▶ [RedisCommandHandler] ──one ByteBuffer per batch──▶ socket
///                     pending: p1 p2 p3
///   promise p1 ◀──── [RedisCommandHandler] ◀──RESPValue─── decoder ◀── socket
/// ```
/// When a batch's deadline passes with replies outstanding, every pending promise fails
/// with a timeout and the connection is closed: a late reply would otherwise be paired
/// with the wrong command.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    // Touched for every reply, on the channel's event loop only: no dynamic exclusivity checks
    // (they were a tenth of the CPU of a million-key scan).
    @exclusivity(unchecked) private var pending = CircularBuffer<(sink: ReplySink, batch: UInt64)>()
    @exclusivity(unchecked) private var nextBatch: UInt64 = 0
    /// Each outstanding batch's deadline, oldest first (batches are answered in order).
    @exclusivity(unchecked) private var outstanding = CircularBuffer<
        (batch: UInt64, deadline: NIODeadline, timeout: TimeAmount)
    >()
    /// The one timer of the connection, armed at the earliest outstanding deadline, and when.
    ///
    /// One lazily re-armed timer instead of one per batch: scheduling and cancelling a timer
    /// per command put a heap insertion and a linear search of the loop's timers (a thousand
    /// clients keep a thousand there) on every round trip. Replies do not cancel it: when it
    /// fires it looks at what is still outstanding and either times out or re-arms.
    @exclusivity(unchecked) private var timer: (task: Scheduled<Void>, deadline: NIODeadline)?
    private var closedReason: String?
    /// Why the connection failed, kept where the connection can read it after the pipeline is gone
    /// (a TLS handshake failure closes the channel before any request reaches this handler).
    private let failure: NIOLockedValueBox<String?>

    init(failure: NIOLockedValueBox<String?>) {
        self.failure = failure
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedReason {
            for p in request.promises { p.fail(TransportFailure.connectionClosed(closedReason)) }
            request.collector?.failRemaining(TransportFailure.connectionClosed(closedReason))
            promise?.succeed()
            return
        }
        nextBatch &+= 1
        let batch = nextBatch
        if let (bytes, count) = request.encoded, let collector = request.collector {
            for _ in 0..<count { pending.append((.collector(collector), batch)) }
            context.write(wrapOutboundOut(bytes), promise: nil)
            promise?.succeed()
            recordDeadline(context: context, batch: batch, timeout: request.timeout)
            return
        }
        // The whole batch in one buffer: one write, one syscall, however many commands.
        var buffer = context.channel.allocator.buffer(capacity: request.commands.count * 32)
        var encodingError: RESPEncodingError?
        if let collector = request.collector {
            for _ in request.commands { pending.append((.collector(collector), batch)) }
        } else {
            for p in request.promises { pending.append((.promise(p), batch)) }
        }
        for command in request.commands {
            do throws(RESPEncodingError) {
                try RESPCommandEncoding.write(command, into: &buffer)
            } catch {
                encodingError = error
                break
            }
        }
        if let encodingError {
            // As a failed encoder did before: nothing of the batch is sent and the connection closes.
            promise?.succeed()
            failAll(TransportFailure.protocolError(encodingError.description), reason: encodingError.description)
            context.close(promise: nil)
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
        promise?.succeed()
        recordDeadline(context: context, batch: batch, timeout: request.timeout)
    }

    /// Records the batch's deadline and arms the timer if none is armed as early.
    private func recordDeadline(context: ChannelHandlerContext, batch: UInt64, timeout: TimeAmount) {
        // The loop's clock: the real one on a socket, the virtual one under test.
        let deadline = context.eventLoop.now + timeout
        outstanding.append((batch, deadline, timeout))
        arm(context: context, at: deadline)
    }

    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        if let timer {
            guard deadline < timer.deadline else { return }
            timer.task.cancel()
        }
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.timerFired(context: loopBoundContext.value)
        }
        timer = (task, deadline)
    }

    /// Fails everything pending and closes the connection when an outstanding batch is past its
    /// deadline; otherwise re-arms for the earliest one still outstanding.
    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let earliest = outstanding.min(by: { $0.deadline < $1.deadline }) else { return }
        let now = context.eventLoop.now
        guard earliest.deadline <= now else {
            arm(context: context, at: earliest.deadline)
            return
        }
        let ms = earliest.timeout.nanoseconds / 1_000_000
        failAll(TransportFailure.timeout(milliseconds: ms), reason: "command timeout")
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let first = pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            failAll(TransportFailure.protocolError("unexpected reply"), reason: "unexpected reply")
            context.close(promise: nil)
            return
        }
        if pending.first?.batch != first.batch, outstanding.first?.batch == first.batch {
            outstanding.removeFirst()
        }
        first.sink.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let transportFailure: TransportFailure
        if let decoding = error as? RESPDecodingError, decoding.isLimit {
            transportFailure = .limitExceeded(String(describing: decoding))
        } else if let decoding = error as? RESPDecodingError {
            transportFailure = .protocolError(String(describing: decoding))
        } else {
            transportFailure = .connectionClosed(String(describing: error))
        }
        failAll(transportFailure, reason: transportFailure.description)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(TransportFailure.connectionClosed("closed by peer"), reason: "closed by peer")
        context.fireChannelInactive()
    }

    private func failAll(_ error: TransportFailure, reason: String) {
        if closedReason == nil { closedReason = reason }
        failure.withLockedValue { if $0 == nil { $0 = reason } }
        while let entry = pending.popFirst() {
            entry.sink.fail(error)
        }
        timer?.task.cancel()
        timer = nil
        outstanding.removeAll()
    }
}
