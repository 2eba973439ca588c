import RESP

/// The commands a run may send: the built-in `CommandTable`, plus what the endpoints themselves
/// said (`COMMAND INFO`) about the commands the table does not list.
///
/// Built once before a run from every endpoint's answers, then passed to whatever renders,
/// rewrites and compares commands. A learned command is sent only when its keys can be located
/// (from its key specs, or with `COMMAND GETKEYS` on the concrete arguments) and its flags say it
/// stays inside the run's namespace; a command one endpoint knows and the other does not is sent
/// to both, and the side that does not know it answers with its own error.
public struct CommandCatalog: Sendable {
    /// Commands the table does not list, by name (upper-cased), as the endpoints described them.
    public private(set) var learned: [String: LearnedCommand]
    /// Every endpoint's role (`A`, `B`), in order.
    public let roles: [String]
    /// Commands no endpoint knows, by name, with every host's answer quoted
    /// (`A (redis://127.0.0.1:6379, Redis 7.0.15): ERR unknown command 'FOO', ...; B (...): ...`).
    public private(set) var unavailable: [String: String]
    /// Asks `COMMAND GETKEYS` for commands whose keys move with their arguments.
    let locator: KeyLocator?

    /// The table alone: what offline validation and runs without unknown commands use.
    public static let table = CommandCatalog(learned: [:], unavailable: [:], roles: [], locator: nil)

    init(learned: [String: LearnedCommand], unavailable: [String: String], roles: [String], locator: KeyLocator?) {
        self.learned = learned
        self.unavailable = unavailable
        self.roles = roles
        self.locator = locator
    }

    // MARK: Questions about commands

    /// The roles of the endpoints that know the command. Table commands are assumed known
    /// everywhere (the server profile checks them); a learned command is known where its
    /// endpoint's `COMMAND INFO` described it.
    public func knownOn(_ name: String) -> Set<String> {
        let upper = name.uppercased()
        if let command = learned[upper] { return command.knownOn }
        return Set(roles)
    }

    /// What an endpoint that does not know a learned command answered for it
    /// (`ERR unknown command 'DELIFEQ', ...`), or nil.
    public func answer(for name: String, role: String) -> String? {
        learned[name.uppercased()]?.answers[role]
    }

    /// How a command and its reply behave: the table's flags, else the flags learned from the
    /// endpoints (exact comparison, `[]`, when nothing more could be derived); nil for a command
    /// that is neither in the table nor learned.
    public func flags(named name: String) -> CommandFlags? {
        if let spec = CommandTable.spec(named: name) { return spec.flags }
        return learned[name.uppercased()]?.flags
    }

    /// The names of the learned commands that are sent in this run, sorted.
    public var learnedNames: [String] { learned.keys.sorted() }

    /// A report note naming the learned commands and the endpoints that know them, or nil.
    public var learnedNote: String? {
        guard !learned.isEmpty else { return nil }
        let listed = learnedNames.map { name in
            "\(name) (\(learned[name].map { $0.knownOn.sorted().joined(separator: ", ") } ?? ""))"
        }
        return "Not in redisaudit's command table, learned from the endpoints' COMMAND INFO (known on): "
            + listed.joined(separator: ", ") + "."
    }

    // MARK: Locating keys

    /// A table command's spec and key positions (an empty command is refused here too).
    private static func tableLocate(_ arguments: [String]) throws(CommandRefusal) -> (spec: CommandSpec, positions: [Int]) {
        let spec = try CommandTable.check(strings: arguments)
        return (spec, try CommandTable.keyPositions(of: spec, in: arguments))
    }

