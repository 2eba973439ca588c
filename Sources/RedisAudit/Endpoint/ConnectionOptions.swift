import NIOCore
import RESP

/// Deadlines and TLS settings for every connection to an endpoint.
public struct ConnectionOptions: Sendable {
    /// How long TCP connect, TLS handshake, AUTH and SELECT may take together.
    public var connectTimeout: TimeAmount
    /// How long any one command (or a whole pipeline) may wait for its replies.
    public var commandTimeout: TimeAmount
    /// TLS settings for `rediss://` endpoints.
    public var tls: TLSOptions
    /// Sent as `CLIENT SETNAME` so the connection is recognisable in `CLIENT LIST` (best effort).
    public var clientName: String?
    /// Where the handshake extras each endpoint refused are remembered (the process-wide memory by default).
    public var handshakeRefusals: HandshakeRefusals
    /// The largest reply, and the most unparsed input, a connection accepts before it closes.
    public var replyLimits: RESPReplyLimits
    /// The faults a REST endpoint's requests meet (an exploration's trial), nil for none.
    public var restFaults: RESTFaultHook?

    public init(
        connectTimeout: TimeAmount = .milliseconds(Int64(SettingDefaults.connectTimeout * 1000)),
        commandTimeout: TimeAmount = .milliseconds(Int64(SettingDefaults.commandTimeout * 1000)),
        tls: TLSOptions = TLSOptions(),
        clientName: String? = "redisaudit",
        handshakeRefusals: HandshakeRefusals = .shared,
        replyLimits: RESPReplyLimits = RESPReplyLimits()
    ) {
        self.replyLimits = replyLimits
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.tls = tls
        self.clientName = clientName
        self.handshakeRefusals = handshakeRefusals
    }
}

/// The reply limits of a connection, as the command line and the config file set them.
public typealias ReplyLimits = RESPReplyLimits

/// How a `rediss://` endpoint's certificate is checked.
public struct TLSOptions: Sendable, Hashable {
    /// A PEM file of trusted CA certificates; the system trust store when nil.
    public var caFile: String?
    /// The name to verify the certificate against (and to send as SNI); the host when nil.
    public var serverName: String?
    /// Skip certificate verification entirely (only when asked for).
    public var insecure: Bool

    public init(caFile: String? = nil, serverName: String? = nil, insecure: Bool = false) {
        self.caFile = caFile
        self.serverName = serverName
        self.insecure = insecure
    }
}
