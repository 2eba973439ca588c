import RESP

/// A command an application sent, as a capture saw it: who sent it, when, and (when the
/// capture has them, as a recording proxy does) the reply; a MONITOR capture has none.
public struct CapturedCommand: Hashable, Sendable {
    /// Seconds since the epoch.
    public var time: Double
    /// The client's address; commands of one address share a connection.
    public var client: String
    /// The command's name and arguments.
    public var arguments: [[UInt8]]
    /// The reply, when the capture recorded it.
    public var reply: RESPValue?
    /// Where the command is in the capture file.
    public var location: SourceLocation
    /// The pipeline it was sent in, when the capture can tell (a recording proxy sees commands
    /// sent before the earlier ones were answered): commands in a row with the same number were
    /// one write of the client's pipeline. nil for a MONITOR capture, which cannot tell.
    public var batch: Int?

    public init(
        time: Double, client: String, arguments: [[UInt8]], reply: RESPValue? = nil, location: SourceLocation,
        batch: Int? = nil
    ) {
        self.time = time
        self.client = client
        self.arguments = arguments
        self.reply = reply
        self.location = location
        self.batch = batch
    }

    /// The command name, upper-cased.
    public var name: String { String(decoding: arguments.first ?? [], as: UTF8.self).uppercased() }

    /// The argument at `index` as text (empty past the end).
    func text(_ index: Int) -> String {
        index < arguments.count ? String(decoding: arguments[index], as: UTF8.self) : ""
    }
}
