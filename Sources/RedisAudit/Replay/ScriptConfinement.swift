import Foundation
import NIOConcurrencyHelpers
import RESP

/// The temporary ACL user a run's scenario connections authenticate as: it may touch only the
/// run's keys (`~redisaudit:<run>-*`), no channel, and no command that reaches the whole keyspace
/// or the server, so a script the tool did not write cannot escape the run namespace.
///
/// ```
///   ACL SETUSER redisaudit-<run>-a reset on >password resetkeys ~redisaudit:<run>-* resetchannels
///       <the audit user's commands> -@dangerous -@admin -scan -randomkey -dbsize -select -move ...
///   ─▶ scenario connections AUTH as it ─▶ ACL DELUSER ─▶ ACL GETUSER says it is gone
/// ```
///
/// One user per endpoint (`-a`, `-b`): when A and B are one server reached as two different
/// users, each side's temporary user has its own side's commands.
public struct ConfinedUser: Hashable, Sendable, CustomStringConvertible {
    /// `redisaudit-<run>-<role>`.
    public let name: String
    /// Random, never printed.
    let password: String

    /// The name only: the password is never printed.
    public var description: String { name }

    /// The user name prefix every temporary user carries.
    public static let prefix = "redisaudit-"

    /// The user of a run on the endpoint with this role (`A`, `B`).
    public static func name(runID: String, role: String) -> String { prefix + runID + "-" + role.lowercased() }

    /// The key pattern of a run: every namespace of the run is `redisaudit:<run>-...:`.
    static func keyPattern(runID: String) -> String { "~" + Namespace.root + runID + "-*" }

    /// The endpoint as the scenario's connections reach it: the same place, as this user.
    public func endpoint(_ endpoint: Endpoint) -> Endpoint {
        var confined = endpoint
        confined.username = name
        confined.password = password
        return confined
    }

    /// The user's first rules: only the run's keys, no channel, and the commands of the endpoint's
    /// own user (`ACL GETUSER` of `ACL WHOAMI`), so the temporary user never runs what the audit's
    /// user could not: a command that user is denied still reads as `command-denied`.
    static func baseRules(runID: String, password: String, commands: [String]) -> [String] {
        ["reset", "on", ">" + password, "resetkeys", keyPattern(runID: runID), "resetchannels"] + commands
    }

    /// What is then taken away, on every server.
    ///
    /// `-@dangerous -@admin` takes away the server-wide commands (FLUSHALL, FLUSHDB, SWAPDB, KEYS,
    /// MIGRATE, CONFIG, DEBUG, ACL, CLIENT KILL, MONITOR, SHUTDOWN, SORT, INFO, RESTORE, ...).
    /// Then the keyspace-wide commands that are in neither category: SCAN, RANDOMKEY and DBSIZE
    /// list or count every key (key patterns do not restrict them), MOVE and SELECT reach another
    /// database, which the run's cleanup does not look at (SELECT stays allowed when an endpoint's
    /// database is not 0: the handshake needs it).
    static func confiningRules(allowSelect: Bool) -> [String] {
        ["-@dangerous", "-@admin", "-scan", "-randomkey", "-dbsize", "-move"] + (allowSelect ? [] : ["-select"])
    }

    /// Rules for commands not every server has, each sent on its own: one the server does not know
    /// is refused and changes nothing (the command it names does not exist there).
    static let versionRules = [
        // Functions change the server's libraries for every client (Redis 7+).
        "-function",
        // Cached scripts are every client's (Redis 7+ accepts subcommand rules for SCRIPT).
        "-script|flush", "-script|kill",
    ]

    /// Commands given back when the endpoint's own user may run them, as they touch only keys the
    /// pattern confines or the caller's own connection: RESTORE (a key the pattern confines), INFO
    /// (server statistics, no key names) and the CLIENT subcommands the command table allows, one
    /// of which the handshake sends (CLIENT SETNAME). CONFIG GET stays refused: it shows the
    /// server's passwords. Each comes with the harmless command that shows whether the user may
    /// run it (NOPERM or not).
    static func givenBack(runID: String) -> [(rule: String, probe: RESPCommand)] {
        [
            ("+restore", RESPCommand("RESTORE", Namespace.root + runID + "-probe", "0", "not-a-dump")),
            ("+info", RESPCommand("INFO", "server")),
            ("+client|id", RESPCommand("CLIENT", "ID")),
            ("+client|getname", RESPCommand("CLIENT", "GETNAME")),
            ("+client|setname", RESPCommand("CLIENT", "SETNAME", "redisaudit")),
            ("+client|no-evict", RESPCommand("CLIENT", "NO-EVICT", "off")),
            ("+client|no-touch", RESPCommand("CLIENT", "NO-TOUCH", "off")),
        ]
    }

