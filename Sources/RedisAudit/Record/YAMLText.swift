/// Scalars for the YAML the importer writes: quoted so that any text reads back exactly.
enum YAMLText {
    /// Single quotes where the text needs no escape but has `"` or `\`, else double quotes with
    /// escapes for `\`, `"` and every control or line-breaking character.
    static func quoted(_ text: String) -> String {
        let needsEscape = text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || isBreak($0) }
        if !needsEscape, text.contains("\"") || text.contains("\\") {
            return "'" + text.replacingAll("'", with: "''") + "'"
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count == 1 ? "0" : "") + hex
                } else if isBreak(scalar) || scalar.value == 0xFEFF {
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A command name as is when it is a plain word (`SETEX`), else quoted.
    static func plainOrQuoted(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0 == "_" || $0 == ".") }
            && !["y", "n", "yes", "no", "true", "false", "on", "off", "null"].contains(text.lowercased())
        return plain ? text : quoted(text)
    }

    /// Characters YAML reads as line breaks.
    private static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}

extension String {
    /// The text with every `target` replaced.
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
