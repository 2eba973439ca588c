/// When a rule that targets nothing in particular fires.
public enum UntargetedFiring: Sendable, Hashable {
    /// On every command.
    case everyCommand
    /// Once per connection, as it opens (a toxic on the whole stream).
    case connectionStart
    /// Once in the run, on its first command.
    case firstCommandOfRun
}