    /// True when a script's own command was refused by the ACL: the script called a command the
    /// user may not run or touched a key outside its patterns (the wording of Redis 6.2, 7 and
    /// Valkey). A refusal of the script command itself (`NOPERM ... 'eval' command`) is the
    /// endpoint's ACL, not an escape.
    public static func isScriptRefusal(_ message: String) -> Bool {
        message.contains("The user executing the script can't") || message.contains("ACL failure in script")
    }
}

/// Creating, deleting and finding temporary users on one endpoint, always with the endpoint's own
/// credentials.
public enum ConfinementUsers {
    /// Why an endpoint cannot confine the run: the server's refusal of ACL SETUSER.
    public struct Unavailable: Error, Hashable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// What deleting a user achieved, as the server confirmed it.
    public struct Deletion: Hashable, Sendable {
        public var user: String
        /// True when ACL GETUSER no longer knows the user.
        public var gone: Bool
        /// What the server said when it is not gone (or could not be asked).
        public var problem: String?
    }

    /// Creates (or, on a server both endpoints share, sets again identically) the run's user on
    /// the endpoint `connection` talks to, with that connection's own credentials.
    ///
    /// ```
    ///   ACL WHOAMI, ACL GETUSER me ─▶ its commands ─▶ ACL SETUSER tmp (run's keys, those commands)
    ///   ─▶ as tmp: each given-back command's probe, NOPERM or not ─▶ ACL SETUSER tmp -@dangerous ...
    ///      +what the probes allowed
    /// ```
    static func create(
        runID: String, role: String, password: String, allowSelect: Bool, on connection: RedisConnection
    )
        async throws(Unavailable) -> ConfinedUser
    {
        let user = ConfinedUser(name: ConfinedUser.name(runID: runID, role: role), password: password)
        let setuser = { (rules: [String]) in RESPCommand(strings: ["ACL", "SETUSER", user.name] + rules) }
        let commands = try await ownCommands(on: connection)
        switch await connection.send([setuser(ConfinedUser.baseRules(runID: runID, password: password, commands: commands))])[0] {
        case .reply(.error(let message)):
            // The server may quote the rule it refused: the password never goes further.
            throw Unavailable(reason: "ACL SETUSER refused: \(message.replacingOccurrences(of: password, with: "***"))")
        case .reply:
            break
        case .failed(let failure):
            throw Unavailable(reason: "ACL SETUSER got no answer: \(failure)")
        }
        // The probes run as the user before anything is taken away: what it may run is what the audit's user may.
        var given: [String] = []
        var probeOptions = connection.options
        probeOptions.clientName = nil
        do {
            let probe = try await RedisConnection.connect(to: user.endpoint(connection.endpoint), options: probeOptions)
            let back = ConfinedUser.givenBack(runID: runID)
            for ((rule, _), outcome) in zip(back, await probe.send(back.map(\.probe))) {
                if case .reply(.error(let message)) = outcome, message.hasPrefix("NOPERM") { continue }
                if case .failed = outcome { continue }
                given.append(rule)
            }
            await probe.close()
        } catch {
            _ = await connection.send([RESPCommand("ACL", "DELUSER", user.name)])
            throw Unavailable(reason: "the temporary ACL user cannot log in: \(error)")
        }
        switch await connection.send([setuser(ConfinedUser.confiningRules(allowSelect: allowSelect))])[0] {
        case .reply(.error(let message)):
            _ = await connection.send([RESPCommand("ACL", "DELUSER", user.name)])
            throw Unavailable(reason: "ACL SETUSER refused: \(message)")
        case .reply:
            break
        case .failed(let failure):
            throw Unavailable(reason: "ACL SETUSER got no answer: \(failure)")
        }
        for rule in ConfinedUser.versionRules + given {
            // A rule naming a command this server does not have is refused on its own and changes nothing.
            _ = await connection.send([setuser([rule])])
        }
        return user
    }

