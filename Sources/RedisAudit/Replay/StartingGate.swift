import NIOConcurrencyHelpers
import NIOCore

/// The barrier of a concurrent block: every client waits at it until the last one arrives,
/// then all are let go together, each by a promise on its own event loop.
///
/// One promise per loop, not one for all: a single promise would resume every client from one
/// thread, one after the other, and hop half of them to the other loop; per-loop promises
/// release each loop's clients in place and in parallel, so the race starts at once.
final class StartingGate: Sendable {
    private let expected: Int
    /// How many clients have arrived, and when the last one did.
    private let state = NIOLockedValueBox<(arrived: Int, released: ContinuousClock.Instant?)>((0, nil))
    private let gates: [ObjectIdentifier: EventLoopPromise<Void>]

    /// A gate for `expected` clients whose connections run on `loops`.
    init(expected: Int, loops: [any EventLoop]) {
        self.expected = expected
        var gates: [ObjectIdentifier: EventLoopPromise<Void>] = [:]
        for loop in loops where gates[ObjectIdentifier(loop)] == nil {
            gates[ObjectIdentifier(loop)] = loop.makePromise(of: Void.self)
        }
        self.gates = gates
        if expected == 0 { open() }
    }

    /// When the gate opened (the last client arrived), nil until then.
    var releasedAt: ContinuousClock.Instant? { state.withLockedValue { $0.released } }

    /// Arrives at the gate and waits until every client has; `loop` is the client's connection's.
    func arrive(on loop: any EventLoop) async {
        let last = state.withLockedValue { state -> Bool in
            state.arrived += 1
            return state.arrived == expected
        }
        if last { open() }
        try? await gates[ObjectIdentifier(loop)]?.futureResult.get()
    }

    private func open() {
        state.withLockedValue { $0.released = ContinuousClock.now }
        for gate in gates.values { gate.succeed(()) }
    }
}
