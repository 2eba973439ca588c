import RESP

/// Why an endpoint did not run a command the other one ran: it does not know the command,
/// refuses it to the audit's user (an ACL), or closed the connection on it (proxies such as
/// twemproxy do that for commands they do not support).
enum CommandAccess: String, Hashable, Sendable {
    case unknown
    case denied
    case closedConnection
    /// The endpoint's transport (Upstash's REST API) cannot carry the command at all.
    case notCarried

    /// The access problem an outcome shows, if any.
    static func of(_ outcome: CommandOutcome) -> CommandAccess? {
        switch outcome {
        case .reply(.error(let message)): return of(errorMessage: message)
        case .failed(.connectionClosed): return .closedConnection
        default: return nil
        }
    }

    /// The access problem an error reply names: NOPERM, or a command (or subcommand) the server does not know.
    static func of(errorMessage message: String) -> CommandAccess? {
        if message.hasPrefix("NOPERM") { return .denied }
        if message.contains(RESTBatch.notCarried) { return .notCarried }
        let lower = message.lowercased()
        return lower.contains("unknown command") || lower.contains("unknown subcommand") ? .unknown : nil
    }
}

/// One command one endpoint did not run while the other did, as a scenario saw it.
struct AccessFailure: Sendable {
    /// The command as the report names it (`HSETEX`, `CLIENT NO-EVICT`).
    var command: String
    /// The endpoint that did not run it.
    var role: String
    var access: CommandAccess
    var scenario: String
    /// Where it was first seen, as `Transcript.location` words it.
    var location: String
    /// The command and both sides' replies.
    var evidence: [String]
}

/// One finding per command and endpoint out of every scenario's access failures:
/// `command-unsupported` for unknown commands and closed connections, `command-denied`
/// (with the ACL categories that would allow it) for NOPERM.
enum AccessFindings {
    /// The findings for every command one side did not run, with the ACL categories of the
    /// denied ones asked of `connections`; each profile gets the commands denied on it.
    static func findings(
        _ failures: [AccessFailure], profiles: inout [ServerProfile], asking connections: [RedisConnection]
    ) async -> [Finding] {
        var categories: [String: [String]] = [:]
        for name in Set(failures.filter { $0.access == .denied }.map(\.command)) {
            categories[name] = await Self.categories(of: name, on: connections)
        }
        for index in profiles.indices {
            let denied = Set(failures.filter { $0.access == .denied && $0.role == profiles[index].role }.map(\.command))
            if !denied.isEmpty { profiles[index].denied = denied.sorted() }
        }
        return findings(failures, categories: categories)
    }

    static func findings(_ failures: [AccessFailure], categories: [String: [String]] = [:]) -> [Finding] {
        var order: [String] = []
        var grouped: [String: [AccessFailure]] = [:]
        for failure in failures {
            let key = "\(failure.access.rawValue)|\(failure.command)|\(failure.role)"
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(failure)
        }
        return order.map { key in
            let all = grouped[key]!
            let first = all[0]
            let scenarios = all.map(\.scenario).reduce(into: [String]()) { if !$1.isEmpty && !$0.contains($1) { $0.append($1) } }
            var evidence = first.evidence
            evidence.append(
                "\(all.count) time\(all.count == 1 ? "" : "s") in \(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s"): "
                    + scenarios.map { "`\($0)`" }.joined(separator: ", "))
            let name = first.command
            let role = first.role
            let (identity, category, title, why, fix): (String, FindingCategory, String, String, String)
            switch first.access {
            case .denied:
                let allowing = categories[name] ?? []
                if !allowing.isEmpty { evidence.append("ACL categories of \(name): " + allowing.joined(separator: " ")) }
                let grant =
                    allowing.isEmpty
                    ? "`+\(name.lowercased())`" : "`+\(name.lowercased())` (or one of \(allowing.joined(separator: ", ")))"
                (identity, category) = ("denied|\(name)|\(role)", .commandDenied)
                title = "\(name) is denied to the audit's user on \(role) (NOPERM)"
                why =
                    "The server knows \(name) but the user's ACL refuses it: an application connecting as this user fails "
                    + "every request that needs it. Its replies are not compared, so they add no further findings."
                fix =
                    "Grant it to the application's user (ACL SETUSER user \(grant)), or audit with the user the application really uses."
            case .notCarried:
                (identity, category) = ("unsupported|\(name)|\(role)", .commandUnsupported)
                title = "\(name) cannot travel over \(role)'s REST API"
                why =
                    "Each REST request stands alone, with no connection behind it: blocking commands, subscriptions, "
                    + "WATCH and connection state have nothing to live on, so an SDK over REST cannot send \(name) "
                    + "and the code path that needs it fails after the move."
                fix =
                    "Keep this code path on a TCP client for this host (the same database takes rediss:// connections), "
                    + "or replace \(name): polling instead of a blocking pop, a /multi-exec transaction instead of WATCH."
            case .unknown, .closedConnection:
                let closed = first.access == .closedConnection
                (identity, category) = ("unsupported|\(name)|\(role)", .commandUnsupported)
                title =
                    closed ? "\(role) closed the connection on \(name)" : "\(name) is not supported on \(role) (unknown command)"
                why =
                    closed
                    ? "The host (often a proxy such as twemproxy, which drops the connection on commands it does not support) "
                        + "ends the connection instead of answering: the application's client sees a network error and every "
                        + "command queued behind it fails too."
                    : "The application's \(name) fails on this host, so the code path that depends on it breaks after the move."
                fix =
                    closed
                    ? "Do not send \(name) through this host (use a server or proxy that supports it), or restructure the scripts."
                    : "Use a host (engine and version) that supports \(name), or replace it with commands both hosts support."
            }
            return Finding(
                identity: identity, severity: .high, category: category, title: title, endpoints: [role],
                scenario: scenarios.count == 1 ? first.scenario : nil, step: scenarios.count == 1 ? first.location : nil,
                evidence: evidence, why: why, fix: fix, occurrences: all.count)
        }
    }

    /// The ACL categories COMMAND INFO gives for a command (`@write`, `@hash`, ...), from the
    /// first endpoint that answers; empty when none does.
    static func categories(of name: String, on connections: [RedisConnection]) async -> [String] {
        guard let command = name.split(separator: " ").first.map({ Array($0.utf8) }) else { return [] }
        for connection in connections {
            let info = RESPCommand(arguments: [Array("COMMAND".utf8), Array("INFO".utf8), command])
            guard case .reply(let reply) = await connection.send([info])[0], let first = reply.arrayElements?.first,
                let description = CommandDescription(first), !description.categories.isEmpty
            else { continue }
            return description.categories
        }
        return []
    }
}
