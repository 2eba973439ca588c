/// A scenario (or fault plan) file that cannot be loaded or bound, with where the problem is.
///
/// Printed as `FILE:LINE: message`, or just the message when there is no place to point at
/// (an unreadable file, a `--var` naming no variable).
public struct ScenarioError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.location = location
        self.message = message
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }
}