    /// The command rules of the user `connection` is logged in as (`+@all -@write`, say).
    private static func ownCommands(on connection: RedisConnection) async throws(Unavailable) -> [String] {
        let replies = await connection.send([RESPCommand("ACL", "WHOAMI")])
        guard case .reply(let whoami) = replies[0] else { throw Unavailable(reason: "ACL WHOAMI got no answer") }
        if case .error(let message) = whoami { throw Unavailable(reason: "ACL WHOAMI refused: \(message)") }
        guard let me = whoami.text else { throw Unavailable(reason: "ACL WHOAMI gave no user name") }
        guard case .reply(let user) = await connection.send([RESPCommand("ACL", "GETUSER", me)])[0] else {
            throw Unavailable(reason: "ACL GETUSER got no answer")
        }
        if case .error(let message) = user { throw Unavailable(reason: "ACL GETUSER refused: \(message)") }
        let fields = user.arrayElements ?? []
        var index = 0
        while index + 1 < fields.count {
            if fields[index].text == "commands", let rules = fields[index + 1].text {
                return rules.split(separator: " ").map(String.init)
            }
            index += 2
        }
        throw Unavailable(reason: "ACL GETUSER \(me) does not list the user's commands")
    }

    /// Deletes a user and checks with ACL GETUSER that it is gone.
    static func delete(_ name: String, on connection: RedisConnection) async -> Deletion {
        let deleted = await connection.send([RESPCommand("ACL", "DELUSER", name)])[0]
        switch await connection.send([RESPCommand("ACL", "GETUSER", name)])[0] {
        case .reply(.null), .reply(.nullArray):
            return Deletion(user: name, gone: true)
        case .reply(.error(let message)):
            return Deletion(user: name, gone: false, problem: "ACL GETUSER refused: \(message)")
        case .reply:
            var problem = "ACL GETUSER still finds it"
            if case .reply(.error(let message)) = deleted { problem += " (ACL DELUSER: \(message))" }
            return Deletion(user: name, gone: false, problem: problem)
        case .failed(let failure):
            return Deletion(user: name, gone: false, problem: "ACL GETUSER got no answer: \(failure)")
        }
    }

    /// The temporary users on an endpoint: `redisaudit-<run>` for a given run, or every user whose
    /// run id has the generated format (12 lowercase hex digits).
    static func find(runID: String?, on connection: RedisConnection) async throws(EndpointError) -> [String] {
        try await listing(runID: runID, on: connection).get()
    }

    /// `find(runID:on:)` as a result.
    private static func listing(runID: String?, on connection: RedisConnection) async -> Result<[String], EndpointError> {
        switch await connection.send([RESPCommand("ACL", "USERS")])[0] {
        case .reply(.error(let message)):
            return .failure(
                .commandRefused(endpoint: connection.endpoint.description, command: "ACL USERS", reason: message))
        case .reply(let reply):
            let names = (reply.arrayElements ?? []).compactMap(\.text)
            return .success(names.filter { isTemporary($0, runID: runID) }.sorted())
        case .failed(let failure):
            return .failure(.unreachable(endpoint: connection.endpoint.description, reason: failure.description))
        }
    }

