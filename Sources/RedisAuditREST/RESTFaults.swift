import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisAudit

/// The proxy's `--fault` rules applied to the commands inside REST requests.
///
/// A request has no connection of its own, so `nth` counts over the whole gateway (as
/// `scope=run`). What each kind does to the request holding the command:
/// `kill-before`: the commands before it run, it and the rest do not, the request fails (500);
/// `kill-after`: the commands up to it run, the request fails (500); `drop` with `reply=`: the
/// command does not run and that reply stands in for it; `drop` without a reply: nothing from it
/// on runs and the request fails as timed out; `delay`: the request waits `ms` first.
/// Inside `/multi-exec` a kill before any command sends nothing, a kill after sends the whole transaction.
struct RESTFaults: Sendable {
    /// The kinds a request can carry.
    static let supportedKinds = [KillBefore.kind, KillAfter.kind, Drop.kind, Delay.kind]

    let rules: [FaultRule]
    private let matches: NIOLockedValueBox<[Int]>
    /// How many times each rule fired.
    let fired: NIOLockedValueBox<[Int]>

    init(rules: [FaultRule]) throws(RESTGatewayError) {
        for rule in rules where !Self.supportedKinds.contains(type(of: rule.fault).kind) {
            throw RESTGatewayError(
                description:
                    "the fault rule '\(rule)' cannot apply to REST requests: rest-gateway takes \(Self.supportedKinds.joined(separator: ", "))"
            )
        }
        self.rules = rules
        matches = NIOLockedValueBox(Array(repeating: 0, count: rules.count))
        fired = NIOLockedValueBox(Array(repeating: 0, count: rules.count))
    }

    /// What happens to one command.
    enum Decision: Equatable {
        case none
        case killBefore
        case killAfter
        case drop(RESPValue?)
        case delay(TimeAmount)
    }

    /// The first rule that fires on a command named `name`, counting it as a match for every rule that targets it.
    func decide(_ name: String) -> Decision {
        guard !rules.isEmpty else { return .none }
        let upper = name.uppercased()
        let firing: Int? = matches.withLockedValue { counts in
            var first: Int?
            for (index, rule) in rules.enumerated() {
                if let command = rule.target.command, command.uppercased() != upper { continue }
                counts[index] += 1
                if let nth = rule.target.nth, counts[index] != nth { continue }
                if let probability = rule.target.probability, Double.random(in: 0..<1) >= probability { continue }
                if first == nil { first = index }
            }
            return first
        }
        guard let firing else { return .none }
        fired.withLockedValue { $0[firing] += 1 }
        switch rules[firing].fault {
        case is KillBefore: return .killBefore
        case is KillAfter: return .killAfter
        case let drop as Drop: return .drop(drop.reply)
        case let delay as Delay: return .delay(delay.duration)
        default: return .none
        }
    }
}
