import NIOConcurrencyHelpers

/// Set when the user asks the run to stop (Ctrl-C); checked between steps so the run can
/// still clean its namespace before exiting.
public final class Interruption: Sendable {
    private let flag = NIOLockedValueBox(false)

    public init() {}

    /// Asks the run to stop at the next step boundary.
    public func request() { flag.withLockedValue { $0 = true } }

    /// True once a stop was requested.
    public var isRequested: Bool { flag.withLockedValue { $0 } }
}

/// Thrown when a run stops because the user asked it to.
public struct InterruptedError: Error, CustomStringConvertible {
    /// What became of the run's temporary ACL users, when it made any (`RunConfinement`).
    public var confinement: String?

    public init(confinement: String? = nil) {
        self.confinement = confinement
    }

    public var description: String {
        "interrupted; the run namespace was cleaned up" + (confinement.map { "; \($0)" } ?? "")
    }
}