    /// True for a temporary user's name: `redisaudit-<run>-<role letter>`, where the run is the
    /// given one, or (without one) a generated run id: exactly 12 lowercase hex digits.
    static func isTemporary(_ name: String, runID: String?) -> Bool {
        guard name.hasPrefix(ConfinedUser.prefix) else { return false }
        let rest = Array(name.utf8.dropFirst(ConfinedUser.prefix.utf8.count))
        guard rest.count >= 3, rest[rest.count - 2] == UInt8(ascii: "-"),
            let role = rest.last, role >= UInt8(ascii: "a") && role <= UInt8(ascii: "z")
        else { return false }
        let id = rest.dropLast(2)
        if let runID { return id.elementsEqual(runID.utf8) }
        return id.count == 12 && id.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// A low `namespace-leftover` finding when earlier, killed runs left temporary users on the
    /// endpoint `connection` talks to; nil when there are none, or ACL USERS is refused.
    static func leftoverFinding(on connection: RedisConnection, role: String) async -> Finding? {
        var users: [String] = []
        if connection.endpoint.isCluster {
            // Each node of a cluster keeps its own users.
            for node in (try? await DataNodes.of(connection.endpoint, options: connection.options)) ?? [] {
                guard let nodeConnection = try? await RedisConnection.connect(to: node, options: connection.options) else {
                    continue
                }
                if case .success(let found) = await listing(runID: nil, on: nodeConnection) { users += found }
                await nodeConnection.close()
            }
            users = Array(Set(users)).sorted()
        } else if case .success(let found) = await listing(runID: nil, on: connection) {
            users = found
        }
        guard !users.isEmpty else { return nil }
        return Finding(
            identity: "leftover-users|\(role)", severity: .low, category: .leftover,
            title: "\(users.count) temporary ACL user\(users.count == 1 ? "" : "s") left by earlier interrupted runs on \(role)",
            endpoints: [role], evidence: ["ACL USERS -> " + users.prefix(10).joined(separator: ", ")],
            why: "A run that was killed could not delete its temporary user; it can still log in with a password "
                + "nobody knows any more and touch that run's key namespace.",
            fix: "Run `redisaudit clean <endpoint>` to delete them.")
    }

    /// What `redisaudit clean` did about temporary users.
    public struct CleanResult: Sendable {
        /// Users found.
        public var found: [String]
        /// Users deleted, as ACL GETUSER confirmed (empty on a dry run).
        public var deleted: [String]
        /// Users still there, with what the server said.
        public var remaining: [String: String]
        /// Set when the endpoint does not let the audit's user list ACL users.
        public var skipped: String?
    }

    /// `redisaudit clean`: finds the temporary users of killed runs (`redisaudit-<run>`) and
    /// deletes them, counting only what the server confirms.
    public static func clean(endpoint: Endpoint, options: ConnectionOptions, runID: String?, dryRun: Bool) async throws
        -> CleanResult
    {
        // Each node of a cluster keeps its own users.
        var result = CleanResult(found: [], deleted: [], remaining: [:], skipped: nil)
        for node in try await DataNodes.of(endpoint, options: options) {
            let onNode = try await cleanNode(endpoint: node, options: options, runID: runID, dryRun: dryRun)
            result.found = Array(Set(result.found + onNode.found)).sorted()
            result.deleted = Array(Set(result.deleted + onNode.deleted)).sorted()
            result.remaining.merge(onNode.remaining) { first, _ in first }
            result.skipped = result.skipped ?? onNode.skipped
        }
        result.deleted.removeAll { result.remaining[$0] != nil }
        return result
    }

    /// `clean` on one server.
    private static func cleanNode(endpoint: Endpoint, options: ConnectionOptions, runID: String?, dryRun: Bool)
        async throws -> CleanResult
    {
        let connection = try await RedisConnection.connect(to: endpoint, options: options)
        return try await withCleanup {
            let found: [String]
            switch await listing(runID: runID, on: connection) {
            case .success(let names):
                found = names
            case .failure(.commandRefused(_, _, let reason)):
                // No ACL on this host (or not for this user): no temporary user can exist here either.
                return CleanResult(found: [], deleted: [], remaining: [:], skipped: "ACL USERS refused: \(reason)")
            case .failure(let error):
                throw error
            }
            var result = CleanResult(found: found, deleted: [], remaining: [:], skipped: nil)
            guard !dryRun else { return result }
            for name in found {
                let deletion = await delete(name, on: connection)
                if deletion.gone {
                    result.deleted.append(name)
                } else {
                    result.remaining[name] = deletion.problem ?? "still there"
                }
            }
            return result
        } cleanup: {
            await connection.close()
        }
    }
}

/// Whether and how each endpoint confines a run's scripts: the temporary user it made, or why it
/// could not; then whether each user was deleted, for the report's cleanup note and findings.
public final class RunConfinement: Sendable {
    /// One endpoint's confinement.
    public enum Side: Hashable, Sendable {
        case confined(ConfinedUser)
        case unconfined(reason: String)
    }

    /// The run id the users are named after.
    public let runID: String
    private let sides: [String: Side]
    private let deletions = NIOLockedValueBox<[String: ConfinementUsers.Deletion]>([:])

    init(runID: String, sides: [String: Side]) {
        self.runID = runID
        self.sides = sides
    }

