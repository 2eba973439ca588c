/// One thing the audit found: what differs or breaks, where, the evidence, and the fix.
public struct Finding: Codable, Sendable, Hashable {
    /// Stable across runs, random variables and run namespaces: derived from what the
    /// finding is about (category, scenario, step, subject), never from values.
    public var id: String
    public var severity: Severity
    public var category: FindingCategory
    public var title: String
    /// The endpoints it concerns, by role (`A`, `B`).
    public var endpoints: [String]
    public var scenario: String?
    /// Where in the scenario, e.g. `step 1 (pipeline), command 3: EXPIRE` and its file line.
    public var step: String?
    /// A MONITOR-style transcript and observations that show it.
    public var evidence: [String]
    /// Why it matters for the application.
    public var why: String
    /// The recommended fix.
    public var fix: String
    /// How many scenarios/steps/keys it affects (ranks findings of equal severity).
    public var occurrences: Int
    /// What a `--baseline` file says of it; nil without a baseline.
    public var acceptance: Acceptance?
    /// In a `compare` report: whether the endpoints differ here, or share the same outcome
    /// (a finding about the scripts both hosts run). Nil in other reports; `compare` makes every
    /// finding its producer did not mark `shared` a difference.
    public var scope: FindingScope?

    public init(
        identity: String, severity: Severity, category: FindingCategory, title: String,
        endpoints: [String], scenario: String? = nil, step: String? = nil, evidence: [String] = [],
        why: String, fix: String, occurrences: Int = 1, scope: FindingScope? = nil
    ) {
        self.id = Finding.stableID(category: category, identity: identity, scenario: scenario)
        self.severity = severity
        self.category = category
        self.title = title
        self.endpoints = endpoints
        self.scenario = scenario
        self.step = step
        self.evidence = evidence
        self.why = why
        self.fix = fix
        self.occurrences = occurrences
        self.scope = scope
    }

    /// `RA-` and 10 hex digits of an FNV-1a hash of the finding's identity.
    static func stableID(category: FindingCategory, identity: String, scenario: String?) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(category.rawValue)|\(scenario ?? "")|\(identity)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        return "RA-" + padded.prefix(10)
    }
}

/// A baseline's word on one finding: accepted (it does not fail the run) or accepted until a
/// date that has passed (it counts again), with the reason the team gave.
public struct Acceptance: Codable, Sendable, Hashable {
    /// Where a finding stands against the baseline.
    public enum Status: String, Codable, Sendable {
        case accepted
        case expired
    }

    public var status: Status
    public var reason: String
    /// `YYYY-MM-DD`, when the acceptance has an end.
    public var expires: String?

    public init(status: Status, reason: String, expires: String? = nil) {
        self.status = status
        self.reason = reason
        self.expires = expires
    }
}

/// Whether a `compare` finding is a difference between the two endpoints, or an outcome they
/// share (the same invariant failing the same way, the same race): a finding about the scripts.
public enum FindingScope: String, Codable, Sendable, Hashable {
    case difference
    case shared
}