    /// A command's spec and the positions of its keys (and, for KEYS and SCAN, of its pattern),
    /// for a table command as the table says, for a learned one from the endpoints.
    public func locate(_ arguments: [String]) async throws(CommandRefusal) -> (spec: CommandSpec, positions: [Int]) {
        // The table answers every command of a run that learned nothing, with one lookup: the replay's fast path.
        guard !learned.isEmpty, let first = arguments.first, !first.isEmpty else { return try Self.tableLocate(arguments) }
        var name = first.uppercased()
        if learned[name] == nil, arguments.count >= 2 { name += " " + arguments[1].uppercased() }
        guard let command = learned[name], CommandTable.lookup(arguments) == .unknown else {
            return try Self.tableLocate(arguments)
        }
        let count = arguments.count
        if command.arity >= 0 ? count != command.arity : count < -command.arity {
            let words = name.split(separator: " ").count
            throw CommandRefusal(
                command: name,
                message:
                    "wrong number of arguments for \(name): \(command.describedBy) gives its arity as \(command.arity), got \(count - words) arguments"
            )
        }
        let spec = CommandSpec(name: name, arity: command.arity, keys: .none, flags: command.flags)
        let positions: [Int]
        switch command.keys {
        case .none:
            positions = []
        case .specified(let specs):
            positions = try Self.positions(specs, name: name, in: arguments)
        case .located:
            guard let locator else {
                throw CommandRefusal(
                    command: name, message: "\(name): its keys can only be located by the endpoints, and none is connected")
            }
            positions = try await locator.positions(arguments, askingIn: command.knownOn)
        }
        if positions.isEmpty, command.flags.contains(.write) {
            throw CommandRefusal(
                command: name,
                message: "\(name) writes, but \(command.describedBy) locates no key in these arguments: "
                    + "redisaudit cannot confine it to the run's namespace")
        }
        return (spec, positions)
    }

    /// The positions named by fixed key specs (`index` begin search, `range` find keys),
    /// in argument order.
    static func positions(_ specs: [KeySpecification], name: String, in arguments: [String]) throws(CommandRefusal) -> [Int] {
        let count = arguments.count
        var positions: Set<Int> = []
        for spec in specs {
            guard case .index(let begin) = spec.begin, case .range(let lastKey, let step, let limit) = spec.find else {
                throw CommandRefusal(command: name, message: "\(name): its key spec needs the endpoint to locate the keys")
            }
            guard begin < count else { continue }
            var last: Int
            if lastKey >= 0 {
                last = begin + lastKey
            } else if lastKey == -1, limit > 1 {
                last = begin + (count - begin) / limit - 1
            } else {
                last = count + lastKey
            }
            last = min(last, count - 1)
            guard last >= begin else { continue }
            for position in stride(from: begin, through: last, by: max(step, 1)) { positions.insert(position) }
        }
        return positions.sorted()
    }
}

/// A command the table does not list, as the endpoints described it.
public struct LearnedCommand: Hashable, Sendable {
    /// Where its keys are.
    public enum Keys: Hashable, Sendable {
        /// It takes no key.
        case none
        /// Fixed positions every time: each spec starts at an index and covers a range.
        case specified([KeySpecification])
        /// The positions depend on the arguments (a keyword, a number of keys, or an incomplete
        /// spec): `COMMAND GETKEYS` locates them on the concrete arguments.
        case located
    }

    /// Upper-cased.
    public var name: String
    public var arity: Int
    public var keys: Keys
    /// Derived from the endpoint's flags, categories and tips; `[]` compares replies exactly.
    public var flags: CommandFlags
    /// The roles of the endpoints that know it.
    public var knownOn: Set<String>
    /// What the endpoints that do not know it answered, by role.
    public var answers: [String: String]
    /// Which endpoint's description was used (`COMMAND INFO on A`).
    public var describedBy: String
}

/// One key spec of `COMMAND INFO` (Redis 7+, Valkey): where the search for keys begins and how
/// the keys are found from there.
public struct KeySpecification: Hashable, Sendable {
    /// Where the search begins.
    public enum Begin: Hashable, Sendable {
        /// At this argument (the command name is 0).
        case index(Int)
        /// After this keyword, searched from `startFrom` (negative: backwards from the end).
        case keyword(String, startFrom: Int)
        case unknown
    }

    /// How the keys are found from the beginning.
    public enum Find: Hashable, Sendable {
        /// Keys up to `lastKey` (relative to the beginning; negative counts from the end) every `step`.
        case range(lastKey: Int, step: Int, limit: Int)
        /// The number of keys is at `keyNumIndex`, the first key at `firstKey` (both relative).
        case keynum(keyNumIndex: Int, firstKey: Int, step: Int)
        case unknown
    }

