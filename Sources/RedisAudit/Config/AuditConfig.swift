import Foundation
import Yams

/// `redisaudit.yaml`: what a team's gate runs, checked in beside the code. Command-line flags
/// override every value; unknown keys and bad values are `FILE:LINE` errors.
///
/// ```yaml
/// endpoints:
///   a: { url: "redis://127.0.0.1:6379", password-env: CURRENT_REDIS_PASSWORD }
///   b: { url: "rediss://cache.example.com:6380", password-env: NEW_REDIS_PASSWORD }
/// scenarios: [login, refresh, scenarios/checkout.yaml]
/// vars: { clients: 100 }
/// fail-on: medium
/// baseline: .redisaudit-baseline.yaml
/// outputs: { markdown: redisaudit.md, json: redisaudit.json, junit: redisaudit.xml, html: redisaudit.html }
/// inject: { faults: [kill-after:EXPIRE], lost-writes: true }
/// ```
///
/// Passwords are never written in the file: an endpoint names the environment variable that
/// holds its password. Relative paths (scenario files, baseline, outputs, fault plan) are
/// relative to the file's directory.
public struct AuditConfig: Sendable, Hashable {
    /// The file name looked for in the working directory.
    public static let defaultFileName = "redisaudit.yaml"

    /// One endpoint: its URL (without a password) and where its password comes from.
    public struct EndpointEntry: Sendable, Hashable {
        public var url: String
        /// The environment variable holding the password; nil for the role's default ones.
        public var passwordEnvironment: String?
        /// Where the endpoint is written, for errors found when it is used (not part of equality).
        public var location: SourceLocation?

        public static func == (lhs: EndpointEntry, rhs: EndpointEntry) -> Bool {
            lhs.url == rhs.url && lhs.passwordEnvironment == rhs.passwordEnvironment
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(url)
            hasher.combine(passwordEnvironment)
        }
    }

    /// Where the reports go.
    public struct Outputs: Sendable, Hashable {
        public var markdown: String?
        public var json: String?
        public var junit: String?
        public var html: String?
    }

    /// `compare:` settings.
    public struct CompareSettings: Sendable, Hashable {
        public var ttlTolerance: Double?
        public var trials: Int?
        /// `compare.fail-on-shared`: the threshold for findings both endpoints share.
        public var failOnShared: String?
        /// `compare.allow-unconfined-scripts`: as `--allow-unconfined-scripts` (dangerous).
        public var allowUnconfinedScripts: Bool?
    }

    /// `inject:` settings.
    public struct InjectSettings: Sendable, Hashable {
        /// Fault rules, as `--fault` takes them; their presence means one trial per scenario with them.
        public var faults: [String] = []
        public var plan: String?
        public var lostWrites: Bool?
        public var serverFaults: Bool?
        public var trialTimeout: Double?
        public var jobs: Int?
        public var trials: Int?
        /// `inject.allow-unconfined-scripts`: as `--allow-unconfined-scripts` (dangerous).
        public var allowUnconfinedScripts: Bool?

        public init() {}
    }

    /// `keyspace:` settings.
    public struct KeyspaceSettings: Sendable, Hashable {
        public var match: String?
        public var count: Int?
        public var sample: Int?
        public var expectPrefixes: [String] = []
        public var memory: Bool?
        public var ttlRatio: Double?
        public var countTolerance: Double?
        /// On a cluster: read each shard on a replica.
        public var replicas: Bool?

        public init() {}
    }

    /// The file it was read from, as given.
    public var file: String
    public var endpointA: EndpointEntry?
    public var endpointB: EndpointEntry?
    /// Built-in names as they are; file paths resolved against the file's directory.
    public var scenarios: [String] = []
    /// Variable overrides, as `--var name=value` in file order.
    public var variables: [String] = []
    public var failOn: String?
    public var baseline: String?
    public var outputs = Outputs()
    public var connectTimeout: Double?
    public var commandTimeout: Double?
    public var compare = CompareSettings()
    public var inject = InjectSettings()
    public var keyspace = KeyspaceSettings()
    /// `limits:`, by key (`max-file-bytes`, `max-reply-bytes`, ...): see `InputLimits.configKeys`.
    public var limits: [String: Int] = [:]

    static let topLevelKeys = [
        "endpoints", "scenarios", "vars", "fail-on", "baseline", "outputs", "connect-timeout", "command-timeout",
        "compare", "inject", "keyspace", "limits",
    ]

