/// What a rule's `nth` counts over.
public enum FaultScope: String, Sendable, Hashable {
    /// Each connection counts its own commands.
    case connection
    /// One count over every connection of the proxy: the N-th matching command of the run.
    case run
}
