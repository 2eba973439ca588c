/// The report's account of a `--baseline` check: how many findings it accepted, how many
/// acceptances expired, how many findings are new, and the entries that no longer occur.
public struct BaselineSection: Codable, Sendable, Hashable {
    /// A baseline entry that matched no finding of this run.
    public struct Resolved: Codable, Sendable, Hashable {
        public var id: String
        public var title: String?
        public var scenario: String?
        public var reason: String
    }

    /// The baseline file as given.
    public var file: String
    /// Entries that apply to this subcommand.
    public var entries: Int
    public var accepted: Int
    public var expired: Int
    public var new: Int
    public var resolved: [Resolved]
}
