import RESP

/// What happened to one command sent to an endpoint: a reply (which may be an error
/// reply), or a transport failure that left the client without one.
public enum CommandOutcome: Hashable, Sendable {
    case reply(RESPValue)
    case failed(TransportFailure)

    /// The reply, if one arrived.
    public var reply: RESPValue? {
        if case .reply(let value) = self { return value }
        return nil
    }

    /// True for an error reply or a transport failure.
    public var isFailure: Bool {
        switch self {
        case .reply(let value): return value.isError
        case .failed: return true
        }
    }
}

/// Why a command got no reply.
public enum TransportFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// No reply within the command timeout (milliseconds).
    case timeout(milliseconds: Int64)
    /// The connection closed or failed before the reply arrived.
    case connectionClosed(String)
    /// The server sent bytes that are not RESP.
    case protocolError(String)
    /// A reply past `--max-reply-bytes` (or input past `--max-buffered-bytes`): the connection was closed.
    case limitExceeded(String)

    public var description: String {
        switch self {
        case .timeout(let ms): return "no reply within \(ms) ms (command timeout)"
        case .connectionClosed(let reason): return "connection closed: \(reason)"
        case .protocolError(let reason): return "protocol error: \(reason)"
        case .limitExceeded(let reason): return reason
        }
    }
}
