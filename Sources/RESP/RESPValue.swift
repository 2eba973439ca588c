/// A RESP2 value as it travels on the wire, with the two kinds of null kept apart.
///
/// hiredis reports `$-1` and `*-1` alike as NIL; the reader in this module tells them
/// apart, because an application may treat "missing string" and "missing array" differently.
public enum RESPValue: Hashable, Sendable {
    /// `+OK\r\n`
    case simpleString(String)
    /// `-ERR message\r\n`: the whole line after the dash.
    case error(String)
    /// `:42\r\n`
    case integer(Int64)
    /// `$3\r\nfoo\r\n`: binary safe.
    case bulkString([UInt8])
    /// `$-1\r\n`
    case null
    /// `*-1\r\n`
    case nullArray
    /// `*2\r\n...`
    case array([RESPValue])
}

extension RESPValue {
    /// A bulk string from UTF-8 text.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// True for `.error`.
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The error's class: its first word (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...), or nil for a non-error.
    public var errorClass: String? {
        guard case .error(let message) = self else { return nil }
        let word = message.prefix { $0 != " " }
        return word.isEmpty ? "ERR" : String(word)
    }

    /// The value as text where it has one (simple and bulk strings, integers).
    public var text: String? {
        switch self {
        case .simpleString(let s): return s
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// The value as an integer: an integer reply, or a string that parses as one.
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulkString, .simpleString: return text.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The elements of an array reply, or nil.
    public var arrayElements: [RESPValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// A short name of the reply's type, as used in reports (`integer`, `bulk`, `array`, ...).
    public var typeName: String {
        switch self {
        case .simpleString: return "status"
        case .error: return "error"
        case .integer: return "integer"
        case .bulkString: return "bulk"
        case .null: return "nil"
        case .nullArray: return "nil-array"
        case .array: return "array"
        }
    }
}
