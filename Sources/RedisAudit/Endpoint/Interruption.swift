import NIOConcurrencyHelpers
import NIOCore

/// Set when the user asks the run to stop (Ctrl-C). Checked between steps, and it also closes
/// every connection open at that moment, so a command waiting on a slow or silent server ends
/// at once instead of at its deadline; the run then cleans its namespace on fresh connections.
///
/// An audit runs with its interruption as ``current`` (a task-local value), so every
/// ``RedisConnection`` its tasks open is tracked without being handed the interruption.
public final class Interruption: Sendable {
    /// Whether a stop was requested, and the channels to close when it is.
    private struct State {
        var requested = false
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The interruption of the audit the current task works for, if any.
    @TaskLocal public static var current: Interruption?

    public init() {}

    /// Asks the run to stop at the next step boundary and closes every tracked connection.
    public func request() {
        let open = state.withLockedValue { state -> [any Channel] in
            guard !state.requested else { return [] }
            state.requested = true
            return Array(state.channels.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// True once a stop was requested.
    public var isRequested: Bool { state.withLockedValue { $0.requested } }

    /// Tracks a connection's channel until it closes. A connection opened after the request
    /// (the cleanup's own) is left open: the stop has already happened.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLockedValue { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLockedValue { $0.channels.removeValue(forKey: id) }
        }
    }

    /// Runs `body` with this interruption as ``current``.
    public func tracking<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await Interruption.$current.withValue(self) { try await body() }
    }
}

/// Thrown when a run stops because the user asked it to; says what the cleanup confirmed.
public struct InterruptedError: Error, CustomStringConvertible {
    /// The cleanup as the servers confirmed it, or nil when the run wrote nothing.
    public var cleanup: String?
    /// What became of the run's temporary ACL users, when it made any (`RunConfinement`).
    public var confinement: String?

    public init(cleanup: String? = nil, confinement: String? = nil) {
        self.cleanup = cleanup
        self.confinement = confinement
    }

    public var description: String {
        let users = confinement.map { "; \($0)" } ?? ""
        guard let cleanup else { return "interrupted before anything was written; no report was written" + users }
        return "interrupted; no report was written; \(cleanup)" + users
    }
}