    /// Reads a config file (under `limits`: its own `limits:` apply to what it names, not to itself).
    public static func load(contentsOf path: String, limits: InputLimits = .defaults) throws(InputError) -> AuditConfig {
        let document = try YAMLDocument.load(contentsOf: path, what: "config file", limits: limits)
        return try AuditConfig(document, directory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Parses config YAML; `file` names it in errors, `directory` anchors its relative paths.
    public static func parse(yaml: String, file: String, directory: String) throws(InputError) -> AuditConfig {
        try AuditConfig(YAMLDocument.parse(yaml, file: file), directory: directory)
    }

    private init(_ document: YAMLDocument, directory: String) throws(InputError) {
        file = document.file
        let reader = ConfigReader(document: document, directory: directory)
        if document.root == nil { return }
        for (key, _, value) in try document.mapping(document.root, accepted: Self.topLevelKeys, what: "the config file") {
            switch key {
            case "endpoints":
                for (role, _, entry) in try document.mapping(value, accepted: ["a", "b"], what: "endpoints") {
                    let parsed = try reader.endpoint(entry, role: role.uppercased())
                    if role == "a" { endpointA = parsed } else { endpointB = parsed }
                }
            case "scenarios":
                scenarios = try document.strings(value, "scenarios").map { reader.scenario($0) }
            case "vars":
                for (name, keyNode, entry) in try document.mapping(value, accepted: nil, what: "vars") {
                    guard Template.isVariableName(name) else {
                        throw document.error("'\(name)' is not a variable name (letters, digits and _)", at: keyNode)
                    }
                    variables.append("\(name)=\(try document.string(entry, "variable '\(name)'"))")
                }
            case "fail-on":
                let text = try document.string(value, "fail-on")
                guard FailThreshold(text) != nil else {
                    throw document.error(
                        "fail-on must be one of critical, high, medium, low, info, never (got '\(text)')", at: value)
                }
                failOn = text
            case "baseline": baseline = reader.path(try document.string(value, "baseline"))
            case "outputs":
                let kinds = ["markdown", "json", "junit", "html"]
                for (kind, _, entry) in try document.mapping(value, accepted: kinds, what: "outputs") {
                    let path = reader.path(try document.string(entry, "outputs.\(kind)"))
                    switch kind {
                    case "markdown": outputs.markdown = path
                    case "json": outputs.json = path
                    case "html": outputs.html = path
                    default: outputs.junit = path
                    }
                }
            case "connect-timeout": connectTimeout = try document.number(value, key, in: 0.001...600)
            case "command-timeout": commandTimeout = try document.number(value, key, in: 0.001...3600)
            case "compare":
                let accepted = ["ttl-tolerance", "trials", "fail-on-shared", "allow-unconfined-scripts"]
                for (setting, _, entry) in try document.mapping(value, accepted: accepted, what: "compare") {
                    switch setting {
                    case "trials": compare.trials = try document.integer(entry, "compare.trials", in: 1...1000)
                    case "allow-unconfined-scripts":
                        compare.allowUnconfinedScripts = try document.flag(entry, "compare.allow-unconfined-scripts")
                    case "fail-on-shared":
                        let text = try document.string(entry, "compare.fail-on-shared")
                        guard FailThreshold(text) != nil else {
                            throw document.error(
                                "compare.fail-on-shared must be one of critical, high, medium, low, info, never (got '\(text)')",
                                at: entry)
                        }
                        compare.failOnShared = text
                    default: compare.ttlTolerance = try document.number(entry, "compare.ttl-tolerance", in: 0...86_400)
                    }
                }
            case "inject": inject = try reader.inject(value)
            case "limits":
                for (name, _, entry) in try document.mapping(value, accepted: InputLimits.configKeys, what: "limits") {
                    limits[name] = try document.integer(entry, "limits.\(name)", in: 1...Int.max)
                }
            default: keyspace = try reader.keyspace(value)
            }
        }
    }
}

/// Reads the values of one config file, each checked where it stands.
private struct ConfigReader {
    let document: YAMLDocument
    let directory: String

    func path(_ text: String) -> String {
        text.hasPrefix("/") ? text : URL(fileURLWithPath: directory).appendingPathComponent(text).standardized.path
    }

    /// A built-in name stays a name; anything that looks like a file is resolved.
    func scenario(_ text: String) -> String {
        text.contains("/") || text.hasSuffix(".yaml") || text.hasSuffix(".yml") ? path(text) : text
    }

    func endpoint(_ node: Node, role: String) throws(InputError) -> AuditConfig.EndpointEntry {
        var url: String?
        var environment: String?
        var urlNode = node
        if node.scalar != nil {
            url = try document.string(node, "endpoint \(role)")
        } else {
            for (key, _, value) in try document.mapping(
                node, accepted: ["url", "password-env"], what: "endpoint \(role.lowercased())")
            {
                if key == "url" {
                    url = try document.string(value, "url")
                    urlNode = value
                } else {
                    let name = try document.string(value, "password-env")
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw document.error(
                            "password-env names an environment variable (letters, digits and _), got '\(name)'", at: value)
                    }
                    environment = name
                }
            }
        }
        guard let url else { throw document.error("endpoint \(role.lowercased()) needs a url", at: node) }
        let parsed: Endpoint
        do {
            parsed = try Endpoint.parse(url, environment: [:])
        } catch {
            throw document.error("endpoint \(role.lowercased()): \(error.description)", at: urlNode)
        }
        if parsed.password != nil || url.contains("password=") {
            throw document.error(
                "endpoint \(role.lowercased()) has a password in its URL: never write it in the file; "
                    + "name the environment variable that holds it (password-env: NAME)", at: urlNode)
        }
        return AuditConfig.EndpointEntry(url: url, passwordEnvironment: environment, location: document.location(node))
    }

    func inject(_ node: Node) throws(InputError) -> AuditConfig.InjectSettings {
        var settings = AuditConfig.InjectSettings()
        let keys = [
            "faults", "plan", "lost-writes", "server-faults", "trial-timeout", "jobs", "trials", "allow-unconfined-scripts",
        ]
        for (key, _, value) in try document.mapping(node, accepted: keys, what: "inject") {
            switch key {
            case "faults":
                guard let list = value.sequence else {
                    throw document.error("inject.faults must be a list of fault rules", at: value)
                }
                for item in list {
                    let rule = try document.string(item, "a fault rule")
                    do throws(FaultRuleError) {
                        _ = try FaultRule.parse(rule)
                    } catch {
                        throw document.error("invalid fault rule '\(rule)': \(error.reason)", at: item)
                    }
                    settings.faults.append(rule)
                }
            case "plan": settings.plan = path(try document.string(value, "inject.plan"))
            case "lost-writes": settings.lostWrites = try document.flag(value, "inject.lost-writes")
            case "server-faults": settings.serverFaults = try document.flag(value, "inject.server-faults")
            case "trial-timeout": settings.trialTimeout = try document.number(value, "inject.trial-timeout", in: 0.001...60)
            case "jobs": settings.jobs = try document.integer(value, "inject.jobs", in: 1...64)
            case "allow-unconfined-scripts":
                settings.allowUnconfinedScripts = try document.flag(value, "inject.allow-unconfined-scripts")
            default: settings.trials = try document.integer(value, "inject.trials", in: 1...1000)
            }
        }
        return settings
    }

    func keyspace(_ node: Node) throws(InputError) -> AuditConfig.KeyspaceSettings {
        var settings = AuditConfig.KeyspaceSettings()
        let keys = ["match", "count", "sample", "expect-prefix", "memory", "ttl-ratio", "count-tolerance", "replicas"]
        for (key, _, value) in try document.mapping(node, accepted: keys, what: "keyspace") {
            switch key {
            case "match": settings.match = try document.string(value, "keyspace.match")
            case "count": settings.count = try document.integer(value, "keyspace.count", in: 1...100_000)
            case "sample": settings.sample = try document.integer(value, "keyspace.sample", in: 1...Int.max)
            case "expect-prefix":
                settings.expectPrefixes = try document.strings(value, "keyspace.expect-prefix")
                if settings.expectPrefixes.contains("") {
                    throw document.error("keyspace.expect-prefix must not be empty", at: value)
                }
            case "memory": settings.memory = try document.flag(value, "keyspace.memory")
            case "ttl-ratio": settings.ttlRatio = try document.number(value, "keyspace.ttl-ratio", in: 1...1_000_000)
            case "replicas": settings.replicas = try document.flag(value, "keyspace.replicas")
            default: settings.countTolerance = try document.number(value, "keyspace.count-tolerance", in: 0...1)
            }
        }
        return settings
    }
}
