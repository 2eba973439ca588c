/// A file the tool reads (scenario, config file, baseline, fault plan) or a value given for one
/// (`--var`) that cannot be used, with where the problem is. Every one is a usage error (exit 2).
///
/// Printed as `FILE:LINE: message`, or just the message when there is no place to point at
/// (an unreadable file, a `--var` naming no variable).
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
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