    public var begin: Begin
    public var find: Find
    /// The spec's flags (`RW`, `access`, `incomplete`, ...), as the server spells them.
    public var flags: [String]

    /// True when the positions follow from the spec alone, whatever the arguments.
    var isFixed: Bool {
        guard case .index = begin, case .range = find else { return false }
        return !flags.contains { $0.lowercased() == "incomplete" }
    }
}

/// What `COMMAND INFO` says about one command, in any of its shapes (Redis 6.2: name, arity,
/// flags, first key, last key, step, categories; Redis 7+ and Valkey add tips, key specs and
/// subcommands).
public struct CommandDescription: Hashable, Sendable {
    public var name: String
    public var arity: Int
    public var flags: [String]
    public var firstKey: Int
    public var lastKey: Int
    public var step: Int
    /// ACL categories, with their `@`.
    public var categories: [String]
    /// Redis 7+: `nondeterministic_output`, `request_policy:...`.
    public var tips: [String]
    /// Redis 7+: nil before 7, when the reply has no key specs element.
    public var keySpecs: [KeySpecification]?
    /// Redis 7+: the subcommands' own descriptions (`LATENCY DOCTOR`), for a container command.
    public var subcommands: [CommandDescription]
    public var hasSubcommands: Bool { !subcommands.isEmpty }

    /// Parses one element of a `COMMAND INFO` reply; nil for a nil element (unknown command) or
    /// a shape that is not a command description.
    public init?(_ value: RESPValue) {
        guard let e = value.arrayElements, e.count >= 6, let name = e[0].text, let arity = e[1].integerValue,
            let flags = e[2].arrayElements, let first = e[3].integerValue, let last = e[4].integerValue,
            let step = e[5].integerValue
        else { return nil }
        self.name = name.uppercased().replacingPipe()
        self.arity = Int(arity)
        self.flags = flags.compactMap(\.text).map { $0.lowercased() }
        firstKey = Int(first)
        lastKey = Int(last)
        self.step = Int(step)
        categories = e.count > 6 ? (e[6].arrayElements ?? []).compactMap(\.text).map { $0.lowercased() } : []
        tips = e.count > 7 ? (e[7].arrayElements ?? []).compactMap(\.text).map { $0.lowercased() } : []
        keySpecs = e.count > 8 ? (e[8].arrayElements ?? []).map(Self.keySpecification) : nil
        subcommands = e.count > 9 ? (e[9].arrayElements ?? []).compactMap(CommandDescription.init) : []
    }

    /// A key spec: a flat map of `flags`, `begin_search`, `find_keys` (and `notes`).
    static func keySpecification(_ value: RESPValue) -> KeySpecification {
        let fields = pairs(value)
        let flags = (fields["flags"]?.arrayElements ?? []).compactMap(\.text)
        var begin = KeySpecification.Begin.unknown
        if let search = fields["begin_search"].map(pairs), let spec = search["spec"].map(pairs) {
            switch search["type"]?.text {
            case "index":
                if let i = spec["index"]?.integerValue { begin = .index(Int(i)) }
            case "keyword":
                if let word = spec["keyword"]?.text, let from = spec["startfrom"]?.integerValue {
                    begin = .keyword(word, startFrom: Int(from))
                }
            default: break
            }
        }
        var find = KeySpecification.Find.unknown
        if let keys = fields["find_keys"].map(pairs), let spec = keys["spec"].map(pairs) {
            switch keys["type"]?.text {
            case "range":
                if let last = spec["lastkey"]?.integerValue, let step = spec["keystep"]?.integerValue,
                    let limit = spec["limit"]?.integerValue
                {
                    find = .range(lastKey: Int(last), step: Int(step), limit: Int(limit))
                }
            case "keynum":
                if let index = spec["keynumidx"]?.integerValue, let first = spec["firstkey"]?.integerValue,
                    let step = spec["keystep"]?.integerValue
                {
                    find = .keynum(keyNumIndex: Int(index), firstKey: Int(first), step: Int(step))
                }
            default: break
            }
        }
        return KeySpecification(begin: begin, find: find, flags: flags)
    }

