import Foundation
import NIOCore

/// What a recording proxy keeps of one client connection while it lasts: each request's bytes,
/// the time it arrived, the pipeline batch it was sent in, and the reply it got.
///
/// It lives on the session's event loop (no locks) and only copies bytes: frames are decoded
/// once the recording ends (`RecordedConnection.commands`). Memory comes from the recorder's
/// shared budget in chunks; once the budget is spent the connection records nothing more.
///
/// ```
///  request frame ─▶ requests arena + Entry(time, batch)      reply frame ─▶ replies arena, paired
///                   (batch: a new one when nothing was owed)                 with the oldest unanswered
/// ```
final class ConnectionRecording {
    /// One recorded request.
    struct Entry: Sendable {
        /// Where its bytes are in the requests arena (length 0: not kept, as AUTH's).
        var request: Range<Int>
        /// The command name, upper-cased.
        var name: String
        /// Seconds since the epoch.
        var time: Double
        /// The pipeline batch: requests sent while earlier ones were unanswered share one.
        var batch: Int
        /// Where its reply is in the replies arena, once it came.
        var reply: Range<Int>?
        /// True when a fault kept it from the server: no server reply is paired with it.
        var droppedByFault = false
    }

    let recorder: TrafficRecorder
    let id: Int
    /// The client's `host:port`.
    let client: String
    let opened: Double
    private var requests = ByteBuffer()
    private var replies = ByteBuffer()
    private var entries: [Entry] = []
    /// The next entry waiting for its reply.
    private var answered = 0
    private var batch = 0
    /// Bytes this connection may still store before asking the recorder for more.
    private var allowance = 0
    /// Why recording stopped before the connection ended, if it did.
    private var stopped: RecordedConnection.Stop?
    /// True when the last request was recorded (a fault's answer then refers to it).
    private var lastKept = false
    /// When the client's last read arrived: the time of every request in it (one clock read per
    /// read, not per command).
    private var readTime = 0.0

    init(recorder: TrafficRecorder, id: Int, client: String) {
        self.recorder = recorder
        self.id = id
        self.client = client
        self.opened = Date().timeIntervalSince1970
    }

    /// Commands whose arguments are never stored: they carry credentials.
    static func carriesCredentials(_ name: String, argumentCount: Int) -> Bool {
        name == "AUTH" || (name == "HELLO" && argumentCount > 2)
    }

    /// After these the connection's replies no longer pair one to one with its commands.
    static let unpairing: Set<String> = ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"]

    /// The client's bytes just arrived; the requests framed from them follow.
    func read() {
        readTime = Date().timeIntervalSince1970
    }

    /// A request frame of `length` bytes at `index` of `buffer`, named `name`.
    func request(_ buffer: ByteBuffer, at index: Int, length: Int, name: String, argumentCount: Int) {
        lastKept = false
        guard stopped == nil else { return }
        let kept = Self.carriesCredentials(name, argumentCount: argumentCount) ? 0 : length
        guard reserve(kept) else { return }
        skipDropped()
        if answered == entries.count { batch += 1 }
        let start = requests.writerIndex
        if kept > 0, let bytes = buffer.getSlice(at: index, length: length) {
            var bytes = bytes
            requests.writeBuffer(&bytes)
        }
        entries.append(
            Entry(
                request: start..<(start + kept), name: name, time: readTime, batch: batch, reply: nil))
        lastKept = true
        if Self.unpairing.contains(name) { stopped = .unpaired(name) }
    }

    /// Moves past requests a fault kept from the server: no server reply answers them.
    private func skipDropped() {
        while answered < entries.count, entries[answered].droppedByFault { answered += 1 }
    }

    /// The last request recorded never reaches the server: a fault answers it.
    func answeredByProxy() {
        guard lastKept else { return }
        entries[entries.count - 1].droppedByFault = true
    }

    /// A reply frame of `length` bytes at `index` of `buffer`.
    func reply(_ buffer: ByteBuffer, at index: Int, length: Int) {
        skipDropped()
        // A push (RESP3 `>`) answers no command.
        guard answered < entries.count, buffer.getInteger(at: index, as: UInt8.self) != UInt8(ascii: ">"),
            reserve(length), var bytes = buffer.getSlice(at: index, length: length)
        else { return }
        let start = replies.writerIndex
        replies.writeBuffer(&bytes)
        entries[answered].reply = start..<(start + length)
        answered += 1
    }

    /// Takes `bytes` from the allowance, asking the recorder for a chunk when it runs out; false
    /// (and recording stops) when the budget is spent.
    private func reserve(_ bytes: Int) -> Bool {
        if bytes <= allowance {
            allowance -= bytes
            return true
        }
        let granted = recorder.grant(atLeast: bytes - allowance)
        guard granted > 0 else {
            stopped = .budgetSpent
            return false
        }
        allowance += granted - bytes
        return true
    }

    /// The recording as a value, handed to the recorder when the connection ends.
    func finished() -> RecordedConnection {
        RecordedConnection(
            id: id, client: client, opened: opened, closed: Date().timeIntervalSince1970, requests: requests,
            replies: replies, entries: entries, stopped: stopped)
    }
}
