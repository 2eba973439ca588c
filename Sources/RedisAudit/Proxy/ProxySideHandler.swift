import NIOCore

/// Which end of a proxied connection a channel is.
enum ProxySide {
    /// The application's connection to the proxy.
    case client
    /// The proxy's connection to the upstream server.
    case server
}

/// One half of the glued pair: hands bytes and events to the session, and holds reads while
/// the partner channel cannot take more (back-pressure, as swift-nio-examples' GlueHandler).
final class ProxySideHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: ProxySession
    let side: ProxySide
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    init(session: ProxySession, side: ProxySide) {
        self.session = session
        self.side = side
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        session.active(side)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        session.read(unwrapInboundIn(data), from: side)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        session.readComplete(from: side)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.inactive(side)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            session.inputClosed(side)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        session.failed(side, error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { session.becameWritable(side) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if session.canRead(side) {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Issues the read held back while the partner was full.
    func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }
}
