import Foundation

/// A Redis endpoint to audit: where it is, how to authenticate, which database.
///
/// Parsed from `redis://[user[:password]@]host[:port][/db]`, `rediss://...` (TLS) or
/// `unix:///path/to.sock[?db=N]`. The password never appears in `description`: endpoints
/// are shown as `redis://user:***@host:port/db`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// How to reach the server.
    public enum Address: Hashable, Sendable {
        case tcp(host: String, port: Int)
        case unix(path: String)
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

    public init(address: Address, tls: Bool = false, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.tls = tls
        self.username = username
        self.password = password
        self.database = database
    }

    /// The default Redis port.
    public static let defaultPort = 6379

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
        } else if !text.contains("://") && !text.isEmpty {
            // `host:port` shorthand, as redis-cli users type it.
            endpoint = try parseTCP("redis://" + text)
        } else {
            throw EndpointError.invalidURL(redacted(text), reason: "expected redis://, rediss:// or unix://")
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

    private static func parseTCP(_ text: String) throws(EndpointError) -> Endpoint {
        let tls = text.hasPrefix("rediss://")
        var rest = Substring(text.dropFirst(tls ? 9 : 8))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[rest.startIndex..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = String(userinfo[userinfo.startIndex..<colon])
                username = user.isEmpty ? nil : percentDecoded(user)
                password = percentDecoded(String(userinfo[userinfo.index(after: colon)...]))
            } else if !userinfo.isEmpty {
                username = percentDecoded(String(userinfo))
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            rest = rest[rest.startIndex..<slash]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else {
                    throw EndpointError.invalidURL(redacted(text), reason: "database must be a number, got '\(dbText)'")
                }
                database = db
            }
        }
        var host = String(rest)
        var port = defaultPort
        if host.hasPrefix("[") {
            // IPv6 literal: [::1]:6379
            guard let close = host.firstIndex(of: "]") else {
                throw EndpointError.invalidURL(redacted(text), reason: "unterminated IPv6 address")
            }
            let after = host[host.index(after: close)...]
            let literal = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw EndpointError.invalidURL(redacted(text), reason: "port must be 1-65535")
                }
                port = p
            }
            host = literal
        } else if let colon = host.lastIndex(of: ":") {
            let portText = host[host.index(after: colon)...]
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw EndpointError.invalidURL(redacted(text), reason: "port must be 1-65535, got '\(portText)'")
            }
            port = p
            host = String(host[host.startIndex..<colon])
        }
        guard !host.isEmpty else {
            throw EndpointError.invalidURL(redacted(text), reason: "missing host")
        }
        return Endpoint(address: .tcp(host: host, port: port), tls: tls, username: username, password: password, database: database)
    }

    private static func parseUnix(_ text: String) throws(EndpointError) -> Endpoint {
        let rest = text.dropFirst("unix://".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        guard path.hasPrefix("/") else {
            throw EndpointError.invalidURL(redacted(text), reason: "a unix socket path must be absolute: unix:///path/to.sock")
        }
        var endpoint = Endpoint(address: .unix(path: path))
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                switch kv.first {
                case "db":
                    guard kv.count == 2, let db = Int(kv[1]), db >= 0 else {
                        throw EndpointError.invalidURL(redacted(text), reason: "db must be a number")
                    }
                    endpoint.database = db
                case "user":
                    endpoint.username = kv.count == 2 ? percentDecoded(kv[1]) : nil
                case "password":
                    endpoint.password = kv.count == 2 ? percentDecoded(kv[1]) : nil
                default:
                    throw EndpointError.invalidURL(redacted(text), reason: "unknown parameter '\(kv.first ?? "")' (db, user, password)")
                }
            }
        }
        return endpoint
    }

    private static func percentDecoded(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }

    /// Masks any password in a URL the user typed, for error messages about that URL.
    public static func redacted(_ text: String) -> String {
        var result = text
        if let scheme = result.range(of: "://"), let at = result.range(of: "@", options: .backwards),
           scheme.upperBound < at.lowerBound {
            let userinfo = result[scheme.upperBound..<at.lowerBound]
            if let colon = userinfo.firstIndex(of: ":") {
                result.replaceSubrange(result.index(after: colon)..<at.lowerBound, with: "***")
            }
        }
        if let range = result.range(of: "password=") {
            let end = result[range.upperBound...].firstIndex(of: "&") ?? result.endIndex
            result.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return result
    }

    /// The endpoint as a URL with the password masked.
    public var description: String {
        switch address {
        case .tcp(let host, let port):
            var s = tls ? "rediss://" : "redis://"
            if let username {
                s += username
                if password != nil { s += ":***" }
                s += "@"
            } else if password != nil {
                s += ":***@"
            }
            s += host.contains(":") ? "[\(host)]" : host
            s += ":\(port)"
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

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): return "invalid endpoint '\(url)': \(reason)"
        case .unreachable(let endpoint, let reason): return "cannot reach \(endpoint): \(reason)"
        case .refused(let endpoint, let reason): return "\(endpoint) refused the connection: \(reason)"
        case .tlsConfiguration(let reason): return "TLS configuration: \(reason)"
        case .commandRefused(let endpoint, let command, let reason): return "\(endpoint) refused \(command): \(reason)"
        }
    }
}
