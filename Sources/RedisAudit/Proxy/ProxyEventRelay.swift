import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Hands a proxy's events to its observer: numbers the client connections and spots a client
/// retrying into a fault. Shared by every listener and session of one proxy; it exists only
/// when someone observes, so sessions without an observer pay nothing for it.
final class ProxyEventRelay: Sendable {
    /// The last firings of one rule for clients of one address.
    private struct Streak {
        var command: String?
        var key: [UInt8]?
        var times: Int
    }

    /// Which rule fired for which client address.
    private struct StreakKey: Hashable {
        var host: String
        var rule: Int
    }

    /// Connections numbered so far, streaks, and the rules already warned about.
    private struct State {
        var connections = 0
        var streaks: [StreakKey: Streak] = [:]
        var warned: Set<Int> = []
    }

    let observer: @Sendable (ProxyEvent) -> Void
    private let state = NIOLockedValueBox(State())

    init(observer: @escaping @Sendable (ProxyEvent) -> Void) {
        self.observer = observer
    }

    /// Numbers a client connection that just opened and tells the observer.
    func opened(from address: SocketAddress?) -> ProxyClient {
        let id = state.withLockedValue { state in
            state.connections += 1
            return state.connections
        }
        let client = ProxyClient(id: id, address: address)
        observer(.connectionOpened(client, at: Date()))
        return client
    }

    func closed(_ client: ProxyClient) {
        observer(.connectionClosed(client, at: Date()))
    }

    /// Tells the observer a rule fired, then, when that firing makes a retry streak, that the
    /// client is retrying into the fault (once per rule).
    func fired(_ event: FaultEvent) {
        observer(.faultFired(event))
        // A rule that fires as each connection opens is no retry.
        guard event.command != nil else { return }
        let key = StreakKey(host: event.client.host, rule: event.ruleIndex)
        let streak = state.withLockedValue { state -> Int? in
            var streak = state.streaks[key] ?? Streak(command: event.command, key: event.key, times: 0)
            if streak.command != event.command || streak.key != event.key {
                streak = Streak(command: event.command, key: event.key, times: 0)
            }
            streak.times += 1
            state.streaks[key] = streak
            guard streak.times == ProxyEvent.retryStreak, state.warned.insert(event.ruleIndex).inserted else { return nil }
            return streak.times
        }
        if let streak { observer(.retryingIntoFault(event, times: streak)) }
    }
}
