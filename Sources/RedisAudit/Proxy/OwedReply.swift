import NIOCore
import RESP

/// What the proxy owes the client for one command it received, oldest first.
enum OwedReply {
    /// The server's reply, passed on after `delay`.
    case server(delay: TimeAmount)
    /// In front of a cluster: the server's reply to a request that lists nodes, rewritten to
    /// name the proxy's listeners, after `delay`.
    case nodeList(ClusterQuery, delay: TimeAmount)
    /// The server's reply never reaches the client: both connections close when it arrives.
    case killAfter(reset: Bool)
    /// A dropped command: this reply in its place (or none), after `delay`.
    case fake(RESPValue?, delay: TimeAmount)
    /// A command sent in another's place: its reply is swallowed and this one sent instead.
    case replaced(RESPValue, delay: TimeAmount)
}
