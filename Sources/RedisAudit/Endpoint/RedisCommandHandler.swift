import NIOConcurrencyHelpers
import NIOCore
import RESP

/// A batch of commands written back to back, each with the promise of its reply.
struct RedisRequest: Sendable {
    var commands: [RESPCommand]
    var promises: [EventLoopPromise<RESPValue>]
    var timeout: TimeAmount
}

/// Pairs replies with the commands that asked for them, in order, and enforces the deadline.
///
/// ```
///   RedisRequest ──▶ [RedisCommandHandler] ──RESPCommand──▶ encoder ──▶ socket
///                     pending: p1 p2 p3
///   promise p1 ◀──── [RedisCommandHandler] ◀──RESPValue─── decoder ◀── socket
/// ```
/// When a batch's deadline passes with replies outstanding, every pending promise fails
/// with a timeout and the connection is closed: a late reply would otherwise be paired
/// with the wrong command.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = RESPCommand

    private var pending = CircularBuffer<(promise: EventLoopPromise<RESPValue>, batch: UInt64)>()
    private var nextBatch: UInt64 = 0
    /// Each outstanding batch's deadline, cancelled once its last reply arrives (a thousand
    /// clients would otherwise leave a timer per command queued on the loop).
    private var deadlines: [UInt64: Scheduled<Void>] = [:]
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
            promise?.succeed()
            return
        }
        nextBatch &+= 1
        let batch = nextBatch
        for (command, p) in zip(request.commands, request.promises) {
            pending.append((p, batch))
            context.write(wrapOutboundOut(command), promise: nil)
        }
        promise?.succeed()
        let ms = request.timeout.nanoseconds / 1_000_000
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadlines[batch] = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) { [weak self] in
            guard let self, self.pending.contains(where: { $0.batch == batch }) else { return }
            self.failAll(TransportFailure.timeout(milliseconds: ms), reason: "command timeout")
            loopBoundContext.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let first = pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            failAll(TransportFailure.protocolError("unexpected reply"), reason: "unexpected reply")
            context.close(promise: nil)
            return
        }
        if pending.first?.batch != first.batch {
            deadlines.removeValue(forKey: first.batch)?.cancel()
        }
        first.promise.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let transportFailure: TransportFailure
        if let decoding = error as? RESPDecodingError {
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
            entry.promise.fail(error)
        }
        for deadline in deadlines.values { deadline.cancel() }
        deadlines.removeAll()
    }
}