    /// A flat `[name, value, name, value, ...]` array (or a RESP3-less map) as a dictionary.
    static func pairs(_ value: RESPValue) -> [String: RESPValue] {
        guard let elements = value.arrayElements else { return [:] }
        var result: [String: RESPValue] = [:]
        var i = 0
        while i + 1 < elements.count {
            if let key = elements[i].text { result[key.lowercased()] = elements[i + 1] }
            i += 2
        }
        return result
    }

    /// Why the command may not run in a run namespace, quoting the description; nil when it may.
    func refusal(by host: String) -> String? {
        let said = "refused: COMMAND INFO on \(host) says"
        let dangerous = categories.filter { ["@admin", "@dangerous"].contains($0) }
        if flags.contains("admin") || !dangerous.isEmpty {
            let what = dangerous.isEmpty ? "admin" : dangerous.joined(separator: "/")
            return "\(name) is \(said) it is \(what): it acts on the server or on other connections, not the run's keys"
        }
        if flags.contains("pubsub") || categories.contains("@pubsub") {
            return "\(name) is \(said) it is @pubsub: channels are not namespaced"
        }
        guard !takesKeys else { return nil }
        if flags.contains("write") {
            return "\(name) is \(said) it writes but takes no key: redisaudit cannot confine it to the run's namespace"
        }
        if categories.contains("@keyspace") {
            return "\(name) is \(said) it is @keyspace without a key: it reaches the whole keyspace, not just the run's namespace"
        }
        if categories.contains("@connection") {
            return "\(name) is \(said) it is @connection: it acts on connections, not the run's keys"
        }
        return nil
    }

    /// True when the description names key positions of any kind.
    var takesKeys: Bool {
        if let keySpecs { return !keySpecs.isEmpty || flags.contains("movablekeys") }
        return firstKey != 0 || flags.contains("movablekeys")
    }

    /// Where the keys are, from the key specs (7+) or first/last/step (before).
    var keys: LearnedCommand.Keys {
        if let keySpecs {
            if keySpecs.isEmpty { return flags.contains("movablekeys") ? .located : .none }
            return keySpecs.allSatisfy(\.isFixed) ? .specified(keySpecs) : .located
        }
        if flags.contains("movablekeys") { return .located }
        guard firstKey > 0 else { return .none }
        // Before 7: keys from firstKey to lastKey (negative: from the end) every step.
        let last = lastKey < 0 ? lastKey : lastKey - firstKey
        return .specified([
            KeySpecification(begin: .index(firstKey), find: .range(lastKey: last, step: step, limit: 0), flags: [])
        ])
    }

    /// The reply-comparison flags that can be derived safely; the rest compares exactly.
    var commandFlags: CommandFlags {
        var result: CommandFlags = []
        if flags.contains("write") { result.insert(.write) }
        if flags.contains("readonly") { result.insert(.readonly) }
        if flags.contains("blocking") || categories.contains("@blocking") { result.insert(.blocking) }
        if flags.contains("random") || tips.contains("nondeterministic_output") { result.insert(.nondeterministic) }
        if tips.contains("nondeterministic_output_order") { result.insert(.setReply) }
        return result
    }
}

/// One endpoint's answers about the commands the table does not list.
public struct HostAnswers: Sendable {
    /// `A` or `B`.
    public var role: String
    /// How messages name the host: `A (redis://127.0.0.1:6379, Redis 7.0.15)`; never a password.
    public var host: String
    /// The commands it described.
    public var descriptions: [String: CommandDescription]
    /// What it answered for the commands it did not describe.
    public var answers: [String: String]
    /// Where `COMMAND GETKEYS` can be asked.
    public var endpoint: Endpoint
    public var options: ConnectionOptions

