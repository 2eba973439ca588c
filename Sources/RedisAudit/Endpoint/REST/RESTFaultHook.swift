import NIOConcurrencyHelpers

/// The faults a REST request really meets, from the proxy's rules, decided once per request:
/// a REST request is one HTTP exchange, so a fault strikes the whole request, never a part of it.
///
/// | Rule on a command of the request | What happens |
/// |---|---|
/// | `kill-before` | the request is lost before the server saw it: nothing in it runs, the client sees an error |
/// | `kill-after` | the server runs the whole request, the response is lost: the client sees an error |
/// | `delay` | the server runs the whole request, the response comes after the client's timeout |
///
/// `nth` counts each command name over the whole run, as the commands travel (a transaction's
/// `MULTI` and `EXEC` included), like the proxy's `scope=run`.
public final class RESTFaultHook: Sendable {
    /// What happens to one request.
    enum Fate: Equatable {
        case delivered
        case requestLost
        case responseLost
        case responseLate
    }

    /// One rule: which fate, for the N-th command of a name (every one without N).
    private struct Rule: Sendable {
        var fate: Fate
        var command: String?
        var nth: Int?
    }

    private let rules: [Rule]
    private let state = NIOLockedValueBox<(seen: [String: Int], fired: Int)>(([:], 0))

    /// The hook for `rules`; the kinds REST has no counterpart for (drop, stream faults) are left out.
    public init(rules: [FaultRule]) {
        self.rules = rules.compactMap { rule in
            let fate: Fate
            switch type(of: rule.fault).kind {
            case "kill-before": fate = .requestLost
            case "kill-after": fate = .responseLost
            case "delay": fate = .responseLate
            default: return nil
            }
            return Rule(fate: fate, command: rule.target.command, nth: rule.target.nth)
        }
    }

    /// How many requests a rule struck.
    public var fired: Int { state.withLockedValue { $0.fired } }

    /// The fate of a request, counting its commands.
    func fate(of call: RESTCall) -> Fate {
        var names = call.names
        if case .transaction = call.kind { names = ["MULTI"] + names + ["EXEC"] }
        return state.withLockedValue { state in
            var fate = Fate.delivered
            for name in names {
                state.seen[name, default: 0] += 1
                guard fate == .delivered else { continue }
                for rule in rules where rule.command == nil || rule.command == name {
                    if let nth = rule.nth, nth != state.seen[name] { continue }
                    fate = rule.fate
                    break
                }
            }
            if fate != .delivered { state.fired += 1 }
            return fate
        }
    }
}
