/// Where a proxy session is in its life: one state instead of a row of flags, changed only
/// through the transitions below (tested without sockets in `ProxySessionStateTests`).
///
/// ```
///  connecting ──upstream up──▶ forwarding ──kill-after / down──▶ requestsCut ──┐
///      │                           │ ──close held behind delayed replies──▶ closing ──┤
///      │                           │ ──timeout──▶ silent ───────────────────────────┤
///      └───────────────────────────┴───────── finish ──▶ finished ◀─────────────────┘
///                                  └───────── refuse ──▶ finished(draining)
/// ```
enum ProxySessionState: Hashable {
    /// What the client did while the upstream connection was being opened.
    enum ClientEnd: Hashable {
        /// Still connected, sending.
        case open
        /// Half-closed: it sent everything; the upstream gets the end once connected.
        case inputClosed
        /// Gone: what it sent is forwarded once connected, then the session ends.
        case gone
    }

    /// Waiting for the upstream connection; the client's bytes are kept meanwhile (unless
    /// `silent`: a `timeout` from the connection's start lets nothing pass).
    case connecting(ClientEnd, silent: Bool)
    /// Both ways pass.
    case forwarding
    /// A kill cut the request stream: replies still pass, nothing the client sends is forwarded.
    case requestsCut
    /// A close is held behind delayed replies: nothing more is read either way.
    case closing
    /// `timeout` fired: nothing passes either way until the session ends.
    case silent
    /// Torn down: nothing more is read or forwarded. `draining`: the client got a final error
    /// and its input is read and discarded until it closes.
    case finished(draining: Bool)

    /// What to do once the upstream connection is up.
    enum Connected: Hashable {
        /// Forward; the client's input is still open.
        case forward
        /// Forward what the client sent, then half-close the upstream.
        case forwardThenCloseOutput
        /// Forward what the client sent, then end the session: the client is gone.
        case forwardThenFinish
        /// The session ended meanwhile: close the new connection.
        case closeUpstream
    }

    /// What to do with the client's end of input or its close.
    enum ClientClose: Hashable {
        /// Remembered until the upstream is up.
        case wait
        /// Passed on now.
        case passOn
        /// The session ended already.
        case ignore
    }

    /// True once the session is torn down.
    var isFinished: Bool {
        if case .finished = self { return true }
        return false
    }

    /// True while the upstream connection is being opened.
    var isConnecting: Bool {
        if case .connecting = self { return true }
        return false
    }

    /// True when bytes read from `side` are acted on (kept, while connecting).
    func accepts(from side: ProxySide) -> Bool {
        switch self {
        case .connecting(_, let silent): return side == .client && !silent
        case .forwarding: return true
        case .requestsCut: return side == .server
        case .closing, .silent, .finished: return false
        }
    }

    /// True when the client's input is read whatever the upstream can take: it is discarded.
    var discardsClientInput: Bool { self == .finished(draining: true) }

    /// The upstream connection is up.
    mutating func upstreamConnected() -> Connected {
        switch self {
        case .connecting(let end, let silent):
            self = silent ? .silent : .forwarding
            switch end {
            case .open: return .forward
            case .inputClosed: return .forwardThenCloseOutput
            case .gone: return .forwardThenFinish
            }
        case .finished:
            return .closeUpstream
        case .forwarding, .requestsCut, .closing, .silent:
            return .forward
        }
    }

    /// The client half-closed.
    mutating func clientInputClosed() -> ClientClose {
        switch self {
        case .connecting(.open, let silent):
            self = .connecting(.inputClosed, silent: silent)
            return .wait
        case .connecting:
            return .wait
        case .finished:
            return .ignore
        case .forwarding, .requestsCut, .closing, .silent:
            return .passOn
        }
    }

    /// The client's connection closed.
    mutating func clientClosed() -> ClientClose {
        switch self {
        case .connecting(_, let silent):
            self = .connecting(.gone, silent: silent)
            return .wait
        case .finished:
            return .ignore
        case .forwarding, .requestsCut, .closing, .silent:
            return .passOn
        }
    }

    /// A kill cut the requests: only replies pass from now on.
    mutating func cutRequests() {
        if self == .forwarding { self = .requestsCut }
    }

    /// A close waits behind held replies: nothing more is read.
    mutating func holdClose() {
        guard !isFinished else { return }
        self = .closing
    }

    /// Nothing passes any more.
    mutating func silence() {
        switch self {
        case .connecting(let end, _): self = .connecting(end, silent: true)
        case .finished: break
        case .forwarding, .requestsCut, .closing, .silent: self = .silent
        }
    }

    /// True when nothing passes either way.
    var isSilent: Bool {
        switch self {
        case .silent, .connecting(_, silent: true): return true
        default: return false
        }
    }

    /// Tears the session down; false when it was already.
    mutating func finish() -> Bool {
        guard !isFinished else { return false }
        self = .finished(draining: false)
        return true
    }

    /// Tears the session down (if not already) while the client reads its final error.
    mutating func refuse() {
        self = .finished(draining: true)
    }
}
