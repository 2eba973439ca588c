import NIOCore

/// An incremental RESP2 reply parser backed by hiredis's `redisReader`.
///
/// Bytes go in as they arrive, in pieces of any size; complete replies come out in order:
///
///     feed:   +-------------+---------------------------+-------------+
///             | +OK\r\n:4   | 2\r\n*2\r\n$1\r\na\r\n$   | -1\r\n      |
///             +-------------+---------------------------+-------------+
///     next(): +-------------+---------------------------+-------------+
///             | "OK", nil   | 42, nil                   | [a, $-1]    |
///             +-------------+---------------------------+-------------+
///
/// `next()` returns nil while the reply in progress is incomplete. A protocol error is sticky:
/// every later `next()` throws it again and fed bytes are dropped, until `reset()` starts over
/// with a fresh hiredis reader. Not thread-safe: use one reader from one place (a channel).
public final class RESPReader {
    private var hiredis = Hiredis()
    private var failure: RESPDecodingError?

    /// An empty reader.
    public init() {}

    /// Appends received bytes; hiredis copies them, so the buffer may be reused right away.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard self.failure == nil else { return }
        do throws(RESPDecodingError) {
            try self.hiredis.feed(bytes)
        } catch {
            self.failure = error
        }
    }

    /// Appends received bytes.
    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.feed($0) }
    }

    /// Appends the buffer's readable bytes, leaving its reader index alone.
    public func feed(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.feed($0) }
    }

    /// The next complete reply, or nil until enough bytes have been fed.
    public func next() throws(RESPDecodingError) -> RESPValue? {
        if let failure = self.failure { throw failure }
        do throws(RESPDecodingError) {
            return try self.hiredis.nextReply()
        } catch {
            self.failure = error
            throw error
        }
    }

    /// Forgets buffered bytes, any half-read reply and any error: the reader is as new.
    public func reset() {
        self.hiredis = Hiredis()
        self.failure = nil
    }

    /// True when fed bytes or a half-read reply are waiting for more input.
    public var hasPartialReply: Bool {
        self.failure == nil && self.hiredis.hasPartialReply
    }

    /// The first bytes (at most 32) fed but not yet parsed, for reports about a cut-off reply.
    public var unparsedPrefix: [UInt8] {
        self.failure == nil ? self.hiredis.unparsedPrefix : []
    }
}

@available(*, unavailable, message: "RESPReader keeps parser state; use it from one place only")
extension RESPReader: Sendable {}

/// Why bytes could not be read as RESP replies.
public enum RESPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not RESP2: hiredis's (or this module's) message, and the bytes where it
    /// gave up (up to 32; for errors hiredis finds itself, the input from where parsing resumed).
    case protocolError(message: String, bytes: [UInt8])
    /// Arrays nested more than 8 deep: hiredis 0.14.1 keeps a fixed stack of 9 read tasks and
    /// refuses an array header at depth 8 ("depth > 7", counting the outermost array as depth 0).
    case nestingTooDeep
    /// The input ended (or the decoder was removed) in the middle of a reply; carries the first
    /// unparsed bytes, which may be empty when only array elements are missing.
    case truncated(bytes: [UInt8])
    /// hiredis failed for a reason other than the input, such as running out of memory.
    case readerFailure(message: String)

    /// A one-line explanation, with the offending bytes escaped like redis-cli does.
    public var description: String {
        switch self {
        case .protocolError(let message, let bytes):
            return "RESP protocol error: \(message) (at \(RESPValue.quoted(bytes)))"
        case .nestingTooDeep:
            return "RESP protocol error: arrays nested more than 8 deep, which hiredis does not support"
        case .truncated(let bytes):
            return "RESP reply cut off before its end (unparsed: \(RESPValue.quoted(bytes)))"
        case .readerFailure(let message):
            return "hiredis reader failed: \(message)"
        }
    }
}
