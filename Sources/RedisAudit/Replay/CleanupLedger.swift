import NIOConcurrencyHelpers

/// What every namespace cleanup of one audit achieved, per endpoint, as the servers
/// confirmed it: the source of the report's cleanup line and of the leftover finding.
public final class CleanupLedger: Sendable {
    /// One endpoint's cleanups added up.
    public struct Tally: Sendable, Hashable {
        /// Namespaces cleaned.
        public var namespaces = 0
        /// Distinct keys the cleanups tried to delete.
        public var attempted = 0
        /// Keys the server said it deleted.
        public var deleted = 0
        /// Keys still there afterwards, or whose deletion could not be checked (full names).
        public var remaining: [[UInt8]] = []
        /// How many of `remaining` could not be checked at all.
        public var unverified = 0
        /// Why the server refused to delete keys, with how many keys each reason covers.
        public var refusals: [String: Int] = [:]
    }

    private let tallies = NIOLockedValueBox<[String: Tally]>([:])

    public init() {}

    /// Adds one cleanup's outcome to an endpoint's tally.
    func record(_ deletion: Deletion, role: String) {
        tallies.withLockedValue { all in
            var tally = all[role] ?? Tally()
            tally.namespaces += 1
            tally.attempted += deletion.attempted
            tally.deleted += deletion.deleted
            tally.remaining += deletion.remaining
            tally.unverified += deletion.unverified.count
            for reason in deletion.refusals.values { tally.refusals[reason, default: 0] += 1 }
            all[role] = tally
        }
    }

    /// An endpoint's tally (empty when nothing was cleaned there).
    public func tally(role: String) -> Tally {
        tallies.withLockedValue { $0[role] } ?? Tally()
    }

    /// What an interrupted run says about its cleanup: the confirmed deletions on each side,
    /// and the keys left with the command that removes them; nil when nothing was written.
    public func interruptedNote(roles: [String], runID: String) -> String? {
        let tallies = roles.map { ($0, tally(role: $0)) }
        guard tallies.contains(where: { $0.1.attempted > 0 || !$0.1.remaining.isEmpty }) else { return nil }
        let sides = tallies.map { role, tally in
            "\(role): \(tally.deleted) key\(tally.deleted == 1 ? "" : "s") deleted (confirmed by the server), "
                + (tally.remaining.isEmpty ? "none left" : "\(tally.remaining.count) left")
        }
        var text = "cleanup: " + sides.joined(separator: "; ")
        let left = tallies.flatMap { $0.1.remaining }
        if !left.isEmpty {
            text += " (left: " + left.prefix(10).map(Transcript.argument).joined(separator: ", ")
            text += left.count > 10 ? ", ...); " : "); "
            text += "run `redisaudit clean --run \(runID) <endpoint>` to remove them"
        }
        return text
    }

    /// The report's cleanup line: what was deleted on each endpoint, as the server confirmed it,
    /// and what is left. `namespaces` names the run's namespaces (`redisaudit:<run>-*:`).
    public func note(roles: [String], namespaces: String) -> String {
        let sides = roles.map { role -> String in
            let tally = tally(role: role)
            var text = "\(role): \(tally.deleted) key\(tally.deleted == 1 ? "" : "s") deleted (confirmed by the server)"
            if tally.remaining.isEmpty {
                text += ", none left"
            } else {
                text += ", \(tally.remaining.count) left (see the namespace-leftover finding)"
            }
            return text
        }
        return "Every key was written under the run namespaces \(namespaces); cleanup: " + sides.joined(separator: "; ") + "."
    }

    /// A high `namespace-leftover` finding per endpoint where keys of this run remain.
    public func findings(roles: [String]) -> [Finding] {
        roles.compactMap { role in
            let tally = tally(role: role)
            guard !tally.remaining.isEmpty else { return nil }
            let count = tally.remaining.count
            var evidence = tally.remaining.prefix(20).map { "EXISTS \(Transcript.argument($0)) -> still there" }
            if count > 20 { evidence.append("... and \(count - 20) more") }
            if tally.unverified > 0 { evidence.append("\(tally.unverified) of them could not be checked (no reply to EXISTS)") }
            for (reason, keys) in tally.refusals.sorted(by: { $0.key < $1.key }) {
                evidence.append("UNLINK and DEL refused for \(keys) key\(keys == 1 ? "" : "s"): \(reason)")
            }
            evidence.append("\(tally.deleted) of \(tally.attempted) keys deleted, as the server confirmed")
            return Finding(
                identity: "cleanup|\(role)", severity: .high, category: .leftover,
                title: "\(count) key\(count == 1 ? "" : "s") written by this run could not be deleted from \(role)",
                endpoints: [role], evidence: evidence,
                why: "The audit's own keys stay on the host, some possibly without a TTL: they take memory and "
                    + "anything that scans the keyspace sees them.",
                fix: "Delete them with a user allowed to (`redisaudit clean ENDPOINT`), and allow the audit's user "
                    + "UNLINK or DEL on `redisaudit:*` keys (ACL: `+unlink ~redisaudit:*`).",
                occurrences: count)
        }
    }
}
