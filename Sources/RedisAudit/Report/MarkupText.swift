/// Text made safe for the markup reports, JUnit XML and HTML: entities for what would be read as
/// markup, and nothing XML 1.0 cannot carry.
enum MarkupText {
    /// Escapes `&`, `<` and `>` (and in attributes quotes, tabs and line breaks, which an
    /// attribute would otherwise normalise to spaces), and drops what XML 1.0 cannot carry at all:
    /// control characters other than tab, line feed and carriage return, U+FFFE and U+FFFF.
    static func escape(_ value: String, inAttribute: Bool) -> String {
        var out = String.UnicodeScalarView()
        func append(_ entity: String) { out.append(contentsOf: entity.unicodeScalars) }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": append("&amp;")
            case "<": append("&lt;")
            case ">": append("&gt;")
            case "\"" where inAttribute: append("&quot;")
            case "'" where inAttribute: append("&apos;")
            case "\n" where inAttribute: append("&#10;")
            case "\t" where inAttribute: append("&#9;")
            case "\r": append("&#13;")
            default: if isAllowed(scalar) { out.append(scalar) }
            }
        }
        return String(out)
    }

    /// XML 1.0's `Char` production: `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`.
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
