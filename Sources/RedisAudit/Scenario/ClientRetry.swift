/// How the application's Redis client library retries a failed call on its own, before the
/// application sees the failure: a scenario's `client:` block.
///
/// ```
///   step ─▶ send ─▶ failure the client retries? ──yes, retries left──▶ wait (backoff) ─▶ resend
///                          │no, or none left
///                          ▼
///                   the step's on_error decides (retry: N calls the client again)
/// ```
public struct ClientRetry: Hashable, Sendable, CustomStringConvertible {
    /// A failure the client library retries.
    public enum Failure: Hashable, Sendable, CustomStringConvertible {
        /// The connection closed before the reply arrived (or could not be opened again).
        case connectionLost
        /// No reply within the command timeout.
        case timeout
        /// An error reply whose first word is this class (`LOADING`, `BUSY`, `TRYAGAIN`, ...).
        case errorClass(String)

        /// The failure as written in scenario files.
        public var description: String {
            switch self {
            case .connectionLost: return "connection-lost"
            case .timeout: return "timeout"
            case .errorClass(let name): return name
            }
        }
    }

    /// Which of a pipeline's or transaction's commands a retry sends again.
    public enum Resend: String, Hashable, Sendable, CaseIterable {
        /// Every command of the step (a transaction: MULTI, its commands and EXEC).
        case whole
        /// Only the commands that got no reply or an error the client retries (a transaction,
        /// whose replies come with EXEC, is still resent whole).
        case unacknowledged
    }

    /// The wait before each retry: `min(cap, random × base × 2^n)` for the n-th retry (from 1),
    /// redis-py's `ExponentialWithJitterBackoff.compute` (redis/backoff.py).
    public struct Backoff: Hashable, Sendable {
        public var baseMilliseconds: Int
        public var capMilliseconds: Int

        public init(baseMilliseconds: Int, capMilliseconds: Int) {
            self.baseMilliseconds = baseMilliseconds
            self.capMilliseconds = capMilliseconds
        }

        /// The wait before retry `n` (1 for the first), in milliseconds, with `random` in [0, 1).
        public func milliseconds(beforeRetry n: Int, random: Double) -> Double {
            let exponential = Double(baseMilliseconds) * Double(1 << min(max(n, 0), 30))
            return min(Double(capMilliseconds), random * exponential)
        }
    }

    /// The preset it starts from (`none`, `redis-py`), nil when written out from scratch.
    public var preset: String?
    /// Extra attempts after the first (0: the client gives up at once).
    public var retries: Int
    /// The failures it retries.
    public var on: [Failure]
    /// The wait between attempts; nil retries at once.
    public var backoff: Backoff?
    public var resend: Resend

    public init(preset: String? = nil, retries: Int, on: [Failure], backoff: Backoff?, resend: Resend) {
        self.preset = preset
        self.retries = retries
        self.on = on
        self.backoff = backoff
        self.resend = resend
    }

    /// What a client retries when the block does not say.
    public static let defaultFailures: [Failure] = [.connectionLost, .timeout]

    /// A client that gives up: the first failure reaches the application (the default).
    public static let none = ClientRetry(
        preset: "none", retries: 0, on: defaultFailures, backoff: nil, resend: .whole)

    /// redis-py's defaults (redis 8.1), as its code sets them:
    /// - `Redis.__init__` (redis/client.py): `retry=Retry(ExponentialWithJitterBackoff(base=
    ///   DEFAULT_RETRY_BASE, cap=DEFAULT_RETRY_CAP), retries=DEFAULT_RETRY_COUNT)`, with
    ///   `DEFAULT_RETRY_COUNT = 10`, `DEFAULT_RETRY_BASE = 0.01` (10 ms), `DEFAULT_RETRY_CAP = 1`
    ///   (1 s) in redis/_defaults.py.
    /// - `Retry.__init__` (redis/retry.py): `supported_errors=(ConnectionError, TimeoutError,
    ///   socket.timeout)`; `call_with_retry` raises once `failures > retries`, so 10 retries
    ///   after the first attempt. `BusyLoadingError` (a `LOADING` reply, redis/_parsers/base.py)
    ///   is a `ConnectionError` (redis/exceptions.py) that the parser raises at once
    ///   (redis/_parsers/resp2.py `_read_response`), so it is retried too; `READONLY`,
    ///   `TRYAGAIN` and `BUSY` are `ResponseError`s and are not.
    /// - `Pipeline.execute` (redis/client.py) wraps `_execute_pipeline` / `_execute_transaction`
    ///   for the whole command stack in `conn.retry.call_with_retry`, disconnecting in between:
    ///   the whole pipeline (or MULTI ... EXEC) is sent again; `Redis._execute_command` does the
    ///   same for one command.
    public static let redisPy = ClientRetry(
        preset: "redis-py", retries: 10, on: [.connectionLost, .timeout, .errorClass("LOADING")],
        backoff: Backoff(baseMilliseconds: 10, capMilliseconds: 1000), resend: .whole)

    /// The presets by the name scenario files use.
    public static let presets: [(name: String, client: ClientRetry)] = [("none", .none), ("redis-py", .redisPy)]

    /// True when the client gives up at once: nothing it does differs from no client at all.
    public var givesUp: Bool { retries == 0 }

    /// Whether the client retries a failed attempt of a step: a lost connection, a timeout, or
    /// an error reply of a listed class among its replies (a transaction's EXEC elements too).
    func retries(_ commands: [CommandRecord]) -> Bool {
        commands.contains { retries($0.outcome) }
    }

    /// Whether the client retries a command that came to `outcome`.
    func retries(_ outcome: CommandOutcome) -> Bool {
        switch outcome {
        case .failed(.timeout): return on.contains(.timeout)
        case .failed(.connectionClosed): return on.contains(.connectionLost)
        case .failed(.protocolError), .failed(.limitExceeded): return false
        case .reply(let value):
            if let elements = value.arrayElements, elements.contains(where: { retries(.reply($0)) }) { return true }
            guard let errorClass = value.errorClass else { return false }
            return on.contains(.errorClass(errorClass))
        }
    }

    /// `client: redis-py (10 retries on connection-lost, timeout, LOADING; backoff 10 ms to
    /// 1000 ms with jitter; a pipeline or transaction resent whole)`.
    public var description: String {
        var name = preset ?? "custom"
        if let preset, let base = Self.presets.first(where: { $0.name == preset })?.client, base != self {
            name += ", refined"
        }
        guard retries > 0 else { return "client: \(name) (no retries: a failure reaches the application)" }
        let times = retries == 1 ? "1 retry" : "\(retries) retries"
        let wait = backoff.map { "backoff \($0.baseMilliseconds) ms to \($0.capMilliseconds) ms with jitter" } ?? "no backoff"
        let resent =
            resend == .whole
            ? "a pipeline or transaction resent whole" : "only a pipeline's unacknowledged commands resent"
        return "client: \(name) (\(times) on \(on.map(\.description).joined(separator: ", ")); \(wait); \(resent))"
    }
}
