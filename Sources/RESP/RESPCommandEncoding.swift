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
