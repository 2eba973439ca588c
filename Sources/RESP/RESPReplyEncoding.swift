import NIOCore

/// Writes replies as a Redis server sends them, for answering clients with made-up replies.
///
///     .simpleString("OK")          --> +OK\r\n
///     .error("ERR lost")           --> -ERR lost\r\n
///     .integer(1)                  --> :1\r\n
///     .bulk("foo")                 --> $3\r\nfoo\r\n
///     .null / .nullArray           --> $-1\r\n / *-1\r\n
///     .array([.integer(1)])        --> *1\r\n:1\r\n
///
/// A simple string or error is one line on the wire, so CR and LF bytes in its text are written
/// as spaces: the output is always exactly one well-formed reply.
public enum RESPReplyEncoding {
    /// Appends the reply's bytes to `buffer`.
    public static func write(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let text):
            buffer.writeInteger(UInt8(ascii: "+"))
            writeLine(text, into: &buffer)
        case .error(let text):
            buffer.writeInteger(UInt8(ascii: "-"))
            writeLine(text, into: &buffer)
        case .integer(let number):
            buffer.writeString(":\(number)\r\n")
        case .bulkString(let bytes):
            buffer.writeString("$\(bytes.count)\r\n")
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
        case .null:
            buffer.writeStaticString("$-1\r\n")
        case .nullArray:
            buffer.writeStaticString("*-1\r\n")
        case .array(let elements):
            buffer.writeString("*\(elements.count)\r\n")
            for element in elements {
                write(element, into: &buffer)
            }
        }
    }

    /// The reply's bytes.
    public static func bytes(_ value: RESPValue) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        write(value, into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private static func writeLine(_ text: String, into buffer: inout ByteBuffer) {
        for byte in text.utf8 {
            buffer.writeInteger(byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") ? UInt8(ascii: " ") : byte)
        }
        buffer.writeStaticString("\r\n")
    }
}

extension RESPValue {
    /// A reply from the short form typed on a command line.
    ///
    ///     +OK          --> .simpleString("OK")
    ///     -ERR lost    --> .error("ERR lost")
    ///     :1           --> .integer(1)         (`:` followed by anything but an integer is text)
    ///     $-1 or nil   --> .null
    ///     *-1          --> .nullArray
    ///     *0           --> .array([])
    ///     anything else, including "" --> .bulkString of its UTF-8 bytes
    public init(shortForm text: String) {
        switch text {
        case "$-1", "nil":
            self = .null
        case "*-1":
            self = .nullArray
        case "*0":
            self = .array([])
        default:
            if text.hasPrefix("+") {
                self = .simpleString(String(text.dropFirst()))
            } else if text.hasPrefix("-") {
                self = .error(String(text.dropFirst()))
            } else if text.hasPrefix(":"), let number = Int64(text.dropFirst()) {
                self = .integer(number)
            } else {
                self = .bulk(text)
            }
        }
    }
}