    /// Creates the run's user on each endpoint, with its own connection and credentials.
    static func establish(
        runID: String, endpoints: [(role: String, endpoint: Endpoint)], options: ConnectionOptions
    ) async throws(EndpointError) -> RunConfinement {
        var sides: [String: Side] = [:]
        var generator = SystemRandomNumberGenerator()
        for (role, endpoint) in endpoints {
            let nodes: [Endpoint]
            do {
                nodes = try await DataNodes.of(endpoint, options: options)
            } catch {
                // The users already made go with the run that cannot start.
                await RunConfinement(runID: runID, sides: sides).release(endpoints: endpoints, options: options)
                throw error
            }
            // One user, with one password, on every node: a cluster's nodes keep their ACLs apart.
            let password = RandomValue.hex(count: 48, using: &generator)
            var made: [Endpoint] = []
            for node in nodes {
                let connection: RedisConnection
                do {
                    connection = try await RedisConnection.connect(to: node, options: options)
                } catch {
                    await RunConfinement(runID: runID, sides: sides).release(endpoints: endpoints, options: options)
                    for node in made { await Self.deleteUser(runID: runID, role: role, on: node, options: options) }
                    throw error
                }
                do {
                    sides[role] = .confined(
                        try await ConfinementUsers.create(
                            runID: runID, role: role, password: password, allowSelect: endpoint.database != 0,
                            on: connection))
                    made.append(node)
                } catch {
                    sides[role] = .unconfined(reason: "cannot create a temporary ACL user: \(error.reason)")
                    if Interruption.current?.isRequested == true {
                        // A stop closed the connection mid-creation: the user may exist, so it goes now
                        // (a connection opened after the stop is left open for exactly this).
                        made.append(node)
                    }
                    for node in made { await Self.deleteUser(runID: runID, role: role, on: node, options: options) }
                    await connection.close()
                    break
                }
                await connection.close()
            }
        }
        return RunConfinement(runID: runID, sides: sides)
    }

    /// Deletes the run's user for `role` from one node, on a fresh connection.
    private static func deleteUser(runID: String, role: String, on node: Endpoint, options: ConnectionOptions) async {
        guard let fresh = try? await RedisConnection.connect(to: node, options: options) else { return }
        _ = await ConfinementUsers.delete(ConfinedUser.name(runID: runID, role: role), on: fresh)
        await fresh.close()
    }

    /// The user the scenario's connections to `role` authenticate as; nil when unconfined.
    public func user(role: String) -> ConfinedUser? {
        if case .confined(let user)? = sides[role] { return user }
        return nil
    }

    /// The endpoints that could not confine the run, with the reason, by role.
    public var unconfined: [(role: String, reason: String)] {
        sides.sorted { $0.key < $1.key }.compactMap { role, side in
            if case .unconfined(let reason) = side { return (role, reason) }
            return nil
        }
    }

    /// What an interrupted audit says about its users: releases them first if the audit was
    /// stopped before it could (each user is deleted once; `release` is not repeated).
    public func interrupted(endpoints: [(role: String, endpoint: Endpoint)], options: ConnectionOptions) async -> String? {
        let released = deletions.withLockedValue { !$0.isEmpty }
        if !released { await release(endpoints: endpoints, options: options) }
        return (ending(InterruptedError()) as? InterruptedError)?.confinement
    }

    /// The error to end an audit with after `release`: an interruption says what became of the users.
    func ending(_ error: Error) -> Error {
        guard error is InterruptedError else { return error }
        let users = deletions.withLockedValue { $0 }.sorted { $0.key < $1.key }
        guard !users.isEmpty else { return error }
        let gone = users.filter { $0.value.gone }.map(\.value.user)
        let left = users.filter { !$0.value.gone }.map(\.value.user)
        var text =
            gone.isEmpty
            ? ""
            : "temporary ACL user\(gone.count == 1 ? "" : "s") \(gone.joined(separator: ", ")) deleted (ACL GETUSER confirms)"
        if !left.isEmpty {
            text += (text.isEmpty ? "" : "; ") + "\(left.joined(separator: ", ")) NOT deleted: run `redisaudit clean`"
        }
        return InterruptedError(confinement: text)
    }

