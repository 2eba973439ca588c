import NIOCore

/// The first key of a request as a client sent it, for the proxy's events: located by the
/// command table, so no other argument (a value, a password) is ever taken for a key.
enum RequestFirstKey {
    /// Commands whose arguments are never looked at: they carry passwords.
    static let secretBearing: Set<String> = ["AUTH", "HELLO"]

    /// The key, or nil for a command without one, one the table does not know, or AUTH/HELLO.
    /// `frame`: the request's bytes, multibulk or inline.
    static func of(_ frame: ByteBuffer, named name: String) -> [UInt8]? {
        guard !secretBearing.contains(name), let arguments = arguments(frame), arguments.count > 1 else { return nil }
        // Only the start of each argument is needed to find the keys (a keyword, a count).
        let words = arguments.map { String(decoding: $0.prefix(64), as: UTF8.self) }
        guard case .supported(let spec) = CommandTable.lookup(words) else { return nil }
        switch spec.keys {
        case .none, .pattern, .scanMatch: return nil
        default: break
        }
        guard let position = try? CommandTable.keyPositions(of: spec, in: words).first, position < arguments.count else {
            return nil
        }
        return Array(arguments[position])
    }

    /// The arguments of a whole request: `*N\r\n$len\r\nbytes\r\n...`, or an inline line.
    private static func arguments(_ frame: ByteBuffer) -> [ByteBufferView]? {
        var buffer = frame
        guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "*") else {
            guard let line = buffer.readSlice(length: buffer.readableBytes) else { return nil }
            return line.readableBytesView.split {
                $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n")
            }
        }
        buffer.moveReaderIndex(forwardBy: 1)
        guard let count = readNumber(&buffer), count >= 0 else { return nil }
        var arguments: [ByteBufferView] = []
        arguments.reserveCapacity(count)
        for _ in 0..<count {
            guard buffer.readInteger(as: UInt8.self) == UInt8(ascii: "$"), let length = readNumber(&buffer), length >= 0,
                let bytes = buffer.readSlice(length: length)
            else { return nil }
            buffer.moveReaderIndex(forwardBy: min(2, buffer.readableBytes))
            arguments.append(bytes.readableBytesView)
        }
        return arguments
    }

    /// Reads a decimal number up to its CRLF.
    private static func readNumber(_ buffer: inout ByteBuffer) -> Int? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")),
            let text = buffer.readString(length: end - buffer.readerIndex)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: min(2, buffer.readableBytes))
        return Int(text)
    }
}
