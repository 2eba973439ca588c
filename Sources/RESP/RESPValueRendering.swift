extension RESPValue {
    /// Bulk strings longer than this many bytes are cut in ``redisCLIDescription``.
    public static let renderedBulkLimit = 200

    /// The reply as redis-cli shows it on a terminal, for reports; stable across runs.
    ///
    ///     OK                          a simple string, as is
    ///     (error) ERR unknown command
    ///     (integer) 42
    ///     "caf\xc3\xa9\r\n"           bulk: quoted, escaped like redis-cli
    ///     "aaaa..."...(1000 bytes)    bulk over 200 bytes: the first 200, then the full length
    ///     (nil)  (nil array)  (empty array)
    ///     1) "a"                      arrays: numbered lines, indices right-aligned,
    ///     2) 1) (integer) 1           nested arrays indented under their index
    ///        2) (nil)
    ///
    /// There is no trailing newline.
    public var redisCLIDescription: String {
        var out = ""
        self.render(prefix: "", into: &out)
        if out.hasSuffix("\n") { out.removeLast() }
        return out
    }

    /// Renders like redis-cli's `cliFormatReplyTTY`: every value ends with a newline, and
    /// elements after the first of an array start with `prefix`.
    private func render(prefix: String, into out: inout String) {
        switch self {
        case .simpleString(let text):
            out += text + "\n"
        case .error(let text):
            out += "(error) " + text + "\n"
        case .integer(let number):
            out += "(integer) \(number)\n"
        case .bulkString(let bytes) where bytes.count > Self.renderedBulkLimit:
            out += Self.quoted(bytes.prefix(Self.renderedBulkLimit)) + "...(\(bytes.count) bytes)\n"
        case .bulkString(let bytes):
            out += Self.quoted(bytes) + "\n"
        case .null:
            out += "(nil)\n"
        case .nullArray:
            out += "(nil array)\n"
        case .array(let elements) where elements.isEmpty:
            out += "(empty array)\n"
        case .array(let elements):
            let width = String(elements.count).count
            let nestedPrefix = prefix + String(repeating: " ", count: width + 2)
            for (offset, element) in elements.enumerated() {
                let index = String(offset + 1)
                if offset > 0 { out += prefix }
                out += String(repeating: " ", count: width - index.count) + index + ") "
                element.render(prefix: nestedPrefix, into: &out)
            }
        }
    }

    /// Bytes in double quotes, escaped like redis-cli's `sdscatrepr`: `\\`, `\"`, `\n`, `\r`,
    /// `\t`, `\a`, `\b`, printable ASCII as is, every other byte as `\xNN`.
    static func quoted(_ bytes: some Sequence<UInt8>) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out + "\""
    }
}
