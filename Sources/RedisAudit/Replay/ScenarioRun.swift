import RESP

/// What one scenario did on one endpoint: every command with its reply, key states after
/// each step, the final keys, and the invariants' verdicts.
public struct ScenarioRun: Sendable {
    public var scenario: Scenario
    /// `A` or `B`.
    public var role: String
    public var steps: [StepRecord]
    /// Set when a failed step stopped the application (see `ErrorPolicy.stops(after:)`).
    public var abortedAt: Int?
    /// Keys in the run namespace after the last step (namespace stripped).
    public var finalKeys: [String: KeyState]
    public var invariants: [InvariantResult]
    /// Variable values used (the same on every endpoint).
    public var bindings: [String: String]
    /// Clients counted by each `tally`.
    public var tallies: [String: Int] = [:]
    /// The temporary ACL user the scenario's commands ran as (nil: the endpoint's own user).
    public var confinedUser: String? = nil
    /// Cluster redirections the run's connections followed (none on a server).
    public var redirections = ClusterRedirections()
}

/// One step as it ran: its commands and the state of every key seen so far afterwards.
public struct StepRecord: Sendable {
    /// 0-based position in the scenario.
    public var index: Int
    public var step: Step
    /// One per command sent; for a transaction MULTI and EXEC included.
    public var commands: [CommandRecord]
    /// True when the step counted as failed (an error reply or a lost connection).
    public var failed: Bool
    /// How it failed, if it did.
    public var failure: StepFailure?
    /// How many times the step was sent: the client library's retries and the `retry` policy's
    /// (1 without retries).
    public var attempts: Int
    /// True when an earlier attempt got no reply, so the command may have run before the retry.
    public var retriedAfterTransportFailure: Bool
    /// Key states after the step, by key without namespace.
    public var keyStates: [String: KeyState]
    /// True when the step's `if` did not hold, so nothing was sent.
    public var skipped: Bool = false
    /// For a `concurrent` step: what its clients did (its `commands` are then empty).
    public var concurrent: ConcurrentOutcome? = nil
    /// Why each attempt that was tried again failed (its first failing reply or lost reply).
    public var retriedFailures: [CommandOutcome] = []

    /// The spec names of the commands the scenario lists (a transaction's without MULTI and
    /// EXEC): the replies inside EXEC's, in order, as `ReplyComparison` compares them.
    var listedCommands: [String] { commands.compactMap { $0.position == nil ? nil : $0.specName } }
}

/// One command as sent (namespace stripped for display) and what came back.
public struct CommandRecord: Sendable {
    /// Position among the step's commands as the scenario lists them (nil for MULTI/EXEC added by the replay).
    public var position: Int?
    public var name: String
    /// The command's name in the command table (`OBJECT IDLETIME`), which decides how replies compare.
    public var specName: String
    /// Arguments as the report shows them (namespace stripped).
    public var display: [[UInt8]]
    /// The reply or failure, with the namespace stripped from any key names in it.
    public var outcome: CommandOutcome
    /// Why the scenario's expectation for this reply failed, if it did.
    public var expectationFailure: String?
    public var template: CommandTemplate?
    /// How many times the command was sent: more than once when the step was retried (a
    /// client that resends only unacknowledged commands sends the others once).
    public var sends = 1
}

/// The state of a key: its type (`none` when missing) and PTTL (-2 missing, -1 no expiry).
public struct KeyState: Hashable, Sendable, Codable {
    public var type: String
    public var pttl: Int64
    /// The PTTL as it was right after the step that last set or replaced the key's TTL: the
    /// observed PTTL plus the time since that step's replies arrived. Two endpoints are compared
    /// on this, so a pause on one side between setting a TTL and observing it is not mistaken
    /// for a TTL difference.
    public var pttlAtWrite: Int64?

    public init(type: String, pttl: Int64, pttlAtWrite: Int64? = nil) {
        self.type = type
        self.pttl = pttl
        self.pttlAtWrite = pttlAtWrite
    }

    public static let missing = KeyState(type: "none", pttl: -2)

    public var exists: Bool { type != "none" && pttl != -2 }

    /// `TTL 604799 s`, `no TTL (-1)` or `missing (-2)`.
    public var ttlDescription: String {
        switch pttl {
        case -2: return "missing (-2)"
        case -1: return "no TTL (-1)"
        default: return "TTL \(Double(pttl) / 1000) s"
        }
    }
}

/// The verdict on one invariant after a run.
public struct InvariantResult: Sendable {
    public var invariant: Invariant
    public var holds: Bool
    /// What was observed, e.g. `sess:user123 has no TTL (-1)`.
    public var observation: String
    /// The number judged (a counter's value, a tally), to find the worst of several trials.
    public var measured: Int64? = nil
}
