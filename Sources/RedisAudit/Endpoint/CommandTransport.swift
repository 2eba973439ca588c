import RESP

/// The seam a scenario's steps are sent through: a batch of commands in, one outcome per command
/// out, or a transport failure that kept the batch from being sent at all.
///
/// A TCP connection that reopens itself (`ReconnectingConnection`) is the first implementation;
/// anything else that can carry a batch (a cluster router, an HTTP client) plugs in here without
/// touching the step runner.
protocol CommandTransport {
    /// Sends the commands back to back and returns their outcomes in order; a command that got no
    /// reply is a `.failed` outcome, and an endpoint that cannot be reached at all throws.
    mutating func send(_ commands: [RESPCommand]) async throws(EndpointError) -> [CommandOutcome]

    /// Closes whatever the transport holds open; sending again reopens it.
    mutating func close() async

    /// Runs `body` on the connection to each node that holds data, in turn: the server itself,
    /// or every primary of a cluster. Commands that are answered per node (`SCAN`, `DBSIZE`,
    /// `ACL SETUSER`, `SCRIPT LOAD`) go through here.
    mutating func eachNode<T>(_ body: (inout ReconnectingConnection) async throws -> T) async throws -> [T]
}
