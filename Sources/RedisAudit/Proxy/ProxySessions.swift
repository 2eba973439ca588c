import NIOConcurrencyHelpers
import NIOCore

/// The open sessions of one proxy: so it can close them all, and tell when none is left.
///
/// A session is open from the moment its client connects until both of its channels have
/// closed; sessions register and leave from their own event loops, waiters from anywhere.
final class ProxySessions: Sendable {
    /// Someone waiting in `settle` for the proxy to have no open session.
    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var open: [ObjectIdentifier: NIOLoopBound<ProxySession>] = [:]
        var waiters: [Waiter] = []
        var nextWaiter = 0
        /// Down periods (`down`) in progress: the proxy is not settled while one lasts.
        var outages = 0
    }

    private let state = NIOLockedValueBox(State())

    /// How many sessions are open.
    var count: Int { state.withLockedValue { $0.open.count } }

    /// Registers a session whose client has just connected (on the session's event loop).
    func opened(_ session: ProxySession, on eventLoop: any EventLoop) {
        let bound = NIOLoopBound(session, eventLoop: eventLoop)
        state.withLockedValue { $0.open[ObjectIdentifier(session)] = bound }
    }

    /// Removes a session whose channels have both closed.
    func closed(_ session: ProxySession) {
        let id = ObjectIdentifier(session)
        resumeIfSettled { $0.open[id] = nil }
    }

    /// Marks the start of a period in which the proxy refuses connections.
    func outageBegan() {
        state.withLockedValue { $0.outages += 1 }
    }

    /// Marks the end of such a period.
    func outageEnded() {
        resumeIfSettled { $0.outages -= 1 }
    }

    /// Closes every open session at once, dropping whatever is held.
    func terminateAll() {
        let sessions = state.withLockedValue { Array($0.open.values) }
        for bound in sessions {
            bound.eventLoop.execute { bound.value.terminate() }
        }
    }

    /// Waits until no session is open and no down period lasts: true, or false after `timeout`.
    func settle(timeout: TimeAmount, timerLoop: any EventLoop) async -> Bool {
        await withCheckedContinuation { continuation in
            let id: Int? = state.withLockedValue { state in
                guard !state.open.isEmpty || state.outages > 0 else { return nil }
                let id = state.nextWaiter
                state.nextWaiter += 1
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return id
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            timerLoop.scheduleTask(in: timeout) { [state] in
                let expired: Waiter? = state.withLockedValue { state in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index)
                }
                expired?.continuation.resume(returning: false)
            }
        }
    }

    /// Applies `change`, then wakes every waiter if that left the proxy settled.
    private func resumeIfSettled(_ change: (inout State) -> Void) {
        let settled: [Waiter] = state.withLockedValue { state in
            change(&state)
            guard state.open.isEmpty, state.outages == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in settled { waiter.continuation.resume(returning: true) }
    }
}
