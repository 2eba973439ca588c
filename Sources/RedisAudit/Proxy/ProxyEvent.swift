import Foundation
import NIOCore

/// Something a fault proxy tells its observer as it happens (`FaultProxyConfiguration.observer`).
///
/// Events come from the proxy's event loops, one at a time per client connection; an observer
/// returns quickly (hand the event to a queue before writing it anywhere that can block).
public enum ProxyEvent: Sendable, Hashable, CustomStringConvertible {
    /// A client connected.
    case connectionOpened(ProxyClient, at: Date)
    /// A client connection and its upstream connection are both closed.
    case connectionClosed(ProxyClient, at: Date)
    /// A rule fired.
    case faultFired(FaultEvent)
    /// The same rule fired on the same command and key `retryStreak` times in a row for clients
    /// of one address: the client is retrying into the fault.
    /// Sent once per rule, right after the firing that completed the streak.
    case retryingIntoFault(FaultEvent, times: Int)

    /// How many firings in a row of one rule on one command and key, for clients of one address,
    /// make a retry streak. A retry after a kill comes on a new connection (a new port), so
    /// firings are grouped by the client's address, not by connection.
    public static let retryStreak = 3

    public var description: String {
        switch self {
        case .connectionOpened(let client, let time): return "\(FaultEvent.timestamp(time)) \(client) opened"
        case .connectionClosed(let client, let time): return "\(FaultEvent.timestamp(time)) \(client) closed"
        case .faultFired(let event): return event.description
        case .retryingIntoFault(let event, let times):
            return
                "\(event.client): \(event.rule) fired on \(event.target) \(times) times in a row for clients at \(event.client.host):"
                + " the client is retrying into the fault (redis-py and other clients resend a command or pipeline when the connection drops);"
                + " limit the rule with nth=N (each connection's N-th match) and scope=run (once in the whole run)"
        }
    }
}

/// One client connection of a proxy: a number unique in the proxy's run, and the client's address.
public struct ProxyClient: Sendable, Hashable, CustomStringConvertible {
    /// 1 for the proxy's first connection, then counting up.
    public var id: Int
    /// The client's IP address (`?` when unknown).
    public var host: String
    /// The client's port (0 when unknown).
    public var port: Int

    public init(id: Int, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    /// `conn 3 (127.0.0.1:51234)`, `conn 4 ([::1]:51240)`.
    public var description: String {
        "conn \(id) (\(host.contains(":") ? "[\(host)]" : host):\(port))"
    }

    init(id: Int, address: SocketAddress?) {
        self.init(id: id, host: address?.ipAddress ?? "?", port: address?.port ?? 0)
    }
}
