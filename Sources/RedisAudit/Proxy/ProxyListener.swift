#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The proxy's listening socket, which `down` closes for a while and then binds to the same port again.
///
/// While down, the port is held by a bound socket that does not listen: connections to it are
/// refused (ECONNREFUSED, as after a restart) and no other socket can take the port meanwhile.
final class ProxyListener: Sendable {
    private struct State: Sendable {
        var channel: Channel?
        var address: SocketAddress?
        /// The descriptor holding the port while down.
        var placeholder: Int32?
        var stopped = false
    }

    /// The address it listens on.
    let host: String
    /// Where timers run.
    let eventLoop: any EventLoop
    private let sessions: ProxySessions
    /// A fresh bootstrap (they are not Sendable) whose sessions know this listener.
    private let bootstrap: @Sendable (ProxyListener) -> ServerBootstrap
    private let state = NIOLockedValueBox(State())

    init(
        host: String, sessions: ProxySessions, eventLoop: any EventLoop,
        bootstrap: @escaping @Sendable (ProxyListener) -> ServerBootstrap
    ) {
        self.host = host
        self.sessions = sessions
        self.eventLoop = eventLoop
        self.bootstrap = bootstrap
    }

    /// The port it listens on (the one bound first, when asked for port 0).
    var port: Int { state.withLockedValue { $0.address?.port ?? 0 } }

    /// Binds for the first time.
    func bind(port: Int) async throws {
        let channel = try await bootstrap(self).bind(host: host, port: port).get()
        state.withLockedValue { state in
            state.channel = channel
            state.address = channel.localAddress
        }
    }

    /// A restart seen from the clients: every connection closes, new ones are refused until
    /// `duration` has passed. Ignored while already down.
    func down(for duration: TimeAmount) {
        let channel: Channel? = state.withLockedValue { state in
            guard !state.stopped, let channel = state.channel else { return nil }
            state.channel = nil
            return channel
        }
        guard let channel else { return }
        sessions.outageBegan()
        // Refusing first: a client that sees its connection close and reconnects is refused.
        channel.close().whenComplete { _ in
            self.state.withLockedValue { state in
                state.placeholder = state.address.flatMap(Self.holdPort)
            }
            self.sessions.terminateAll()
            self.eventLoop.scheduleTask(in: duration) { self.rebind(attempt: 1) }
        }
    }

    private func rebind(attempt: Int) {
        let (stopped, port) = state.withLockedValue { state in
            if let placeholder = state.placeholder { close(placeholder) }
            state.placeholder = nil
            return (state.stopped, state.address?.port ?? 0)
        }
        guard !stopped else {
            sessions.outageEnded()
            return
        }
        bootstrap(self).bind(host: host, port: port).whenComplete { result in
            switch result {
            case .success(let channel):
                let kept = self.state.withLockedValue { state in
                    guard !state.stopped else { return false }
                    state.channel = channel
                    return true
                }
                if !kept { channel.close(promise: nil) }
                self.sessions.outageEnded()
            case .failure where attempt < 50:
                // The port may still be held for a moment: try again shortly.
                self.eventLoop.scheduleTask(in: .milliseconds(100)) { self.rebind(attempt: attempt + 1) }
            case .failure:
                self.sessions.outageEnded()
            }
        }
    }

    /// Stops listening for good.
    func stop() async {
        let channel: Channel? = state.withLockedValue { state in
            state.stopped = true
            if let placeholder = state.placeholder { close(placeholder) }
            state.placeholder = nil
            defer { state.channel = nil }
            return state.channel
        }
        try? await channel?.close().get()
    }

    /// A socket bound to `address` that does not listen, or nil if the port cannot be held.
    private static func holdPort(_ address: SocketAddress) -> Int32? {
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        #if canImport(Glibc)
            let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let descriptor = socket(family, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return nil }
        var one: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Glibc)
            let bound = address.withSockAddr { pointer, length in Glibc.bind(descriptor, pointer, socklen_t(length)) }
        #else
            let bound = address.withSockAddr { pointer, length in Darwin.bind(descriptor, pointer, socklen_t(length)) }
        #endif
        guard bound == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }
}
