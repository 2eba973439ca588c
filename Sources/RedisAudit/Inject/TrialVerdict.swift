/// How a trial ended, judged by what the application did and the state the fault left.
public enum TrialOutcome: String, Codable, Sendable, CaseIterable {
    /// Nothing wrong: the application went on with its invariants holding, or stopped with the
    /// state unchanged or complete.
    case survived
    /// The application went on, believing all was well, and an invariant fails.
    case silentCorruption = "silent-corruption"
    /// The application went on through an `as-null` step the fault hit: an error read as "not found".
    case errorSwallowed = "error-swallowed"
    /// A retry after a lost reply applied a non-idempotent command twice.
    case doubleApply = "double-apply"
    /// The application stopped, and left a state that is neither the one before nor a complete one.
    case partialApply = "partial-apply"
    /// An acknowledged write was lost and an invariant fails.
    case lostWrite = "lost-write"
    /// Over REST: the server ran the whole request, and the application was told it failed (a
    /// lost or late response). It cannot tell this from a request that never arrived.
    case appliedToldFailed = "applied-told-failed"
    /// The fault never fired: the point was not reached.
    case notReached = "not-reached"

    /// Severity before the failing invariants raise it.
    var baseSeverity: Severity {
        switch self {
        case .silentCorruption: return .critical
        case .errorSwallowed, .doubleApply, .partialApply, .lostWrite: return .high
        case .appliedToldFailed: return .medium
        case .survived, .notReached: return .info
        }
    }
}

/// The judgement of one trial.
public struct TrialVerdict: Sendable {
    public var outcome: TrialOutcome
    /// True when a step blocked for the whole command timeout.
    public var hang: Bool
    /// The invariants that fail after the trial.
    public var failing: [InvariantResult]
    /// Those the fault broke, which rank and group it: for a stopped request, the ones that
    /// held before the flow started; otherwise all that fail.
    public var broken: [InvariantResult]
    /// A few words for the coverage table: `ok`, `retried`, `stopped, unchanged`, `partial-apply`, ...
    public var summary: String

    /// Judges a trial against the fault-free run of the same scenario. The trial ran with the
    /// scenario's `client:` behaviour, so a fault its client retries is judged by what the
    /// retry left: `retried` when the application went on and its invariants hold, a double
    /// apply when the retry ran a non-idempotent command again and the state differs from the
    /// fault-free run's.
    public static func judge(_ trial: Trial, baseline: Trial) -> TrialVerdict {
        let baselineAfter = baseline.after
        let failing = trial.invariants.filter { !$0.holds }
        var broken = failing
        // A step that timed out and was then retried still blocked for the whole timeout.
        let hang = trial.steps.contains { step in
            (step.commands.map(\.outcome) + step.retriedFailures).contains {
                if case .failed(.timeout) = $0 { return true } else { return false }
            }
        }
        func verdict(_ outcome: TrialOutcome, _ summary: String) -> TrialVerdict {
            TrialVerdict(
                outcome: outcome, hang: hang, failing: outcome == .survived ? [] : failing,
                broken: outcome == .survived ? [] : broken, summary: summary + (hang ? ", hang" : ""))
        }
        guard trial.fired else {
            return TrialVerdict(outcome: .notReached, hang: false, failing: [], broken: [], summary: "not reached")
        }
        if trial.plan.fault == .dropSilent {
            return failing.isEmpty ? verdict(.survived, "ok") : verdict(.lostWrite, TrialOutcome.lostWrite.rawValue)
        }
        if trial.wentOn {
            // The step's `retry` policy or the scenario's client sent a non-idempotent command
            // again after a lost reply (a client that resends only unacknowledged commands may
            // have sent it once).
            let retriedTwice = trial.steps.contains { step in
                step.retriedAfterTransportFailure
                    && step.commands.contains { record in
                        record.sends > 1 && (CommandTable.spec(named: record.specName)?.flags.contains(.nonIdempotent) ?? false)
                    }
            }
            if retriedTwice, trial.after != baselineAfter { return verdict(.doubleApply, TrialOutcome.doubleApply.rawValue) }
            if !failing.isEmpty { return verdict(.silentCorruption, TrialOutcome.silentCorruption.rawValue) }
            if trial.steps.contains(where: { $0.step.onError == .asNull && $0.failed }) {
                return verdict(.errorSwallowed, TrialOutcome.errorSwallowed.rawValue)
            }
            // A retry (the client's or the step's policy) repaired what the fault broke.
            let retried = trial.steps.contains { !$0.retriedFailures.isEmpty }
            return verdict(.survived, retried ? "retried" : "ok")
        }
        if trial.after == trial.before { return verdict(.survived, "stopped, unchanged") }
        if failing.isEmpty {
            // Over REST the request the fault hit is the unit: when it wrote, all of it ran.
            if trial.transport == .rest, trial.plan.fault?.isAmbiguous == true, let point = trial.plan.point,
                point.step < trial.steps.count,
                trial.steps[point.step].commands.contains(where: {
                    CommandTable.spec(named: $0.specName)?.flags.contains(.write) ?? false
                })
            {
                return verdict(.appliedToldFailed, TrialOutcome.appliedToldFailed.rawValue)
            }
            return verdict(.survived, "stopped, complete")
        }
        if baseline.checkpoints.contains(trial.after) { return verdict(.survived, "stopped at a checkpoint") }
        // A stopped request is judged by what it broke: invariants that already failed before
        // the flow (the old token of a rotation that never finished) are not its doing.
        broken = failing.filter { result in
            trial.invariantsBefore.first { $0.invariant == result.invariant }?.holds ?? true
        }
        return verdict(.partialApply, TrialOutcome.partialApply.rawValue)
    }

    /// The finding's severity: the outcome's, raised by the failing invariants' own.
    var severity: Severity {
        broken.map(\.invariant.severity).reduce(outcome.baseSeverity) { max($0, $1) }
    }
}