    /// Asks the endpoint `COMMAND INFO` for the names; for each one it does not describe, sends
    /// the bare name (a command the server does not know cannot run) to quote its answer.
    public static func ask(
        _ names: [String], role: String, host: String, connection: RedisConnection
    ) async -> HostAnswers {
        var result = HostAnswers(
            role: role, host: host, descriptions: [:], answers: [:], endpoint: connection.endpoint, options: connection.options)
        guard !names.isEmpty else { return result }
        let info = await connection.send([RESPCommand(strings: ["COMMAND", "INFO"] + names)])
        guard let elements = info.first?.reply?.arrayElements, elements.count == names.count else {
            let why = info.first.map(describe) ?? "no reply"
            for name in names { result.answers[name] = "COMMAND INFO refused: \(why)" }
            return result
        }
        var unknown: [String] = []
        for (name, element) in zip(names, elements) {
            if let description = CommandDescription(element) {
                result.descriptions[name] = description
                for subcommand in description.subcommands { result.descriptions[subcommand.name] = subcommand }
            } else {
                unknown.append(name)
            }
        }
        guard !unknown.isEmpty else { return result }
        let outcomes = await connection.send(unknown.map { RESPCommand(strings: [$0]) })
        for (name, outcome) in zip(unknown, outcomes) {
            if case .reply(let value) = outcome, value.isError {
                result.answers[name] = describe(outcome)
            } else {
                result.answers[name] = "COMMAND INFO \(name): not a known command"
            }
        }
        return result
    }

    static func describe(_ outcome: CommandOutcome) -> String {
        switch outcome {
        case .reply(.error(let message)): return message
        case .reply(let value): return value.text ?? value.typeName
        case .failed(let failure): return failure.description
        }
    }
}

extension CommandCatalog {
    /// The names of the commands the table does not list, in the scenarios, sorted.
    public static func unlisted(in scenarios: [Scenario]) -> [String] {
        var names: Set<String> = []
        for scenario in scenarios {
            for template in scenario.allCommands where CommandTable.lookup(template.arguments.map(\.raw)) == .unknown {
                names.insert(template.name)
            }
        }
        return names.sorted()
    }

    /// Learns the commands the scenarios use and the table does not list from every endpoint's
    /// answers. A command no endpoint knows is recorded in `unavailable` (see `runnable(_:)`);
    /// one whose description refuses it, or an unknown subcommand of a known command, is a
    /// scenario error at the first line that uses it, quoting what the endpoints said.
    public init(scenarios: [Scenario], answers: [HostAnswers]) throws(InputError) {
        var learned: [String: LearnedCommand] = [:]
        var unavailable: [String: String] = [:]
        let templates = scenarios.flatMap(\.allCommands).filter { CommandTable.lookup($0.arguments.map(\.raw)) == .unknown }
        for template in templates {
            let base = template.name
            let location = template.location
            guard answers.contains(where: { $0.descriptions[base] != nil }) else {
                let quoted = answers.map { "\($0.host): \($0.answers[base] ?? "no answer")" }.joined(separator: "; ")
                unavailable[base] = quoted
                continue
            }
            // A container command (Redis 7+) is learned per subcommand, which must be written out.
            var name = base
            if answers.contains(where: { $0.descriptions[base]?.hasSubcommands == true }) {
                guard template.arguments.count >= 2, template.arguments[1].isLiteral else {
                    throw InputError("\(base) needs its subcommand written out: it is learned per subcommand", at: location)
                }
                name = base + " " + template.arguments[1].raw.uppercased()
            }
            guard learned[name] == nil else { continue }
            // An endpoint that describes the container without subcommands (before 7) describes them all.
            func description(_ side: HostAnswers) -> CommandDescription? {
                side.descriptions[name] ?? side.descriptions[base].flatMap { $0.hasSubcommands ? nil : $0 }
            }
            let knowing = answers.filter { description($0) != nil }
            guard let first = knowing.first, let firstDescription = description(first) else {
                let quoted = answers.map {
                    "\($0.host): \($0.descriptions[base] != nil ? "no such subcommand" : $0.answers[base] ?? "no answer")"
                }
                throw InputError(
                    "unknown command \(name): no endpoint knows it, so redisaudit cannot locate its keys (\(quoted.joined(separator: "; ")))",
                    at: location)
            }
            // The most cautious description wins: refused if any endpoint that knows it refuses it.
            if let refusal = knowing.lazy.compactMap({ description($0)?.refusal(by: $0.host) }).first {
                throw InputError(refusal, at: location)
            }
            let described = knowing.first { description($0)?.keySpecs != nil } ?? first
            let used = description(described) ?? firstDescription
            var answered: [String: String] = [:]
            for side in answers where description(side) == nil {
                answered[side.role] = side.answers[base] ?? "\(name): no such subcommand"
            }
            learned[name] = LearnedCommand(
                name: name, arity: used.arity, keys: used.keys, flags: used.commandFlags, knownOn: Set(knowing.map(\.role)),
                answers: answered, describedBy: "COMMAND INFO on \(described.host)")
        }
        let needsLocator = learned.values.contains { $0.keys == .located }
        self.init(
            learned: learned, unavailable: unavailable, roles: answers.map(\.role),
            locator: needsLocator
                ? KeyLocator(endpoints: answers.map { ($0.role, $0.endpoint, $0.options) }) : nil)
    }