    /// Deletes every user this run made, checking each is gone. Never throws: what could not be
    /// confirmed is recorded for the report.
    func release(endpoints: [(role: String, endpoint: Endpoint)], options: ConnectionOptions) async {
        for (role, endpoint) in endpoints {
            guard let user = user(role: role) else { continue }
            var deletion = ConfinementUsers.Deletion(user: user.name, gone: true, problem: nil)
            do {
                // Every node of a cluster holds the user: it is gone when it is gone from each.
                let nodes = try await DataNodes.of(endpoint, options: options)
                for node in nodes {
                    let connection = try await RedisConnection.connect(to: node, options: options)
                    let onNode = await ConfinementUsers.delete(user.name, on: connection)
                    await connection.close()
                    if !onNode.gone, deletion.gone {
                        deletion = onNode
                        if nodes.count > 1 { deletion.problem = "on \(node): " + (onNode.problem ?? "still there") }
                    }
                }
            } catch {
                deletion = ConfinementUsers.Deletion(user: user.name, gone: false, problem: "cannot connect: \(error)")
            }
            deletions.withLockedValue { $0[role] = deletion }
        }
    }

    /// The report's line on confinement: which user confined the scripts on each endpoint and
    /// whether it is gone, or why an endpoint ran them unconfined.
    public func note(roles: [String], allowedUnconfined: Bool) -> String {
        let parts = roles.map { role -> String in
            switch sides[role] {
            case .confined(let user)?:
                let deletion = deletions.withLockedValue { $0[role] }
                let after: String
                switch deletion {
                case let d? where d.gone: after = "deleted afterwards (ACL GETUSER confirms it is gone)"
                case let d?: after = "NOT deleted: \(d.problem ?? "still there") (see the namespace-leftover finding)"
                case nil: after = "not deleted yet"
                }
                return "\(role): scenario connections ran as the temporary ACL user `\(user.name)`, "
                    + "confined to `\(ConfinedUser.keyPattern(runID: runID).dropFirst())`; \(after)"
            case .unconfined(let reason)?:
                return "\(role): scripts were not confined by the server (\(reason)); "
                    + (allowedUnconfined
                        ? "they ran unchecked because of --allow-unconfined-scripts"
                        : "every script passed the static check before anything was sent")
            case nil:
                return "\(role): not confined"
            }
        }
        return "Script confinement: " + parts.joined(separator: "; ") + "."
    }

    /// A high `namespace-leftover` finding per endpoint whose temporary user could not be deleted.
    public func findings(roles: [String]) -> [Finding] {
        roles.compactMap { role in
            guard let deletion = deletions.withLockedValue({ $0[role] }), !deletion.gone else { return nil }
            return Finding(
                identity: "acl-user|\(role)", severity: .high, category: .leftover,
                title: "The run's temporary ACL user \(deletion.user) could not be deleted from \(role)",
                endpoints: [role],
                evidence: [
                    "ACL DELUSER \(deletion.user)", "ACL GETUSER \(deletion.user) -> \(deletion.problem ?? "still there")",
                ],
                why: "A user with a password only this run knew stays on the host: it can still read and write "
                    + "the run's key namespace and lists in ACL USERS.",
                fix: "Delete it with `redisaudit clean ENDPOINT` (or ACL DELUSER \(deletion.user)).")
        }
    }
}

extension RunConfinement {
    /// The one way a scenario-running audit starts: the run's user on every endpoint, and where
    /// an endpoint cannot confine the run (it refuses ACL SETUSER), the static check of every
    /// script before anything is sent, unless `allowUnconfined`. A script that fails it is a
    /// scenario error at its line; the users already made are deleted first.
    public static func prepare(
        runID: String, endpoints: [(role: String, endpoint: Endpoint)], options: ConnectionOptions,
        scenarios: [Scenario], allowUnconfined: Bool
    ) async throws -> RunConfinement {
        let confinement = try await establish(runID: runID, endpoints: endpoints, options: options)
        let unconfined = confinement.unconfined
        guard !unconfined.isEmpty, !allowUnconfined else { return confinement }
        do {
            try ScriptCheck.check(scenarios)
        } catch {
            await confinement.release(endpoints: endpoints, options: options)
            let hosts = unconfined.map { "\($0.role) (\($0.reason))" }.joined(separator: ", ")
            throw InputError(
                error.message + "; the server cannot confine scripts on \(hosts), so every script must pass the static "
                    + "check (--allow-unconfined-scripts runs them unchecked: dangerous, a script may then touch any key)",
                at: error.location)
        }
        return confinement
    }
}
