import Foundation

/// A Redis endpoint to audit: where it is, how to authenticate, which database.
///
/// Parsed from `redis://[user[:password]@]host[:port][/db]`, `rediss://...` (TLS),
/// `unix:///path/to.sock[?db=N]`, `redis+sentinel://[user@]host:port[,host:port...]/master[/db]`
/// or `upstash+https://host[:port]` (`upstash+http://` for a local gateway: Upstash's REST API,
/// with the password as the token).
/// The password never appears in `description`: endpoints are shown as `redis://user:***@host:port/db`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The protocol commands travel in.
    public enum Transport: String, Codable, Hashable, Sendable {
        /// RESP over a socket: one connection, pipelines, transactions, blocking commands.
        case resp
        /// Upstash's REST API: each request an HTTP POST of JSON, a pipeline `/pipeline`, a
        /// transaction `/multi-exec`; the password is the bearer token.
        case rest
    }

    /// How to reach the server.
    public enum Address: Hashable, Sendable {
        case tcp(host: String, port: Int)
        case unix(path: String)
        /// The primary that these Sentinels name for `master`, looked up at each connection.
        case sentinel(nodes: [Node], master: String)
    }

    /// One `host:port`: a Sentinel of a `redis+sentinel://` URL, a replica's primary.
    public struct Node: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var address: Address
    /// Whether to speak TLS (`rediss://`).
    public var tls: Bool
    /// ACL user name, if any.
    public var username: String?
    /// Password, if any (from the URL or an environment variable). Never printed.
    public var password: String?
    /// Database index selected after connecting.
    public var database: Int
    /// The Sentinels' own password (from `REDISAUDIT_SENTINEL_PASSWORD`), for `redis+sentinel://`. Never printed.
    public var sentinelPassword: String?
    /// RESP, or Upstash's REST API (`upstash+https://`).
    public var transport = Transport.resp
    /// True when the endpoint is a Redis Cluster node (found by `EndpointInspection`): it is then
    /// a seed, and commands are routed over the cluster's primaries.
    public var isCluster = false

    public init(
        address: Address, tls: Bool = false, username: String? = nil, password: String? = nil, database: Int = 0,
        sentinelPassword: String? = nil
    ) {
        self.address = address
        self.tls = tls
        self.username = username
        self.password = password
        self.database = database
        self.sentinelPassword = sentinelPassword
    }

    /// The default Redis port.
    public static let defaultPort = 6379
    /// The default Sentinel port.
    public static let defaultSentinelPort = 26379
    /// The environment variable that holds the Sentinels' password (the data node's comes from the URL or its own variables).
    public static let sentinelPasswordVariable = "REDISAUDIT_SENTINEL_PASSWORD"

    /// Parses an endpoint URL; `passwordEnvironment` names environment variables consulted,
    /// in order, when the URL carries no password.
    public static func parse(
        _ text: String,
        passwordEnvironment: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(EndpointError) -> Endpoint {
        var endpoint: Endpoint
        if text.hasPrefix("unix://") {
            endpoint = try parseUnix(text)
        } else if text.hasPrefix("redis://") || text.hasPrefix("rediss://") {
            endpoint = try parseTCP(text)
        } else if text.hasPrefix(restScheme) || text.hasPrefix(restPlainScheme) {
            endpoint = try parseREST(text)
        } else if text.hasPrefix(sentinelScheme) {
            endpoint = try parseSentinel(text)
            if let value = environment[sentinelPasswordVariable], !value.isEmpty { endpoint.sentinelPassword = value }
        } else if !text.contains("://") && !text.isEmpty {
            // A bare number is a port typed without its host, not a host name to resolve.
            if let port = Int(text) {
                throw EndpointError.invalidURL(
                    redacted(text), reason: "only a number: write the host too, as in redis://127.0.0.1:\(port)")
            }
            // `host:port` shorthand, as redis-cli users type it.
            endpoint = try parseTCP("redis://" + text)
        } else {
            throw EndpointError.invalidURL(
                redacted(text), reason: "expected redis://, rediss://, unix://, redis+sentinel:// or upstash+https://")
        }
        if endpoint.password == nil {
            for name in passwordEnvironment {
                if let value = environment[name], !value.isEmpty {
                    endpoint.password = value
                    break
                }
            }
        }
        return endpoint
    }

    /// The scheme of a Sentinel-described endpoint.
    static let sentinelScheme = "redis+sentinel://"

    /// The scheme of Upstash's REST API over TLS.
    static let restScheme = "upstash+https://"
    /// The same without TLS (a local `redisaudit rest-gateway`).
    static let restPlainScheme = "upstash+http://"

    /// `upstash+https://[:TOKEN@]HOST[:PORT]`: no database (REST has database 0 only) and no path.
    private static func parseREST(_ text: String) throws(EndpointError) -> Endpoint {
        let tls = text.hasPrefix(restScheme)
        var rest = Substring(text.dropFirst(tls ? restScheme.count : restPlainScheme.count))
        let (username, password) = userinfo(&rest)
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else {
                throw EndpointError.invalidURL(
                    redacted(text), reason: "a REST endpoint has no path or parameters: upstash+https://HOST[:PORT]")
            }
            rest = rest[rest.startIndex..<slash]
        }
        let (host, port) = try hostAndPort(rest, defaultPort: tls ? 443 : 80, url: text)
        var endpoint = Endpoint(address: .tcp(host: host, port: port), tls: tls, username: username, password: password)
        endpoint.transport = .rest
        return endpoint
    }

    /// `user[:password]@` taken off the front of `rest`.
    private static func userinfo(_ rest: inout Substring) -> (username: String?, password: String?) {
        guard let at = rest.lastIndex(of: "@") else { return (nil, nil) }
        let userinfo = rest[rest.startIndex..<at]
        rest = rest[rest.index(after: at)...]
        if let colon = userinfo.firstIndex(of: ":") {
            let user = String(userinfo[userinfo.startIndex..<colon])
            return (user.isEmpty ? nil : percentDecoded(user), percentDecoded(String(userinfo[userinfo.index(after: colon)...])))
        }
        return (userinfo.isEmpty ? nil : percentDecoded(String(userinfo)), nil)
    }

    /// `HOST[:PORT]` or `[IPV6][:PORT]`.
    private static func hostAndPort(_ text: Substring, defaultPort: Int, url: String) throws(EndpointError) -> (String, Int) {
        var host = String(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw EndpointError.invalidURL(redacted(url), reason: "unterminated IPv6 address")
            }
            let after = host[host.index(after: close)...]
            let literal = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw EndpointError.invalidURL(redacted(url), reason: "port must be a number from 1 to 65535")
                }
                port = p
            } else if !after.isEmpty {
                throw EndpointError.invalidURL(redacted(url), reason: "unexpected text after an IPv6 address")
            }
            host = literal
        } else if let colon = host.lastIndex(of: ":") {
            let portText = host[host.index(after: colon)...]
            guard let p = Int(portText), (1...65535).contains(p) else {
                // The text is not quoted: `redis://user:password` without `@host` puts a password here.
                throw EndpointError.invalidURL(redacted(url), reason: "port must be a number from 1 to 65535")
            }
            port = p
            host = String(host[host.startIndex..<colon])
        }
        guard !host.isEmpty else {
            throw EndpointError.invalidURL(redacted(url), reason: "missing host")
        }
        return (host, port)
    }

    /// `redis+sentinel://[user[:password]@]HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB]`.
    private static func parseSentinel(_ text: String) throws(EndpointError) -> Endpoint {
        var rest = Substring(text.dropFirst(sentinelScheme.count))
        let (username, password) = userinfo(&rest)
        let usage = "expected redis+sentinel://[user@]HOST:PORT[,HOST:PORT...]/MASTER_NAME"
        guard let slash = rest.firstIndex(of: "/") else {
            throw EndpointError.invalidURL(redacted(text), reason: "missing the master name: \(usage)")
        }
        let path = rest[rest.index(after: slash)...].split(separator: "/", omittingEmptySubsequences: false)
        guard let master = path.first, !master.isEmpty else {
            throw EndpointError.invalidURL(redacted(text), reason: "missing the master name: \(usage)")
        }
        var database = 0
        if path.count > 1 {
            guard path.count == 2, let db = Int(path[1]), db >= 0 else {
                throw EndpointError.invalidURL(
                    redacted(text),
                    reason: "after the master name only a database number may follow"
                )
            }
            database = db
        }
        var nodes: [Node] = []
        for item in rest[rest.startIndex..<slash].split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw EndpointError.invalidURL(redacted(text), reason: "empty Sentinel address: \(usage)")
            }
            let (host, port) = try hostAndPort(item, defaultPort: defaultSentinelPort, url: text)
            nodes.append(Node(host: host, port: port))
        }
        guard !nodes.isEmpty else { throw EndpointError.invalidURL(redacted(text), reason: "no Sentinel address: \(usage)") }
        return Endpoint(
            address: .sentinel(nodes: nodes, master: percentDecoded(String(master))), username: username, password: password,
            database: database)
    }

    private static func parseTCP(_ text: String) throws(EndpointError) -> Endpoint {
        let tls = text.hasPrefix("rediss://")
        var rest = Substring(text.dropFirst(tls ? 9 : 8))
        let (username, password) = userinfo(&rest)
        var query: Substring?
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[rest.startIndex..<question]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            rest = rest[rest.startIndex..<slash]
            if !dbText.isEmpty {
                // The text is not quoted: it may be a password typed into the path.
                guard let db = Int(dbText), db >= 0 else {
                    throw EndpointError.invalidURL(redacted(text), reason: "the path after the host must be a database number")
                }
                database = db
            }
        }
        let (host, port) = try hostAndPort(rest, defaultPort: defaultPort, url: text)
        var endpoint = Endpoint(
            address: .tcp(host: host, port: port), tls: tls, username: username, password: password, database: database)
        if let query { try applyQuery(query, to: &endpoint, url: text) }
        return endpoint
    }

    /// `db=N&user=NAME&password=SECRET`, the parameters a URL may carry after `?`.
    private static func applyQuery(_ query: Substring, to endpoint: inout Endpoint, url: String) throws(EndpointError) {
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            switch kv.first {
            case "db":
                guard kv.count == 2, let db = Int(kv[1]), db >= 0 else {
                    throw EndpointError.invalidURL(redacted(url), reason: "db must be a number")
                }
                endpoint.database = db
            case "user":
                endpoint.username = kv.count == 2 ? percentDecoded(kv[1]) : nil
            case "password":
                endpoint.password = kv.count == 2 ? percentDecoded(kv[1]) : nil
            default:
                // Only a plain parameter name is quoted back; anything else may be a secret.
                let name = kv.first ?? ""
                let safe = !name.isEmpty && name.count <= 32 && name.allSatisfy { $0.isLetter || $0 == "_" || $0 == "-" }
                throw EndpointError.invalidURL(
                    redacted(url), reason: "unknown parameter\(safe ? " '\(name)'" : "") (db, user, password)")
            }
        }
    }

    private static func parseUnix(_ text: String) throws(EndpointError) -> Endpoint {
        let rest = text.dropFirst("unix://".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        guard path.hasPrefix("/") else {
            throw EndpointError.invalidURL(redacted(text), reason: "a unix socket path must be absolute: unix:///path/to.sock")
        }
        var endpoint = Endpoint(address: .unix(path: path))
        if parts.count > 1 { try applyQuery(parts[1], to: &endpoint, url: text) }
        return endpoint
    }

    private static func percentDecoded(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }

    /// Masks whatever could be a password in a URL the user typed, for error messages about
    /// that URL: the userinfo's password, every query parameter but a plain `db` or `user`, a path that is not a
    /// database number (a password typed there) and a port that is not a number
    /// (`redis://user:password` without `@host`).
    public static func redacted(_ text: String) -> String {
        let schemeEnd = text.range(of: "://")
        let scheme = schemeEnd.map { String(text[..<$0.upperBound]) } ?? ""
        var rest = schemeEnd.map { text[$0.upperBound...] } ?? text[...]
        var result = scheme
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[rest.startIndex..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                result += userinfo[userinfo.startIndex..<colon] + ":***@"
            } else {
                result += userinfo + "@"
            }
            rest = rest[rest.index(after: at)...]
        }
        var query: Substring?
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[rest.startIndex..<question]
        }
        if scheme == "unix://" {
            result += rest
        } else {
            var authority = rest
            var path: Substring?
            if let slash = rest.firstIndex(of: "/") {
                authority = rest[rest.startIndex..<slash]
                path = rest[rest.index(after: slash)...]
            }
            result += authority.split(separator: ",", omittingEmptySubsequences: false).map(maskedPort).joined(separator: ",")
            if let path {
                let parts = path.split(separator: "/", omittingEmptySubsequences: false)
                // A Sentinel URL's first path part is the master name; everything else is a database number.
                let masked = parts.enumerated().map { index, part -> String in
                    if scheme == sentinelScheme && index == 0 && !part.contains("@") && !part.contains("=") {
                        return String(part)
                    }
                    return part.isEmpty || part.allSatisfy(\.isNumber) ? String(part) : "***"
                }
                result += "/" + masked.joined(separator: "/")
            }
        }
        if let query {
            result +=
                "?"
                + query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                    let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard kv.count == 2, ["db", "user", "password"].contains(kv[0]) else { return "***" }
                    return kv[0] == "password" || !kv[1].allSatisfy({ $0.isLetter || $0.isNumber })
                        ? kv[0] + "=***" : String(pair)
                }.joined(separator: "&")
        }
        return result
    }

    /// A message with every endpoint URL in it redacted (and any `password=` value masked):
    /// the last guard on what reaches standard error, whatever quoted the URL.
    public static func redactingURLs(in message: String) -> String {
        let schemes = ["redis://", "rediss://", "unix://", sentinelScheme, restScheme, restPlainScheme]
        guard schemes.contains(where: message.contains) || message.contains("password=") else { return message }
        var result = ""
        var token = ""
        func flush() {
            if schemes.contains(where: token.hasPrefix) || token.contains("password=") {
                // Punctuation after the URL belongs to the sentence (`redis://h:1/2: refused`).
                var url = Substring(token)
                while let last = url.last, ":,;.)".contains(last) { url = url.dropLast() }
                result += redacted(String(url)) + token.dropFirst(url.count)
            } else {
                result += token
            }
            token = ""
        }
        for character in message {
            if character.isWhitespace || character == "'" || character == "\"" || character == "`" {
                flush()
                result.append(character)
            } else {
                token.append(character)
            }
        }
        flush()
        return result
    }

    /// `host:port` with a port that is not a number masked.
    private static func maskedPort(_ hostPort: Substring) -> String {
        guard let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") else { return String(hostPort) }
        let port = hostPort[hostPort.index(after: colon)...]
        return port.allSatisfy(\.isNumber) ? String(hostPort) : hostPort[hostPort.startIndex..<colon] + ":***"
    }

    /// `user:***@`, `:***@` or nothing.
    private var maskedUserinfo: String {
        if let username { return username + (password != nil ? ":***" : "") + "@" }
        return password != nil ? ":***@" : ""
    }

    /// The endpoint as a URL with the password masked.
    public var description: String {
        switch address {
        case .tcp(let host, let port) where transport == .rest:
            // The token is always there, so it is never hinted at.
            return (tls ? Self.restScheme : Self.restPlainScheme) + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        case .tcp(let host, let port):
            var s = (tls ? "rediss://" : "redis://") + maskedUserinfo
            s += host.contains(":") ? "[\(host)]" : host
            s += ":\(port)"
            if database != 0 { s += "/\(database)" }
            return s
        case .sentinel(let nodes, let master):
            var s = Self.sentinelScheme + maskedUserinfo + nodes.map(\.description).joined(separator: ",") + "/" + master
            if database != 0 { s += "/\(database)" }
            return s
        case .unix(let path):
            var s = "unix://\(path)"
            var params: [String] = []
            if database != 0 { params.append("db=\(database)") }
            if let username { params.append("user=\(username)") }
            if password != nil { params.append("password=***") }
            if !params.isEmpty { s += "?" + params.joined(separator: "&") }
            return s
        }
    }
}

