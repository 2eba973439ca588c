/// Everything a run produced, in the shape both the Markdown and the JSON reports take.
public struct AuditReport: Codable, Sendable {
    /// Bumped whenever the JSON shape changes incompatibly; see `docs/report-schema.json`.
    public static let currentSchemaVersion = 2

    public var schemaVersion: Int = AuditReport.currentSchemaVersion
    /// The tool and its version.
    public var tool: ToolInfo
    /// The subcommand that produced it (`compare`, `keyspace`).
    public var command: String
    public var summary: ReportSummary
    /// Ranked: `findings[0]` matters most.
    public var findings: [Finding]
    /// Each endpoint's server profile, side by side in the Markdown report.
    public var profiles: [ServerProfile]
    /// `inject`: every fault point tried and how each trial ended.
    public var coverage: [FaultCoverage]?
    /// `compare`: each scenario's steps as both endpoints ran them; absent from other reports.
    public var replays: [ScenarioReplay]?
    /// The pattern tables of `redisaudit keyspace`; absent from other reports.
    public var keyspace: KeyspaceSection?
    /// What `--baseline` accepted, what is new and what no longer occurs; absent without one.
    public var baseline: BaselineSection?

    public init(
        tool: ToolInfo, command: String, summary: ReportSummary, findings: [Finding], profiles: [ServerProfile],
        coverage: [FaultCoverage]? = nil, keyspace: KeyspaceSection? = nil, replays: [ScenarioReplay]? = nil
    ) {
        self.tool = tool
        self.command = command
        self.summary = summary
        self.findings = findings
        self.profiles = profiles
        self.coverage = coverage
        self.keyspace = keyspace
        self.replays = replays
    }
}

/// How one scenario's trials on one endpoint ended: a row per fault point, a column per fault kind.
public struct FaultCoverage: Codable, Sendable, Hashable {
    /// One fault point and how each kind of fault tried there ended (`""` where the kind does not apply).
    public struct Row: Codable, Sendable, Hashable {
        public var point: String
        public var outcomes: [String]
        /// The trial behind each outcome, column by column (nil where the kind does not apply);
        /// absent from reports written before it existed.
        public var trials: [Cell?]?

        public init(point: String, outcomes: [String], trials: [Cell?]? = nil) {
            self.point = point
            self.outcomes = outcomes
            self.trials = trials
        }
    }

    /// One trial of the map: how it ended, and what shows it (its transcript, the command that repeats it).
    public struct Cell: Codable, Sendable, Hashable {
        /// A `TrialOutcome`: `survived`, `partial-apply`, `silent-corruption`, ...
        public var outcome: String
        /// True when the application stopped (the request failed) rather than went on.
        public var stopped: Bool
        /// True when a step waited the whole command timeout.
        public var hang: Bool
        /// The coverage table's words: `ok`, `retried`, `stopped, unchanged`, `partial-apply, hang`.
        public var summary: String
        /// Where and which fault: `kill-after at step 1 (pipeline), command 2: SADD (login.yaml:15)`.
        public var fault: String
        /// The `redisaudit inject` command that runs this trial alone (nil for a server fault).
        public var reproducer: String?
        /// The trial's commands and replies, where the application stopped, the state it left.
        public var transcript: [String]

        public init(
            outcome: String, stopped: Bool, hang: Bool, summary: String, fault: String, reproducer: String?, transcript: [String]
        ) {
            self.outcome = outcome
            self.stopped = stopped
            self.hang = hang
            self.summary = summary
            self.fault = fault
            self.reproducer = reproducer
            self.transcript = transcript
        }
    }

    public var scenario: String
    /// `A` or `B`.
    public var endpoint: String
    /// The column headers: the fault kinds tried.
    public var faults: [String]
    public var rows: [Row]
    /// Trials run, and how many of them the application survived cleanly.
    public var trials: Int
    public var survived: Int
    /// Trials whose fault never fired (the point was not reached).
    public var notReached: Int

    public init(scenario: String, endpoint: String, faults: [String], rows: [Row], trials: Int, survived: Int, notReached: Int) {
        self.scenario = scenario
        self.endpoint = endpoint
        self.faults = faults
        self.rows = rows
        self.trials = trials
        self.survived = survived
        self.notReached = notReached
    }
}

/// Name and version of the tool that wrote a report.
public struct ToolInfo: Codable, Sendable, Hashable {
    public var name: String
    public var version: String

