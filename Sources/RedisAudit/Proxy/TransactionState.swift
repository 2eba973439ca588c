/// Where the client is in a MULTI ... EXEC block, as forwarded to the server: a command dropped
/// with an error poisons the block, as a command that fails to queue does on a server.
enum TransactionState: Hashable {
    /// Outside MULTI.
    case none
    /// MULTI was forwarded, EXEC or DISCARD not yet.
    case open
    /// Open, and a command of it was dropped with an error: its EXEC becomes a DISCARD.
    case poisoned

    /// Follows MULTI, EXEC and DISCARD forwarded to the server.
    mutating func forwarded(_ name: String) {
        switch name {
        case "MULTI": self = .open
        case "EXEC", "DISCARD": self = .none
        default: break
        }
    }

    /// A command of the block was dropped; `withError`: its fake reply is an error.
    mutating func dropped(withError: Bool) {
        if self == .open, withError { self = .poisoned }
    }
}
