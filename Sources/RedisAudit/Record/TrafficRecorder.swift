import NIOConcurrencyHelpers
import NIOCore

/// The recording side of a proxy (`FaultProxyConfiguration.recorder`): numbers the client
/// connections, lends them memory from one budget, and keeps each connection's recording once
/// it ends. Shared by every listener and session; a session touches its lock only when it opens,
/// when it needs another chunk of memory, and when it ends.
public final class TrafficRecorder: Sendable {
    /// Connections numbered so far, memory lent, and the recordings of ended connections.
    private struct State {
        var connections = 0
        var lent = 0
        var finished: [RecordedConnection] = []
    }

    /// The default memory budget for what is recorded: 256 MiB.
    public static let defaultMaxBytes = 256 * 1024 * 1024
    /// How much a connection borrows at a time.
    static let chunk = 256 * 1024

    /// The most bytes of requests and replies kept over all connections.
    public let maxBytes: Int
    private let state = NIOLockedValueBox(State())

    public init(maxBytes: Int = TrafficRecorder.defaultMaxBytes) {
        self.maxBytes = maxBytes
    }

    /// A recording for a connection that just opened from `address`.
    func opened(from address: SocketAddress?) -> ConnectionRecording {
        let id = state.withLockedValue { state in
            state.connections += 1
            return state.connections
        }
        let host = address?.ipAddress ?? "?"
        let client = "\(host.contains(":") ? "[\(host)]" : host):\(address?.port ?? 0)"
        return ConnectionRecording(recorder: self, id: id, client: client)
    }

    /// Lends at least `bytes` more (a chunk when it can), or 0 once the budget is spent.
    func grant(atLeast bytes: Int) -> Int {
        state.withLockedValue { state in
            let wanted = max(bytes, Self.chunk)
            let left = maxBytes - state.lent
            let granted = wanted <= left ? wanted : bytes <= left ? bytes : 0
            state.lent += granted
            return granted
        }
    }

    /// Keeps a connection's recording once it ended.
    func closed(_ recording: ConnectionRecording) {
        let finished = recording.finished()
        state.withLockedValue { $0.finished.append(finished) }
    }

    /// The recordings of the connections that ended, in the order they opened.
    public var connections: [RecordedConnection] {
        state.withLockedValue { $0.finished }.sorted { $0.id < $1.id }
    }
}
