import NIOCore
import NIOPosix
import RESP

/// Finds the primary that a `redis+sentinel://` endpoint's Sentinels name, asking each in turn
/// `SENTINEL GET-MASTER-ADDR-BY-NAME`, each within the connect deadline.
public enum SentinelResolver {
    /// The endpoint itself when it names a server; for a Sentinel URL, the primary the first
    /// Sentinel that knows the master names, with the URL's user, password and database.
    public static func resolve(
        _ endpoint: Endpoint, options: ConnectionOptions,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(EndpointError) -> Endpoint {
        guard case .sentinel(let nodes, let master) = endpoint.address else { return endpoint }
        var sentinelOptions = options
        sentinelOptions.clientName = nil
        sentinelOptions.commandTimeout = options.connectTimeout
        var tried: [String] = []
        for node in nodes {
            let sentinel = Endpoint(address: .tcp(host: node.host, port: node.port), password: endpoint.sentinelPassword)
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(
                    to: sentinel, options: sentinelOptions, eventLoopGroup: eventLoopGroup)
            } catch {
                tried.append("\(node): \(reason(error))")
                continue
            }
            let outcome = await connection.send([RESPCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", master)])[0]
            await connection.close()
            switch outcome {
            case .failed(let failure):
                tried.append("\(node): \(failure)")
            case .reply(let reply):
                if let pair = reply.arrayElements, pair.count == 2, let host = pair[0].text, let portText = pair[1].text,
                    let port = Int(portText)
                {
                    var primary = endpoint
                    primary.address = .tcp(host: host, port: port)
                    primary.sentinelPassword = nil
                    return primary
                }
                if case .error(let message) = reply {
                    tried.append("\(node): \(message)")
                } else {
                    tried.append("\(node): does not monitor '\(master)'")
                }
            }
        }
        throw EndpointError.primaryNotFound(master: master, tried: tried)
    }

    /// Why a Sentinel could not be asked, without repeating its address.
    private static func reason(_ error: EndpointError) -> String {
        switch error {
        case .unreachable(_, let reason), .refused(_, let reason): return reason
        default: return error.description
        }
    }
}
