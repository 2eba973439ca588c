import NIOCore

/// Finds where RESP frames end in a byte stream without decoding them.
///
/// A proxy forwards bytes untouched; it only needs to know where a request or a reply ends
/// (and, for requests, the command name). Building a `RESPValue` per command through hiredis
/// would allocate on the forwarding hot path, so this scanner is pure Swift and only walks
/// headers: bulk payloads are skipped by their announced length.
///
/// ```
///   "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n$4\r\nPING..."
///    └──────── frame 1: 20 bytes ───────┘└─ incomplete: nil
/// ```
///
/// Replies may be RESP2 or RESP3 (a client may switch with HELLO 3); requests are arrays of
/// bulk strings or inline commands (a line split on spaces), as Redis accepts them.
public enum RESPFrameScanner {
    /// The longest header or inline line accepted (Redis's own inline limit is 64 KiB).
    public static let maximumLineLength = 64 * 1024
    /// The largest bulk string accepted (Redis's `proto-max-bulk-len` default).
    public static let maximumBulkLength = 512 * 1024 * 1024
    /// The most elements an aggregate may announce (Redis caps a request at 1M arguments).
    public static let maximumAggregateCount = 1024 * 1024

    /// The byte length of the first complete reply in `buffer`'s readable bytes, or nil when
    /// more bytes are needed.
    public static func replyLength(
        in buffer: ByteBuffer, maximumBulkLength: Int = Self.maximumBulkLength
    ) throws(RESPFrameError) -> Int? {
        let result: Result<Int?, RESPFrameError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(RESPFrameError) {
                return .success(try replyLength(bytes, maximumBulkLength: maximumBulkLength))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The first complete request in `buffer`'s readable bytes, or nil when more bytes are needed.
    public static func request(
        in buffer: ByteBuffer, maximumBulkLength: Int = Self.maximumBulkLength
    ) throws(RESPFrameError) -> RESPRequestFrame? {
        let result: Result<RESPRequestFrame?, RESPFrameError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(RESPFrameError) {
                return .success(try request(bytes, maximumBulkLength: maximumBulkLength))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The byte length of the first complete reply in `bytes`, or nil when incomplete. A bulk
    /// string announcing more than `maximumBulkLength` is refused at its header, before its
    /// payload arrives, with ``RESPFrameError/announcedLength`` set.
    public static func replyLength(
        _ bytes: UnsafeRawBufferPointer, maximumBulkLength: Int = Self.maximumBulkLength
    ) throws(RESPFrameError) -> Int? {
        var position = 0
        // Values still to scan: an aggregate adds its elements instead of recursing, so deep
        // nesting costs no stack.
        var pending = 1
        while pending > 0 {
            pending -= 1
            guard position < bytes.count else { return nil }
            let type = bytes[position]
            guard let line = try lineEnd(bytes, from: position + 1) else { return nil }
            let next = line + 2
            switch type {
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"),
                UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("):
                position = next
            case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
                let length = try integer(bytes, from: position + 1, to: line)
                if length == -1 && type == UInt8(ascii: "$") {
                    position = next
                    continue
                }
                guard length >= 0 else {
                    throw RESPFrameError("invalid bulk length \(length)", bytes, at: position)
                }
                try checkAnnounced(length, maximumBulkLength, bytes, at: position)
                let end = next + length
                guard end + 2 <= bytes.count else { return nil }
                guard bytes[end] == UInt8(ascii: "\r"), bytes[end + 1] == UInt8(ascii: "\n") else {
                    throw RESPFrameError("bulk string not terminated by CRLF", bytes, at: position)
                }
                position = end + 2
            case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
                let count = try integer(bytes, from: position + 1, to: line)
                position = next
                if count == -1 && type == UInt8(ascii: "*") { continue }
                guard count >= 0, count <= maximumAggregateCount else {
                    throw RESPFrameError("invalid aggregate length \(count)", bytes, at: position)
                }
                switch type {
                case UInt8(ascii: "%"): pending += 2 * count
                // An attribute map is followed by the value it describes.
                case UInt8(ascii: "|"): pending += 2 * count + 1
                default: pending += count
                }
            default:
                throw RESPFrameError("unknown reply type byte", bytes, at: position)
            }
        }
        return position
    }

    /// The first complete request in `bytes`, or nil when incomplete; a bulk string past
    /// `maximumBulkLength` is refused at its header, as in ``replyLength(_:maximumBulkLength:)``.
    public static func request(
        _ bytes: UnsafeRawBufferPointer, maximumBulkLength: Int = Self.maximumBulkLength
    ) throws(RESPFrameError) -> RESPRequestFrame? {
        guard !bytes.isEmpty else { return nil }
        if bytes[0] == UInt8(ascii: "*") {
            return try multibulkRequest(bytes, maximumBulkLength: maximumBulkLength)
        }
        return try inlineRequest(bytes)
    }

    /// `*N\r\n$len\r\narg\r\n...`: every element must be a bulk string.
    private static func multibulkRequest(
        _ bytes: UnsafeRawBufferPointer, maximumBulkLength: Int
    ) throws(RESPFrameError) -> RESPRequestFrame? {
        guard let line = try lineEnd(bytes, from: 1) else { return nil }
        let count = try integer(bytes, from: 1, to: line)
        guard count <= maximumAggregateCount else {
            throw RESPFrameError("invalid multibulk length \(count)", bytes, at: 0)
        }
        var position = line + 2
        // Redis ignores `*0` and `*-1` requests: a frame without a command.
        guard count > 0 else { return RESPRequestFrame(length: position, name: "", argumentCount: 0) }
        var name = ""
        for index in 0..<count {
            guard position < bytes.count else { return nil }
            guard bytes[position] == UInt8(ascii: "$") else {
                throw RESPFrameError("expected '$' in a multibulk request", bytes, at: position)
            }
            guard let header = try lineEnd(bytes, from: position + 1) else { return nil }
            let length = try integer(bytes, from: position + 1, to: header)
            guard length >= 0 else {
                throw RESPFrameError("invalid bulk length \(length)", bytes, at: position)
            }
            try checkAnnounced(length, maximumBulkLength, bytes, at: position)
            let start = header + 2
            let end = start + length
            guard end + 2 <= bytes.count else { return nil }
            guard bytes[end] == UInt8(ascii: "\r"), bytes[end + 1] == UInt8(ascii: "\n") else {
                throw RESPFrameError("bulk string not terminated by CRLF", bytes, at: position)
            }
            if index == 0 { name = upperCased(bytes, start, end) }
            position = end + 2
        }
        return RESPRequestFrame(length: position, name: name, argumentCount: count)
    }

    /// A line not starting with `*`, ended by LF (CR optional), arguments split on spaces.
    private static func inlineRequest(_ bytes: UnsafeRawBufferPointer) throws(RESPFrameError) -> RESPRequestFrame? {
        let limit = min(bytes.count, maximumLineLength)
        var newline = -1
        for index in 0..<limit where bytes[index] == UInt8(ascii: "\n") {
            newline = index
            break
        }
        guard newline >= 0 else {
            if bytes.count > maximumLineLength {
                throw RESPFrameError("inline request longer than \(maximumLineLength) bytes", bytes, at: 0)
            }
            return nil
        }
        var end = newline
        if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        var count = 0
        var name = ""
        var index = 0
        while index < end {
            while index < end, isInlineSpace(bytes[index]) { index += 1 }
            guard index < end else { break }
            let start = index
            while index < end, !isInlineSpace(bytes[index]) { index += 1 }
            if count == 0 { name = upperCased(bytes, start, index) }
            count += 1
        }
        return RESPRequestFrame(length: newline + 1, name: name, argumentCount: count)
    }

    /// Refuses a bulk string announcing more than `limit` bytes (never more than Redis's own
    /// `proto-max-bulk-len`).
    private static func checkAnnounced(
        _ length: Int, _ limit: Int, _ bytes: UnsafeRawBufferPointer, at position: Int
    ) throws(RESPFrameError) {
        let limit = min(limit, Self.maximumBulkLength)
        guard length <= limit else {
            var error = RESPFrameError("a bulk string of \(length) bytes exceeds the limit of \(limit)", bytes, at: position)
            error.announcedLength = length
            throw error
        }
    }

    private static func isInlineSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// The index of the CR of the CRLF ending the line that starts at `start`, or nil if absent.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(RESPFrameError) -> Int? {
        var index = start
        let limit = min(bytes.count, start + maximumLineLength)
        while index < limit {
            if bytes[index] == UInt8(ascii: "\r") {
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == UInt8(ascii: "\n") else {
                    throw RESPFrameError("CR not followed by LF", bytes, at: start - 1)
                }
                return index
            }
            if bytes[index] == UInt8(ascii: "\n") {
                throw RESPFrameError("LF without CR", bytes, at: start - 1)
            }
            index += 1
        }
        if bytes.count >= start + maximumLineLength {
            throw RESPFrameError("line longer than \(maximumLineLength) bytes", bytes, at: start - 1)
        }
        return nil
    }

    /// The decimal integer in `bytes[start..<end]`.
    private static func integer(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) throws(RESPFrameError) -> Int {
        var index = start
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < end, end - index <= 18 else {
            throw RESPFrameError("invalid length", bytes, at: start - 1)
        }
        var value = 0
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw RESPFrameError("invalid length", bytes, at: start - 1) }
            value = value * 10 + Int(digit)
            index += 1
        }
        return negative ? -value : value
    }

    /// ASCII upper-casing; names of up to 15 bytes fit in a String without a heap allocation.
    private static func upperCased(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
        String(unsafeUninitializedCapacity: end - start) { output in
            for index in start..<end {
                let byte = bytes[index]
                output[index - start] = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
            }
            return end - start
        }
    }
}

/// One complete client request found by `RESPFrameScanner`.
public struct RESPRequestFrame: Hashable, Sendable {
    /// Bytes from the start of the buffer to the end of the request.
    public var length: Int
    /// The command name, upper-cased (`""` for an empty request, which gets no reply).
    public var name: String
    /// Arguments including the name (0 for an empty request).
    public var argumentCount: Int

    public init(length: Int, name: String, argumentCount: Int) {
        self.length = length
        self.name = name
        self.argumentCount = argumentCount
    }
}

/// Bytes that are not RESP: the reason and the offending bytes (up to 64, from where the
/// broken value starts).
public struct RESPFrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var reason: String
    /// The bytes of the value that could not be framed (at most 64).
    public var bytes: [UInt8]
    /// Set when the bytes are RESP but a bulk string announced more than the limit.
    public var announcedLength: Int?

    public init(reason: String, bytes: [UInt8]) {
        self.reason = reason
        self.bytes = bytes
    }

    init(_ reason: String, _ buffer: UnsafeRawBufferPointer, at offset: Int) {
        let start = max(0, min(offset, buffer.count))
        self.reason = reason
        self.bytes = Array(buffer[start..<min(buffer.count, start + 64)])
    }

    public var description: String {
        let shown = bytes.map { byte -> String in
            switch byte {
            case UInt8(ascii: "\r"): return "\\r"
            case UInt8(ascii: "\n"): return "\\n"
            case 0x20..<0x7f: return String(UnicodeScalar(byte))
            default: return "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
            }
        }.joined()
        return "\(reason) in \"\(shown)\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
