import NIOCore
import RESP

/// One client connection as a recording proxy kept it, once it ended: its requests and
/// replies as bytes, decoded into captured commands on demand.
public struct RecordedConnection: Sendable {
    /// Why recording stopped before the connection ended.
    public enum Stop: Hashable, Sendable {
        /// The recording's memory budget (`--max-memory`) was spent.
        case budgetSpent
        /// The client subscribed or ran MONITOR: replies no longer pair with commands.
        case unpaired(String)
    }

    /// The proxy's number for the connection (1 for its first).
    public var id: Int
    /// The client's `host:port`.
    public var client: String
    /// Seconds since the epoch.
    public var opened: Double
    public var closed: Double
    var requests: ByteBuffer
    var replies: ByteBuffer
    var entries: [ConnectionRecording.Entry]
    public var stopped: Stop?

    /// The client's host (without the port): a retry after a lost connection comes from it.
    public var host: String {
        guard let colon = client.lastIndex(of: ":") else { return client }
        return String(client[..<colon])
    }

    /// How many commands were recorded.
    public var commandCount: Int { entries.count }

    /// How many recorded commands got no reply before the connection ended.
    public var unanswered: Int { entries.count { $0.reply == nil } }

    /// The name the client gave itself with `CLIENT SETNAME` (the last one), if any.
    public var clientName: String? {
        var name: String?
        for entry in entries where entry.name == "CLIENT" {
            guard let arguments = arguments(of: entry), arguments.count == 3,
                String(decoding: arguments[1], as: UTF8.self).uppercased() == "SETNAME"
            else { continue }
            name = String(decoding: arguments[2], as: UTF8.self)
        }
        return name
    }

    /// The recorded commands with their replies (RESP2-shaped, whatever protocol the client
    /// spoke), in order. A command whose arguments were not kept (AUTH) has its name only.
    /// Locations name the connection (`conn 3`) and the command's number in it.
    public var commands: [CapturedCommand] {
        entries.enumerated().map { index, entry in
            let reply = entry.reply.flatMap { range in
                replies.withUnsafeReadableBytes { bytes in
                    RESPFrameDecoder.value(UnsafeRawBufferPointer(rebasing: bytes[range]))
                }
            }
            return CapturedCommand(
                time: entry.time, client: "conn \(id) (\(client))", arguments: arguments(of: entry) ?? [Array(entry.name.utf8)],
                reply: reply, location: SourceLocation(file: "conn \(id)", line: index + 1),
                // Unique over connections: flows by client host mix several connections' commands.
                batch: id << 32 | entry.batch)
        }
    }

    private func arguments(of entry: ConnectionRecording.Entry) -> [[UInt8]]? {
        guard !entry.request.isEmpty else { return nil }
        return requests.withUnsafeReadableBytes { bytes in
            RESPFrameDecoder.arguments(UnsafeRawBufferPointer(rebasing: bytes[entry.request]))
        }
    }
}