    /// `init(scenarios:answers:)` asking the connected endpoints (only when a command is not in
    /// the table); each endpoint's `host` names it in messages (see `hostLabel(role:profile:)`).
    public static func learn(
        for scenarios: [Scenario], from connections: [(role: String, host: String, connection: RedisConnection)]
    ) async throws(InputError) -> CommandCatalog {
        let names = unlisted(in: scenarios)
        guard !names.isEmpty else {
            return CommandCatalog(learned: [:], unavailable: [:], roles: connections.map(\.role), locator: nil)
        }
        var answers: [HostAnswers] = []
        for side in connections {
            answers.append(await HostAnswers.ask(names, role: side.role, host: side.host, connection: side.connection))
        }
        return try CommandCatalog(scenarios: scenarios, answers: answers)
    }

    /// The scenarios that can run: those whose every command some endpoint knows. A built-in
    /// scenario written for newer hosts is left out, with a note that names the commands and
    /// quotes the hosts' answers; any other scenario with a command no endpoint knows is a
    /// scenario error at the line that uses it.
    public func runnable(_ scenarios: [Scenario]) throws(InputError) -> (scenarios: [Scenario], notes: [String]) {
        var runnable: [Scenario] = []
        var notes: [String] = []
        for scenario in scenarios {
            let missing = scenario.allCommands.filter { unavailable[$0.name] != nil }
            guard let first = missing.first, let quoted = unavailable[first.name] else {
                runnable.append(scenario)
                continue
            }
            guard BuiltinScenarios.contains(scenario) else {
                throw InputError(
                    "unknown command \(first.name): no endpoint knows it, so redisaudit cannot locate its keys (\(quoted))",
                    at: first.location)
            }
            let names = Set(missing.map(\.name)).sorted()
            notes.append(
                "The built-in scenario `\(scenario.name)` was not run: no endpoint knows \(names.joined(separator: ", ")) "
                    + "(for \(first.name): \(quoted)).")
        }
        return (runnable, notes)
    }

    /// How messages name an endpoint: `A (redis://127.0.0.1:6379, Redis 7.0.15)` (the URL without password).
    public static func hostLabel(role: String, profile: ServerProfile) -> String {
        let server = [profile.engine, profile.version].filter { !$0.isEmpty && $0 != "unknown" }.joined(separator: " ")
        return "\(role) (\(profile.endpoint)\(server.isEmpty ? "" : ", " + server))"
    }

    /// Closes the connections opened to locate keys.
    public func close() async { await locator?.close() }
}

extension Scenario {
    /// Every command template the scenario sends, concurrent blocks included.
    var allCommands: [CommandTemplate] { steps.flatMap(\.commands) }
}

