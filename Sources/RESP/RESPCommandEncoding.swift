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
        // One capacity check and one uniqueness check per command, then plain stores.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            var at = 0
            @inline(__always) func put(_ byte: UInt8) {
                raw[at] = byte
                at += 1
            }
            @inline(__always) func putDecimal(_ value: Int) {
                var divisor = 1
                while divisor <= value / 10 { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    put(UInt8(truncatingIfNeeded: 0x30 + rest / divisor))
                    rest %= divisor
                    divisor /= 10
                }
            }
            put(UInt8(ascii: "*"))
            putDecimal(arguments.count)
            put(0x0D)
            put(0x0A)
            for argument in arguments {
                put(UInt8(ascii: "$"))
                putDecimal(argument.count)
                put(0x0D)
                put(0x0A)
                argument.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress, bytes.count > 0 {
                        (raw.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count)
                    }
                }
                at += argument.count
                put(0x0D)
                put(0x0A)
            }
            return at
        }
    }

    /// The request bytes of a command's fixed leading arguments, for ``write(head:last:into:)``:
    /// `*<count>\r\n` then each argument, where `count` includes one more argument to come.
    public static func head(_ arguments: [[UInt8]]) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        // Encode with a placeholder last argument, then cut it off.
        try? write(RESPCommand(arguments: arguments + [[]]), into: &buffer)
        let bytes = Array(buffer.readableBytesView)
        return Array(bytes.dropLast(6))  // "$0\r\n\r\n"
    }

    /// Appends a command made of a pre-encoded head (``head(_:)``) and one last argument:
    /// `TYPE key`, `PTTL key` for millions of keys without building a command for each.
    @inline(__always)
    public static func write(head: [UInt8], last argument: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: head.count + argument.count + 24) { raw in
            var at = 0
            head.withUnsafeBytes { raw.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            at += head.count
            raw[at] = UInt8(ascii: "$")
            at += 1
            var divisor = 1
            while divisor <= argument.count / 10 { divisor *= 10 }
            var rest = argument.count
            while divisor > 0 {
                raw[at] = UInt8(truncatingIfNeeded: 0x30 + rest / divisor)
                at += 1
                rest %= divisor
                divisor /= 10
            }
            raw[at] = 0x0D
            raw[at + 1] = 0x0A
            at += 2
            argument.withUnsafeBytes { bytes in
                if bytes.count > 0 { (raw.baseAddress! + at).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            }
            at += argument.count
            raw[at] = 0x0D
            raw[at + 1] = 0x0A
            return at + 2
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
