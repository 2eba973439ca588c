import NIOCore

/// One RESP2 or RESP3 reply as a tree that keeps each value's type byte, so a reply can be
/// changed in place and written back in the protocol version it came in.
///
/// ```
///  "*1\r\n%2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n..."  ──parse──▶  .aggregate("*", [.aggregate("%", [.blob("$", "ip"), ...])])
///                                                    ◀──write──
/// ```
///
/// Only the proxy's cluster replies go through it, never the forwarding path.
indirect enum WireValue: Hashable {
    /// A one-line value (`+ - : _ # , (`), and the RESP2 nulls `$-1` and `*-1`.
    case line(type: UInt8, [UInt8])
    /// A length-prefixed value (`$ = !`).
    case blob(type: UInt8, [UInt8])
    /// An aggregate (`* ~ >`, or `%` with its keys and values flattened in order).
    case aggregate(type: UInt8, [WireValue])

    /// How deep a reply may nest before it is refused.
    static let maximumDepth = 32

    /// The value as text, for strings and integers.
    var text: String? {
        switch self {
        case .line(let type, let bytes) where type != UInt8(ascii: "-"): return String(decoding: bytes, as: UTF8.self)
        case .blob(UInt8(ascii: "="), let bytes) where bytes.count >= 4:
            return String(decoding: bytes.dropFirst(4), as: UTF8.self)
        case .blob(UInt8(ascii: "$"), let bytes): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    /// The elements of an aggregate.
    var elements: [WireValue]? {
        if case .aggregate(_, let elements) = self { return elements }
        return nil
    }

    /// A value of the same kind as this one holding `text` instead (a verbatim string keeps its format).
    func replacingText(_ text: String) -> WireValue {
        switch self {
        case .line(let type, _): return .line(type: type, Array(text.utf8))
        case .blob(UInt8(ascii: "="), let bytes) where bytes.count >= 4:
            return .blob(type: UInt8(ascii: "="), Array(bytes.prefix(4)) + Array(text.utf8))
        case .blob(let type, _): return .blob(type: type, Array(text.utf8))
        case .aggregate: return self
        }
    }

    /// Parses one complete reply; nil for bytes that are not one (or nest too deep, or carry attributes).
    static func parse(_ buffer: ByteBuffer) -> WireValue? {
        var buffer = buffer
        guard let value = parse(&buffer, depth: 0), buffer.readableBytes == 0 else { return nil }
        return value
    }

    private static func parse(_ buffer: inout ByteBuffer, depth: Int) -> WireValue? {
        guard depth < maximumDepth, let type = buffer.readInteger(as: UInt8.self), let line = readLine(&buffer) else {
            return nil
        }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "#"),
            UInt8(ascii: ","), UInt8(ascii: "("):
            return .line(type: type, line)
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            guard let length = Int(String(decoding: line, as: UTF8.self)) else { return nil }
            if length == -1 && type == UInt8(ascii: "$") { return .line(type: type, line) }
            guard length >= 0, let bytes = buffer.readBytes(length: length), readLine(&buffer) == [] else { return nil }
            return .blob(type: type, bytes)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"):
            guard let count = Int(String(decoding: line, as: UTF8.self)) else { return nil }
            if count == -1 && type == UInt8(ascii: "*") { return .line(type: type, line) }
            guard count >= 0 else { return nil }
            var elements: [WireValue] = []
            for _ in 0..<(type == UInt8(ascii: "%") ? 2 * count : count) {
                guard let element = parse(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .aggregate(type: type, elements)
        default:
            return nil
        }
    }

    /// The bytes up to the next CRLF, which is consumed.
    private static func readLine(_ buffer: inout ByteBuffer) -> [UInt8]? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")),
            buffer.getInteger(at: end + 1, as: UInt8.self) == UInt8(ascii: "\n")
        else { return nil }
        let line = buffer.readBytes(length: end - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// Writes the value back as RESP.
    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .line(let type, let bytes):
            buffer.writeInteger(type)
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
        case .blob(let type, let bytes):
            buffer.writeInteger(type)
            buffer.writeString("\(bytes.count)\r\n")
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
        case .aggregate(let type, let elements):
            buffer.writeInteger(type)
            buffer.writeString("\(type == UInt8(ascii: "%") ? elements.count / 2 : elements.count)\r\n")
            for element in elements { element.write(into: &buffer) }
        }
    }
}