/// What kind of difference or failure a finding reports.
public enum FindingCategory: String, Codable, Sendable, CaseIterable {
    case replyMismatch = "reply-mismatch"
    case ttlMismatch = "ttl-mismatch"
    case keyPattern = "key-pattern"
    case pipelineResult = "pipeline-result"
    case expectation
    case invariant
    case scenarioFlow = "scenario-flow"
    case serverProfile = "server-profile"
    case commandUnsupported = "command-unsupported"
    /// The server knows the command but refuses it to the audit's user (`NOPERM`, an ACL).
    case commandDenied = "command-denied"
    case transport
    /// `inject` over REST: the server ran a request whose response was lost; the client was told it failed.
    case appliedToldFailed = "applied-told-failed"
    case leftover = "namespace-leftover"
    /// `inject`: the application went on and an invariant fails.
    case silentCorruption = "silent-corruption"
    /// `inject`: an error was read as "not found".
    case errorSwallowed = "error-swallowed"
    /// `inject`: a retry applied a non-idempotent command twice.
    case doubleApply = "double-apply"
    /// `inject`: the application stopped half-way and left a partial write.
    case partialApply = "partial-apply"
    /// `inject`: a step blocked for the whole command timeout.
    case hang
    /// `inject --lost-writes`: an acknowledged write was lost.
    case lostWrite = "lost-write"
    /// `inject` on two endpoints: the same fault ends differently.
    case faultParity = "fault-parity"
    /// `inject`: what a restart did to the endpoint's keys.
    case durability
    /// `inject --server-faults`: a server-side fault the host refuses, skipped.
    case serverFault = "server-fault"
    /// Keys of a pattern without the TTL their siblings (or their name) suggest.
    case ttlMissing = "ttl-missing"
    /// Keys outside every expected prefix (`--expect-prefix`).
    case keyPrefix = "key-prefix"
    /// Two endpoints' keyspaces differ: patterns, counts, TTL distributions.
    case keyspaceDiff = "keyspace-diff"
    /// On a cluster: every key of a large pattern hashes to one slot (a constant hash tag).
    case clusterHotSlot = "cluster-hot-slot"
    /// A script touched a key outside the run namespace or called a refused command, and the
    /// server's ACL (the run's temporary user) refused it.
    case scriptEscape = "script-escape"
    /// A transaction, script or multi-key command whose keys span hash slots: a cluster refuses it.
    case clusterCrossSlot = "cluster-crossslot"
    /// What a cluster told about itself: redirections followed, mixed versions, hot slots.
    case cluster
}

/// Orders findings: severity first, then how many places they affect, then the order
/// in which the audit produced them (scenario and step order), so the ranking is stable.
public enum FindingRanking {
    public static func rank(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().sorted { lhs, rhs in
            if lhs.element.severity != rhs.element.severity { return lhs.element.severity > rhs.element.severity }
            if lhs.element.occurrences != rhs.element.occurrences { return lhs.element.occurrences > rhs.element.occurrences }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}

/// The `--fail-on` threshold: a severity, or `never`; written as its text in reports.
public enum FailThreshold: Hashable, Sendable, CustomStringConvertible, Codable {
    case severity(Severity)
    case never

    public init?(_ text: String) {
        if text == "never" {
            self = .never
        } else if let severity = Severity(rawValue: text) {
            self = .severity(severity)
        } else {
            return nil
        }
    }

    /// True when the finding counts toward failing the run: at or above the threshold, and not
    /// accepted by a baseline (an expired acceptance counts again). Scope is not looked at here:
    /// see `FailPolicy`.
    public func isMet(by finding: Finding) -> Bool {
        guard case .severity(let threshold) = self else { return false }
        if finding.acceptance?.status == .accepted { return false }
        return finding.severity >= threshold
    }

    public var description: String {
        switch self {
        case .severity(let s): return s.rawValue
        case .never: return "never"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let threshold = FailThreshold(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a severity or never")
        }
        self = threshold
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Which findings fail a run: `--fail-on` for differences (and every finding outside `compare`),
/// `--fail-on-shared` for findings both endpoints share.
public struct FailPolicy: Hashable, Sendable {
    public var failOn: FailThreshold
    public var failOnShared: FailThreshold

    /// What `--fail-on-shared` is when not given: shared findings are reported, never failing.
    public static let defaultFailOnShared = FailThreshold.never

    public init(failOn: FailThreshold, failOnShared: FailThreshold = FailPolicy.defaultFailOnShared) {
        self.failOn = failOn
        self.failOnShared = failOnShared
    }

    /// True when the finding counts toward failing the run under the threshold for its scope.
    public func isMet(by finding: Finding) -> Bool {
        finding.scope == .shared ? failOnShared.isMet(by: finding) : failOn.isMet(by: finding)
    }
}