/// Locates the keys of a learned command on its concrete arguments with `COMMAND GETKEYS`,
/// asked of an endpoint that knows it, and remembers the answer for the same arguments.
actor KeyLocator {
    private let endpoints: [(role: String, endpoint: Endpoint, options: ConnectionOptions)]
    private var connections: [String: Task<RedisConnection, Error>] = [:]
    /// Answers by arguments, kept from the first question (two sides asking at once share it).
    private var cache: [[String]: Task<Result<[Int], CommandRefusal>, Never>] = [:]

    init(endpoints: [(String, Endpoint, ConnectionOptions)]) {
        self.endpoints = endpoints.map { (role: $0.0, endpoint: $0.1, options: $0.2) }
    }

    /// The positions of the keys in `arguments`, asking the first endpoint (in role order) among `roles`.
    func positions(_ arguments: [String], askingIn roles: Set<String>) async throws(CommandRefusal) -> [Int] {
        if let known = cache[arguments] { return try await known.value.get() }
        let question = Task { await self.locate(arguments, askingIn: roles) }
        cache[arguments] = question
        return try await question.value.get()
    }

    private func locate(_ arguments: [String], askingIn roles: Set<String>) async -> Result<[Int], CommandRefusal> {
        let name = arguments[0].uppercased()
        func refuse(_ message: String) -> Result<[Int], CommandRefusal> {
            .failure(CommandRefusal(command: name, message: message))
        }
        guard let side = endpoints.first(where: { roles.contains($0.role) }) else {
            return refuse("\(name): no endpoint that knows it is connected to locate its keys")
        }
        let connection: RedisConnection
        do {
            connection = try await self.connection(side)
        } catch {
            return refuse("\(name): cannot ask \(side.role) where its keys are: \(error)")
        }
        let keys = await getKeys(arguments, on: connection)
        switch keys {
        case .failure(let message):
            return refuse("\(name): COMMAND GETKEYS on \(side.role) cannot locate its keys: \(message)")
        case .success(let keys):
            // Map each key to its argument, in order; then ask again with those arguments
            // marked, so a key text that also appears as another argument is not mistaken for it.
            var positions: [Int] = []
            var from = 1
            for key in keys {
                guard
                    let at = (from..<arguments.count).first(where: { arguments[$0] == key })
                        ?? (1..<arguments.count).first(where: { arguments[$0] == key && !positions.contains($0) })
                else { return refuse("\(name): COMMAND GETKEYS on \(side.role) named a key that is not among its arguments") }
                positions.append(at)
                from = at + 1
            }
            var marked = arguments
            for position in positions { marked[position] = Self.marker + arguments[position] }
            guard case .success(let check) = await getKeys(marked, on: connection),
                Set(check) == Set(positions.map { marked[$0] }), check.count == positions.count
            else {
                return refuse("\(name): COMMAND GETKEYS on \(side.role) does not locate its keys consistently")
            }
            return .success(positions.sorted())
        }
    }

    /// A prefix that marks located keys when they are checked.
    static let marker = "redisaudit-located:"

    /// `COMMAND GETKEYS` on the arguments: the keys, none (the server's "no key arguments"),
    /// or the server's error.
    private func getKeys(_ arguments: [String], on connection: RedisConnection) async -> Result<[String], GetKeysError> {
        let outcome = await connection.send([RESPCommand(strings: ["COMMAND", "GETKEYS"] + arguments)])
        switch outcome.first {
        case .reply(.array(let keys))?: return .success(keys.compactMap(\.text))
        case .reply(.error(let message))? where message.lowercased().contains("no key arguments"): return .success([])
        case .reply(.error(let message))?: return .failure(GetKeysError(message))
        case .reply(let other)?: return .failure(GetKeysError("unexpected reply \(other.typeName)"))
        case .failed(let failure)?: return .failure(GetKeysError(failure.description))
        case nil: return .failure(GetKeysError("no reply"))
        }
    }

    private func connection(_ side: (role: String, endpoint: Endpoint, options: ConnectionOptions)) async throws
        -> RedisConnection
    {
        if let task = connections[side.role], let connection = try? await task.value, connection.isActive { return connection }
        let task = Task { () async throws -> RedisConnection in
            try await RedisConnection.connect(to: side.endpoint, options: side.options)
        }
        connections[side.role] = task
        return try await task.value
    }

    func close() async {
        for task in connections.values { await (try? await task.value)?.close() }
        connections = [:]
    }
}

/// A `COMMAND GETKEYS` error reply or transport failure, as text.
struct GetKeysError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    /// `latency|doctor` as `latency doctor`: how Redis 7 names a subcommand, as redisaudit does.
    fileprivate func replacingPipe() -> String { String(map { $0 == "|" ? " " : $0 }) }
}
