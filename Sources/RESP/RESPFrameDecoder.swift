/// Decodes one whole frame (its length known from `RESPFrameScanner`) into the value a RESP2
/// connection would have received for it, so that what a RESP3 client saw can be replayed and
/// checked over RESP2.
///
/// ```
///   RESP3                    RESP2 shape
///   %2 (map)            ─▶   *4  (key, value, key, value: HGETALL's flat array)
///   ~2 (set), >2 (push) ─▶   *2
///   ,1.5 (double)       ─▶   $3 "1.5"        (1) big number ─▶ bulk string
///   #t / #f (boolean)   ─▶   :1 / :0         =  verbatim    ─▶ bulk string without "txt:"
///   _ (null)            ─▶   $-1             |  attributes  ─▶ dropped, the value kept
/// ```
///
/// hiredis 0.14 reads RESP2 only; this decoder is pure Swift and is used off the hot path (a
/// recording decodes its frames once the recording ends). A request frame (an array of bulk
/// strings) decodes as an array of bulk strings.
public enum RESPFrameDecoder {
    /// The frame at the start of `bytes` as a RESP2-shaped value, or nil when it is not one
    /// whole, well-formed frame start.
    public static func value(_ bytes: UnsafeRawBufferPointer) -> RESPValue? {
        var position = 0
        return value(bytes, at: &position, depth: 0)
    }

    /// The value of `bytes` (a whole frame).
    public static func value(_ bytes: [UInt8]) -> RESPValue? {
        bytes.withUnsafeBytes { value($0) }
    }

    /// The arguments of a whole request frame: a multibulk request, or an inline line split on
    /// spaces; nil when it is neither.
    public static func arguments(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]]? {
        guard let first = bytes.first else { return nil }
        if first == UInt8(ascii: "*") {
            // `*0`, `*-1` and any negative count are a request without a command, as Redis reads them.
            if let end = lineEnd(bytes, from: 1), let count = Int(String(decoding: bytes[1..<end], as: UTF8.self)), count <= 0 {
                return []
            }
            guard case .array(let elements) = value(bytes) else { return nil }
            var arguments: [[UInt8]] = []
            arguments.reserveCapacity(elements.count)
            for element in elements {
                guard case .bulkString(let argument) = element else { return nil }
                arguments.append(argument)
            }
            return arguments
        }
        var arguments: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                if !current.isEmpty { arguments.append(current) }
                current = []
            default:
                current.append(byte)
            }
        }
        if !current.isEmpty { arguments.append(current) }
        return arguments
    }

    /// Deeper nesting than this is refused (a recording never holds such a reply).
    public static let maximumDepth = 64

    private static func value(_ bytes: UnsafeRawBufferPointer, at position: inout Int, depth: Int) -> RESPValue? {
        guard depth <= maximumDepth, position < bytes.count else { return nil }
        let type = bytes[position]
        guard let end = lineEnd(bytes, from: position + 1) else { return nil }
        let line = Array(bytes[(position + 1)..<end])
        position = end + 2
        switch type {
        case UInt8(ascii: "+"): return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"), UInt8(ascii: "!"):
            if type == UInt8(ascii: "!") {
                guard let payload = payload(bytes, length: line, at: &position) else { return nil }
                return .error(String(decoding: payload, as: UTF8.self))
            }
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            // An integer line that is no integer (no server sends one; the scanner only frames it)
            // is kept as its bytes.
            guard let number = Int64(String(decoding: line, as: UTF8.self)) else { return .bulkString(line) }
            return .integer(number)
        case UInt8(ascii: ","), UInt8(ascii: "("):
            return .bulkString(line)
        case UInt8(ascii: "#"):
            return .integer(line == [UInt8(ascii: "t")] ? 1 : 0)
        case UInt8(ascii: "_"):
            return .null
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            // A negative length (`-1`, also written `-01`) is the null bulk string.
            if let length = Int(String(decoding: line, as: UTF8.self)), length < 0 { return .null }
            guard let payload = payload(bytes, length: line, at: &position) else { return nil }
            // A verbatim string starts with its format: `txt:` or `mkd:`.
            if type == UInt8(ascii: "="), payload.count >= 4, payload[3] == UInt8(ascii: ":") {
                return .bulkString(Array(payload[4...]))
            }
            return .bulkString(payload)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            guard let count = Int(String(decoding: line, as: UTF8.self)), count <= RESPFrameScanner.maximumAggregateCount
            else { return nil }
            // A negative count (`-1`, also written `-01`) is the null array.
            if count < 0 { return type == UInt8(ascii: "*") ? .nullArray : .null }
            let elements = type == UInt8(ascii: "%") || type == UInt8(ascii: "|") ? 2 * count : count
            var values: [RESPValue] = []
            values.reserveCapacity(min(elements, 1024))
            for _ in 0..<elements {
                guard let element = value(bytes, at: &position, depth: depth + 1) else { return nil }
                values.append(element)
            }
            // Attributes describe the value that follows them; RESP2 has no place for them.
            if type == UInt8(ascii: "|") { return value(bytes, at: &position, depth: depth + 1) }
            return .array(values)
        default:
            return nil
        }
    }

    /// The payload of a bulk value whose header line gave `length`; moves past it and its CRLF.
    private static func payload(_ bytes: UnsafeRawBufferPointer, length: [UInt8], at position: inout Int) -> [UInt8]? {
        guard let count = Int(String(decoding: length, as: UTF8.self)), count >= 0, position + count + 2 <= bytes.count
        else { return nil }
        let payload = Array(bytes[position..<(position + count)])
        position += count + 2
        return payload
    }

    /// The index of the CR of the first CRLF at or after `start`.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }
}
