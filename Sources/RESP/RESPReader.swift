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
    /// How large a reply, and how much unparsed input, the reader accepts.
    public let limits: RESPReplyLimits

    /// An empty reader.
    public init(limits: RESPReplyLimits = RESPReplyLimits()) {
        self.limits = limits
        self.hiredis.maxReplyBytes = limits.maxReplyBytes
    }

    /// Appends received bytes; hiredis copies them, so the buffer may be reused right away.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard self.failure == nil else { return }
        do throws(RESPDecodingError) {
            try self.hiredis.feed(bytes)
            try self.checkLimits()
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
            if let reply = try self.hiredis.nextReply() { return reply }
            // Waiting for more: the header of the string under way is read by now.
            try self.checkLimits()
            return nil
        } catch {
            self.failure = error
            throw error
        }
    }

    /// Throws when the reply under way announces, or the input buffered adds up to, more than
    /// the limits allow: checked as bytes arrive, so an oversized reply is refused after at
    /// most one read past its header, never buffered whole.
    private func checkLimits() throws(RESPDecodingError) {
        let announced = self.hiredis.pendingBulkLength ?? 0
        let (reply, overflow) = self.hiredis.builtByteCount.addingReportingOverflow(announced)
        if overflow || reply > self.limits.maxReplyBytes {
            throw .replyTooLarge(bytes: overflow ? Int.max : reply, limit: self.limits.maxReplyBytes)
        }
        let buffered = self.hiredis.bufferedByteCount
        if buffered > self.limits.maxBufferedBytes {
            throw .bufferTooLarge(bytes: buffered, limit: self.limits.maxBufferedBytes)
        }
    }

    /// Forgets buffered bytes, any half-read reply and any error: the reader is as new.
    public func reset() {
        self.hiredis = Hiredis()
        self.hiredis.maxReplyBytes = self.limits.maxReplyBytes
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
    /// A reply announced (or its strings added up to) more bytes than `--max-reply-bytes`.
    case replyTooLarge(bytes: Int, limit: Int)
    /// More unparsed input piled up than `--max-buffered-bytes` allows.
    case bufferTooLarge(bytes: Int, limit: Int)

    /// True for the two limits, which close the connection without being a protocol error.
    public var isLimit: Bool {
        switch self {
        case .replyTooLarge, .bufferTooLarge: return true
        default: return false
        }
    }

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
        case .replyTooLarge(let bytes, let limit):
            return "a reply of \(bytes) bytes exceeds --max-reply-bytes (\(limit)); the connection was closed"
        case .bufferTooLarge(let bytes, let limit):
            return
                "\(bytes) bytes of replies waiting to be read exceed --max-buffered-bytes (\(limit)); the connection was closed"
        }
    }
}

/// How much a connection accepts from its peer: the largest reply (by default the server's own
/// limit for a string, `proto-max-bulk-len`), and the most bytes waiting to be parsed at once.
public struct RESPReplyLimits: Hashable, Sendable {
    /// The largest reply accepted: a bulk string's announced length, or an array's strings together.
    public var maxReplyBytes: Int
    /// The most received bytes held before they are parsed (a reply under way, or replies
    /// pipelined behind it).
    public var maxBufferedBytes: Int

    /// Redis's `proto-max-bulk-len` default: 512 MiB.
    public static let defaultMaxReplyBytes = 512 << 20

    /// Limits of `maxReplyBytes`, and of twice that (at least 1 MiB) buffered unless said:
    /// one reply and the next arriving behind it.
    public init(maxReplyBytes: Int = Self.defaultMaxReplyBytes, maxBufferedBytes: Int? = nil) {
        self.maxReplyBytes = maxReplyBytes
        let (twice, overflow) = maxReplyBytes.multipliedReportingOverflow(by: 2)
        self.maxBufferedBytes = maxBufferedBytes ?? max(overflow ? Int.max : twice, 1 << 20)
    }
}
