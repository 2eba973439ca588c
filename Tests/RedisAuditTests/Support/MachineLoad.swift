import Testing

/// Keeps the tests that load the machine (a thousand clients racing, thousands of sockets opened
/// and closed) apart from the other tests against real servers, whose verdicts depend on timing
/// (fault delays against a 0.5 s trial timeout) or on free ports: those run alongside each
/// other, a load test runs alone among them.
struct MachineLoad: SuiteTrait, TestTrait, TestScoping {
    /// True for a test that loads the machine; false for one that must not share it with such a test.
    let heavy: Bool

    static var heavy: MachineLoad { MachineLoad(heavy: true) }
    static var light: MachineLoad { MachineLoad(heavy: false) }

    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Suites only pass the trait on; each test takes the gate itself.
        guard testCase != nil else { return try await function() }
        await LoadGate.shared.enter(exclusive: heavy)
        do {
            try await function()
        } catch {
            await LoadGate.shared.leave(exclusive: heavy)
            throw error
        }
        await LoadGate.shared.leave(exclusive: heavy)
    }
}

/// A readers-writer gate: any number of shared holders, or one exclusive holder.
actor LoadGate {
    static let shared = LoadGate()

    private var shared = 0
    private var exclusive = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    func enter(exclusive wantsExclusive: Bool) async {
        if canEnter(wantsExclusive) && waiting.isEmpty {
            take(wantsExclusive)
            return
        }
        await withCheckedContinuation { waiting.append((wantsExclusive, $0)) }
    }

    func leave(exclusive wasExclusive: Bool) {
        if wasExclusive { exclusive = false } else { shared -= 1 }
        while let next = waiting.first, canEnter(next.exclusive) {
            waiting.removeFirst()
            take(next.exclusive)
            next.continuation.resume()
        }
    }

    private func canEnter(_ wantsExclusive: Bool) -> Bool {
        wantsExclusive ? !exclusive && shared == 0 : !exclusive
    }

    private func take(_ wantsExclusive: Bool) {
        if wantsExclusive { exclusive = true } else { shared += 1 }
    }
}