    public init(name: String = "redisaudit", version: String = RedisAuditVersion.current) {
        self.name = name
        self.version = version
    }
}

/// The release of this tool.
public enum RedisAuditVersion {
    public static let current = "0.1.0"
}

/// Whether a run passed its fail policy; `pass` or `fail` in reports.
public enum Verdict: String, Codable, Sendable, CustomStringConvertible {
    case pass, fail

    public var description: String { rawValue }
}

/// How many findings of each severity a report has, every severity present; an object of
/// severity names in reports.
public struct SeverityCounts: Codable, Sendable, Hashable {
    private var values: [Severity: Int]

    /// Counts the findings' severities.
    public init(_ findings: [Finding]) {
        values = Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0, 0) })
        for finding in findings { values[finding.severity, default: 0] += 1 }
    }

    public subscript(severity: Severity) -> Int { values[severity] ?? 0 }

    public init(from decoder: any Decoder) throws {
        let byName = try decoder.singleValueContainer().decode([String: Int].self)
        values = Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0, byName[$0.rawValue] ?? 0) })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) }))
    }
}

/// The report's opening: verdict, counts per severity, endpoints, scenarios, duration.
public struct ReportSummary: Codable, Sendable {
    /// The thresholds the verdict was judged against.
    public var policy: FailPolicy { FailPolicy(failOn: failOn, failOnShared: failOnShared) }

    /// Judged against `failOn` (and `failOnShared` for shared findings).
    public var verdict: Verdict
    public var failOn: FailThreshold
    /// The threshold for findings both endpoints share (`compare`); `never` by default.
    public var failOnShared: FailThreshold
    /// Findings that fail the run: differences at or above `failOn`, shared ones at or above `failOnShared`.
    public var failing: Int
    /// Findings both endpoints share (`compare` only; 0 elsewhere).
    public var shared: Int
    /// Findings per severity, every severity present (0 when none).
    public var counts: SeverityCounts
    public var endpoints: [EndpointSummary]
    public var scenarios: [String]
    public var startedAt: String
    public var durationSeconds: Double
    /// Notes on the run itself (namespace cleaned up, leftovers removed, ...).
    public var notes: [String]

    public init(
        findings: [Finding], failOn: FailThreshold, failOnShared: FailThreshold = FailPolicy.defaultFailOnShared,
        endpoints: [EndpointSummary], scenarios: [String], startedAt: String, durationSeconds: Double, notes: [String] = []
    ) {
        let policy = FailPolicy(failOn: failOn, failOnShared: failOnShared)
        let failing = findings.filter { policy.isMet(by: $0) }.count
        self.verdict = failing > 0 ? .fail : .pass
        self.failOn = failOn
        self.failOnShared = failOnShared
        self.failing = failing
        self.shared = findings.filter { $0.scope == .shared }.count
        self.counts = SeverityCounts(findings)
        self.endpoints = endpoints
        self.scenarios = scenarios
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.notes = notes
    }
}

extension ReportSummary {
    enum CodingKeys: String, CodingKey {
        case verdict, failOn, failOnShared, failing, shared, counts, endpoints, scenarios, startedAt, durationSeconds, notes
    }

    /// Reads reports of every schema version: version 1 had no shared findings.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        verdict = try c.decode(Verdict.self, forKey: .verdict)
        failOn = try c.decode(FailThreshold.self, forKey: .failOn)
        failOnShared = try c.decodeIfPresent(FailThreshold.self, forKey: .failOnShared) ?? FailPolicy.defaultFailOnShared
        failing = try c.decode(Int.self, forKey: .failing)
        shared = try c.decodeIfPresent(Int.self, forKey: .shared) ?? 0
        counts = try c.decode(SeverityCounts.self, forKey: .counts)
        endpoints = try c.decode([EndpointSummary].self, forKey: .endpoints)
        scenarios = try c.decode([String].self, forKey: .scenarios)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        durationSeconds = try c.decode(Double.self, forKey: .durationSeconds)
        notes = try c.decode([String].self, forKey: .notes)
    }
}

/// An endpoint as the report names it: role, redacted URL, engine and version.
public struct EndpointSummary: Codable, Sendable, Hashable {
    public var role: String
    public var url: String
    public var engine: String
    public var version: String

    public init(role: String, url: String, engine: String, version: String) {
        self.role = role
        self.url = url
        self.engine = engine
        self.version = version
    }
}
