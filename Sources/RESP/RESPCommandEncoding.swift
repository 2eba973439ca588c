import NIOCore

/// Turns a command into the RESP request bytes a Redis server reads, with hiredis's formatter.
///
/// Each argument becomes one bulk string, binary safe; the whole command one array:
///
///     RESPCommand("SET", "k", "v")
///       --> *3\r\n $3\r\nSET\r\n $1\r\nk\r\n $1\r\nv\r\n     (without the spaces)
///
/// An empty command throws ``RESPEncodingError/emptyCommand`` rather than sending `*0\r\n`,
/// which servers silently skip: a client would then wait forever for its reply.
public enum RESPCommandEncoding {
    /// Appends the command's request bytes to `buffer`.
    public static func encode(_ command: RESPCommand, into buffer: inout ByteBuffer) throws(RESPEncodingError) {
        try Hiredis.formatCommand(command.arguments) { bytes in
            _ = buffer.writeBytes(bytes)
        }
    }

    /// The command's request bytes.
    public static func encode(_ command: RESPCommand) throws(RESPEncodingError) -> [UInt8] {
        try Hiredis.formatCommand(command.arguments) { bytes in Array(bytes) }
    }

    /// Appends the command's request bytes to `buffer` without going through C: the same bytes
    /// as ``encode(_:into:)`` (the tests check that), for batches of millions of small commands
    /// where hiredis's `sprintf` per argument shows up in profiles.
    public static func write(_ command: RESPCommand, into buffer: inout ByteBuffer) throws(RESPEncodingError) {
        let arguments = command.arguments
        guard !arguments.isEmpty else { throw .emptyCommand }
        let length = formattedLength(of: arguments)
        guard length <= Int(Int32.max) else { throw .commandTooLarge(byteCount: length) }
        buffer.reserveCapacity(minimumWritableBytes: length)
        buffer.writeInteger(UInt8(ascii: "*"))
        writeDecimal(arguments.count, into: &buffer)
        buffer.writeInteger(UInt16(0x0D0A))
        for argument in arguments {
            buffer.writeInteger(UInt8(ascii: "$"))
            writeDecimal(argument.count, into: &buffer)
            buffer.writeInteger(UInt16(0x0D0A))
            buffer.writeBytes(argument)
            buffer.writeInteger(UInt16(0x0D0A))
        }
    }

    /// A non-negative integer in decimal ASCII.
    @inline(__always)
    private static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 10 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[19 - count] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }

    /// The exact size hiredis will produce for these arguments.
    static func formattedLength(of arguments: [[UInt8]]) -> Int {
        var total = 1 + decimalDigits(arguments.count) + 2  // *<argc>\r\n
        for argument in arguments {
            total += 1 + decimalDigits(argument.count) + 2 + argument.count + 2  // $<len>\r\n<bytes>\r\n
        }
        return total
    }

    private static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }
}

/// Why a command could not be turned into request bytes.
public enum RESPEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The command has no arguments, not even a name.
    case emptyCommand
    /// The request would exceed the 2 GiB hiredis's formatter can count.
    case commandTooLarge(byteCount: Int)
    /// hiredis's formatter failed (it only does when it cannot allocate).
    case formatterFailed

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .emptyCommand:
            return "cannot encode an empty command"
        case .commandTooLarge(let byteCount):
            return "command of \(byteCount) bytes is larger than hiredis can format"
        case .formatterFailed:
            return "hiredis could not format the command"
        }
    }
}
