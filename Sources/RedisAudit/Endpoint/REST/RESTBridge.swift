import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import RESP

/// Carries a connection's RESP commands over Upstash's REST API, inside the channel: it reads the
/// RESP batches the command handler writes, sends each as the HTTP requests `RESTBatch` plans (one
/// at a time, on a keep-alive connection), and hands the command handler the RESP replies the
/// JSON responses stand for. Everything above it (deadlines, pipelines, probes, cleanup) works
/// on a REST endpoint unchanged.
///
/// ```
///   RedisCommandHandler ─▶ RESP batch ─▶ RESTBridge ─▶ POST / | /pipeline | /multi-exec ─▶ HTTP
///   RedisCommandHandler ◀─ RESP reply ◀─ RESTBridge ◀─ {"result"} / {"error"} / HTTP status ◀─ HTTP
/// ```
///
/// Every request carries `Upstash-Encoding: base64` and echoes the last `Upstash-Sync-Token`
/// (read-your-writes across Upstash's replicas). A status other than 200 with an `{"error"}` body
/// is that error for each command; any other answer (a 5xx without one, a body that is not JSON)
/// closes the connection with the reason, as a broken socket would.
final class RESTBridge: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTPClientRequestPart

    /// The REST endpoints whose token the API accepted in this process (token included: another
    /// token is checked again).
    static let accepted = NIOLockedValueBox<Set<Endpoint>>([])

    /// The `Host` header: `host[:port]`.
    private let authority: String
    /// The bearer token; never logged.
    private let token: String?
    /// What may happen to a request on its way (``RESTFaultHook``), nil when nothing does.
    private let faults: RESTFaultHook?
    /// The parts of written batches whose replies are still owed, in command order.
    private var owed = CircularBuffer<RESTBatch.Part>()
    /// Calls not sent yet; one is in flight at a time.
    private var unsent = CircularBuffer<RESTCall>()
    private var inFlight: RESTCall?
    /// What a fault rule does to the call in flight.
    private var fate = RESTFaultHook.Fate.delivered
    /// The response being read.
    private var status = HTTPResponseStatus.ok
    private var body: [UInt8] = []
    /// The last sync token the server gave.
    private var syncToken: String?

    init(endpoint: Endpoint, faults: RESTFaultHook?) {
        if case .tcp(let host, let port) = endpoint.address {
            let name = host.contains(":") ? "[\(host)]" : host
            authority = port == (endpoint.tls ? 443 : 80) ? name : "\(name):\(port)"
        } else {
            authority = "localhost"
        }
        token = endpoint.password
        self.faults = faults
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        var commands: [[[UInt8]]] = []
        while true {
            guard let frame = try? RESPFrameScanner.request(in: buffer), frame.length > 0 else { break }
            let arguments = buffer.withUnsafeReadableBytes { bytes in
                RESPFrameDecoder.arguments(UnsafeRawBufferPointer(rebasing: bytes[0..<frame.length]))
            }
            buffer.moveReaderIndex(forwardBy: frame.length)
            commands.append(arguments ?? [])
        }
        promise?.succeed()
        for part in RESTBatch.plan(commands) {
            owed.append(part)
            if case .call(let call) = part { unsent.append(call) }
        }
        // Replies given here reach the command handler after its write returns, as a server's would.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (bridge, context) = loopBound.value
            bridge.giveLocalReplies(context: context)
            bridge.sendNext(context: context)
        }
    }

    func flush(context: ChannelHandlerContext) {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            if let token = head.headers.first(name: "upstash-sync-token") { syncToken = token }
            body = []
        case .body(var part):
            body += part.readBytes(length: part.readableBytes) ?? []
        case .end:
            guard let call = inFlight else { return fail(context: context, "a response nobody asked for") }
            switch fate {
            case .delivered, .requestLost: break
            case .responseLost: return fail(context: context, "the response was lost after the server ran the request (fault)")
            // The command handler's deadline ends the wait, as it would for a slow server.
            case .responseLate: return
            }
            inFlight = nil
            let replies: [RESPValue]
            switch RESTResponse.replies(to: call, status: status.code, body: body) {
            case .success(let values): replies = values
            case .failure(let reason): return fail(context: context, reason.description)
            }
            body = []
            owed.removeFirst()
            for reply in replies { give(reply, context: context) }
            giveLocalReplies(context: context)
            sendNext(context: context)
        }
    }

    /// The replies owed before the next call's, given now.
    private func giveLocalReplies(context: ChannelHandlerContext) {
        while case .local(let reply) = owed.first {
            owed.removeFirst()
            give(reply, context: context)
        }
    }

    private func give(_ reply: RESPValue, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RESPReplyEncoding.write(reply, into: &buffer)
        context.fireChannelRead(wrapInboundOut(buffer))
    }

    /// Sends the next call when none is in flight.
    private func sendNext(context: ChannelHandlerContext) {
        guard inFlight == nil, context.channel.isActive, let call = unsent.popFirst() else { return }
        fate = faults?.fate(of: call) ?? .delivered
        if fate == .requestLost { return fail(context: context, "the request was lost before the server saw it (fault)") }
        inFlight = call
        let body = call.body
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: authority)
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        headers.add(name: "Content-Type", value: call.pathStyle ? "application/octet-stream" : "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Upstash-Encoding", value: "base64")
        if let syncToken { headers.add(name: "Upstash-Sync-Token", value: syncToken) }
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: call.path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Ends the connection with `reason`: every command still waiting gets it as a lost connection.
    private func fail(context: ChannelHandlerContext, _ reason: String) {
        owed.removeAll()
        unsent.removeAll()
        inFlight = nil
        context.fireErrorCaught(RESTFailure(reason: reason))
        context.close(promise: nil)
    }
}

/// Why a REST connection ended: an HTTP answer that stands for no reply, or a fault.
struct RESTFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
