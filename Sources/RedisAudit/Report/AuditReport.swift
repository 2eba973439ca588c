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
    /// The pattern tables of `redisaudit keyspace`; absent from other reports.
    public var keyspace: KeyspaceSection?
    /// What `--baseline` accepted, what is new and what no longer occurs; absent without one.
    public var baseline: BaselineSection?

    public init(
        tool: ToolInfo, command: String, summary: ReportSummary, findings: [Finding], profiles: [ServerProfile],
        coverage: [FaultCoverage]? = nil, keyspace: KeyspaceSection? = nil
    ) {
        self.tool = tool
        self.command = command
        self.summary = summary
        self.findings = findings
        self.profiles = profiles
        self.coverage = coverage
        self.keyspace = keyspace
    }
}

/// How one scenario's trials on one endpoint ended: a row per fault point, a column per fault kind.
public struct FaultCoverage: Codable, Sendable, Hashable {
    /// One fault point and how each kind of fault tried there ended (`""` where the kind does not apply).
    public struct Row: Codable, Sendable, Hashable {
        public var point: String
        public var outcomes: [String]
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

/// The report's opening: verdict, counts per severity, endpoints, scenarios, duration.
public struct ReportSummary: Codable, Sendable {
    /// The thresholds the verdict was judged against.
    public var policy: FailPolicy {
        FailPolicy(failOn: FailThreshold(failOn) ?? .severity(.high), failOnShared: FailThreshold(failOnShared) ?? .never)
    }

    /// `pass` or `fail`, judged against `failOn` (and `failOnShared` for shared findings).
    public var verdict: String
    public var failOn: String
    /// The threshold for findings both endpoints share (`compare`); `never` by default.
    public var failOnShared: String
    /// Findings that fail the run: differences at or above `failOn`, shared ones at or above `failOnShared`.
    public var failing: Int
    /// Findings both endpoints share (`compare` only; 0 elsewhere).
    public var shared: Int
    /// Findings per severity, every severity present (0 when none).
    public var counts: [String: Int]
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
        self.verdict = failing > 0 ? "fail" : "pass"
        self.failOn = failOn.description
        self.failOnShared = failOnShared.description
        self.failing = failing
        self.shared = findings.filter { $0.scope == .shared }.count
        var counts: [String: Int] = [:]
        for severity in Severity.allCases { counts[severity.rawValue] = 0 }
        for finding in findings { counts[finding.severity.rawValue, default: 0] += 1 }
        self.counts = counts
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
        verdict = try c.decode(String.self, forKey: .verdict)
        failOn = try c.decode(String.self, forKey: .failOn)
        failOnShared = try c.decodeIfPresent(String.self, forKey: .failOnShared) ?? FailPolicy.defaultFailOnShared.description
        failing = try c.decode(Int.self, forKey: .failing)
        shared = try c.decodeIfPresent(Int.self, forKey: .shared) ?? 0
        counts = try c.decode([String: Int].self, forKey: .counts)
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
