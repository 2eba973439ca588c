import NIOCore
import NIOPosix
import NIOSSL

/// Opens the channel to an endpoint's server: TCP (TLS when the endpoint asks for it) or a unix
/// socket, under the connect deadline. `RedisConnection` and the fault proxy's sessions both
/// connect through it.
///
/// ```
///   connect(to:) ─▶ socket (TCP_NODELAY, SO_KEEPALIVE) ─▶ [NIOSSLClientHandler] ─▶ handlers(channel)
/// ```
struct EndpointConnector: Sendable {
    /// The TLS context, when the endpoint uses TLS.
    let sslContext: NIOSSLContext?
    /// The name sent as SNI (nil for an IP address).
    let serverHostname: String?
    /// `--tls-server-name`, required among the certificate's DNS names (nil when not given or
    /// when verification is off).
    let requiredServerName: String?
    /// How long a connection attempt may take.
    let connectTimeout: TimeAmount

    /// A connector for `endpoint` with the TLS settings and connect deadline of `options`;
    /// throws when the TLS settings cannot be used.
    init(endpoint: Endpoint, options: ConnectionOptions) throws(EndpointError) {
        sslContext = try Self.makeSSLContext(endpoint: endpoint, options: options)
        serverHostname = Self.tlsServerName(endpoint: endpoint, options: options)
        requiredServerName = options.tls.insecure ? nil : options.tls.serverName
        connectTimeout = options.connectTimeout
    }

    /// Connects to `address` (TCP or unix socket; a Sentinel address is resolved before) on
    /// `group`; `handlers` adds the protocol handlers behind TLS, on the channel's event loop.
    func connect(
        to address: Endpoint.Address, on group: any EventLoopGroup,
        handlers: @escaping @Sendable (Channel) throws -> Void
    ) -> EventLoopFuture<Channel> {
        let sslContext = sslContext
        let serverHostname = serverHostname
        let requiredServerName = requiredServerName
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        if let name = requiredServerName {
                            // NIOSSL accepts a certificate whose IP address names the peer even when a
                            // name was asked for; --tls-server-name also requires the name itself.
                            try sync.addHandler(
                                NIOSSLClientHandler._makeSSLClientHandler(
                                    context: sslContext, serverHostname: serverHostname,
                                    additionalPeerCertificateVerificationCallback: { certificate, channel in
                                        CertificateName.check(certificate, names: name, on: channel.eventLoop)
                                    }))
                        } else {
                            try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                        }
                    }
                    try handlers(channel)
                }
            }
        switch address {
        case .tcp(let host, let port):
            return bootstrap.channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1).connect(host: host, port: port)
        case .unix(let path):
            return bootstrap.connect(unixDomainSocketPath: path)
        case .sentinel:
            return group.next().makeFailedFuture(ChannelError.connectPending)
        }
    }

    static func makeSSLContext(endpoint: Endpoint, options: ConnectionOptions) throws(EndpointError) -> NIOSSLContext? {
        guard endpoint.tls else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.tls.caFile {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !certificates.isEmpty else { throw EndpointError.tlsConfiguration("no certificate in \(caFile)") }
                configuration.trustRoots = .certificates(certificates)
            } catch let error as EndpointError {
                throw error
            } catch {
                throw EndpointError.tlsConfiguration("cannot read CA file \(caFile): \(error)")
            }
        }
        if options.tls.insecure {
            configuration.certificateVerification = .none
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw EndpointError.tlsConfiguration("\(error)")
        }
    }

    static func tlsServerName(endpoint: Endpoint, options: ConnectionOptions) -> String? {
        if let name = options.tls.serverName { return name }
        guard case .tcp(let host, _) = endpoint.address else { return nil }
        // SNI must not be an IP literal; the certificate is then checked against the address.
        let isIP = host.contains(":") || host.split(separator: ".").allSatisfy { Int($0) != nil }
        return isIP ? nil : host
    }
}