/// Why an endpoint could not be used; never carries a password.
public enum EndpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL could not be parsed (the URL shown is already redacted).
    case invalidURL(String, reason: String)
    /// TCP or TLS connection failed or timed out.
    case unreachable(endpoint: String, reason: String)
    /// AUTH or SELECT was refused.
    case refused(endpoint: String, reason: String)
    /// A TLS option could not be used (unreadable CA file, ...).
    case tlsConfiguration(String)
    /// The connection works, but the server refused a read-only command the run needs (an ACL, a managed host).
    case commandRefused(endpoint: String, command: String, reason: String)
    /// No Sentinel named a primary for the master (each Sentinel tried, with why it did not).
    case primaryNotFound(master: String, tried: [String])
    /// The endpoint answers, but is not what the run can use (a replica, a Sentinel, a proxy
    /// without SCAN): one sentence that says what it is and what to point at instead.
    case unsuitable(endpoint: String, sentence: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): return "invalid endpoint '\(url)': \(reason)"
        case .unreachable(let endpoint, let reason): return "cannot reach \(endpoint): \(reason)"
        case .refused(let endpoint, let reason): return "\(endpoint) refused the connection: \(reason)"
        case .tlsConfiguration(let reason): return "TLS configuration: \(reason)"
        case .commandRefused(let endpoint, let command, let reason): return "\(endpoint) refused \(command): \(reason)"
        case .primaryNotFound(let master, let tried):
            return "no Sentinel named a primary for master '\(master)' (tried \(tried.joined(separator: "; ")))"
        case .unsuitable(_, let sentence): return sentence
        }
    }
}
