/// The named placeholders a variable key segment is replaced by.
public enum SegmentClass: UInt8, Sendable, CaseIterable {
    /// Kept as written.
    case literal = 0
    /// Digits only: `123`.
    case int
    /// Letters and digits together: `user123`, `hash1`, `a1b2c3`.
    case id
    /// `8-4-4-4-12` hex digits.
    case uuid
    /// Hex digits, at least 8 with letters and digits mixed, or at least 16.
    case hash
    /// Base64 or base64url text of at least 16 characters mixing upper case, lower case and digits.
    case base64
    /// `local@domain.tld`.
    case email
    /// `2026-12-01` or `20261201`, optionally with a `THH` hour.
    case date
    /// Bytes that are not printable text, or a segment longer than ``KeyPatternInference/longSegment``.
    case blob
    /// A high-cardinality literal: one of many different words at the same place.
    case name

    /// How the placeholder reads in a pattern.
    public var placeholder: String {
        switch self {
        case .literal: return ""
        case .int: return "<int>"
        case .id: return "<id>"
        case .uuid: return "<uuid>"
        case .hash: return "<hash>"
        case .base64: return "<b64>"
        case .email: return "<email>"
        case .date: return "<date>"
        case .blob: return "<blob>"
        case .name: return "<name>"
        }
    }
}

/// One piece of a key after splitting: a literal or a placeholder, hash-tag braces around it,
/// and the separator that follows it (0 at the end of the key).
///
/// ```
///   rt:{user123}:9f2c41d0aa77e0b3
///   ├──┘├───────┘├──────────────┘
///   "rt" ':'   {<id>} ':'   <hash> end
/// ```
public struct KeyToken: Hashable, Sendable {
    public var kind: SegmentClass
    /// Bit 0: an opening `{` before it; bit 1: a closing `}` after it.
    public var braces: UInt8
    /// The separator byte after it, or 0 when the key ends here.
    public var separator: UInt8
    /// The literal bytes (empty for placeholders).
    public var literal: [UInt8]

    public init(kind: SegmentClass, braces: UInt8 = 0, separator: UInt8 = 0, literal: [UInt8] = []) {
        self.kind = kind
        self.braces = braces
        self.separator = separator
        self.literal = kind == .literal ? literal : []
    }

    /// The token as it reads in a pattern; literal bytes escaped so they can never look like a
    /// placeholder (`<`, `>` and `\\` get a backslash, other bytes outside printable ASCII `\\xNN`).
    public var rendered: String {
        var out = ""
        if braces & 1 != 0 { out += "{" }
        if kind == .literal {
            out += KeyPatternInference.escape(literal)
        } else {
            out += kind.placeholder
        }
        if braces & 2 != 0 { out += "}" }
        if separator != 0 { out += KeyPatternInference.escape([separator]) }
        return out
    }
}

/// Splits keys into tokens and recognises variable segments, working on bytes.
///
/// - Primary separators `:` `/` `|` split a key into segments; a segment that is wholly a
///   UUID, hash, base64 text, email, date, number or id becomes one placeholder.
/// - Otherwise `.` and `-` split it further where both sides are non-empty (`user-profile`,
///   `v1.json`), and each part is classified on its own.
/// - A `{` at the start or `}` at the end of a segment (a hash tag) is kept around whatever
///   the segment becomes: `{user123}` -> `{<id>}`.
/// - High-cardinality literals (`sess:alice`, `sess:bob`, ...) are folded into `<name>` by
///   ``KeyspaceIndex``, which sees all keys.
public enum KeyPatternInference {
    /// Literal segments longer than this become `<blob>`.
    public static let longSegment = 64
    /// Keys with more segments than this fold the rest into one `<blob>` token.
    public static let maxTokens = 24

    @inline(__always)
    static func isPrimarySeparator(_ b: UInt8) -> Bool { b == 0x3A || b == 0x2F || b == 0x7C }  // : / |

    @inline(__always)
    static func isSecondarySeparator(_ b: UInt8) -> Bool { b == 0x2E || b == 0x2D }  // . -

    /// Calls `body` for each token of the key, in order; `literal` is the token's byte range in
    /// the key when it is a literal. Allocates nothing.
    @inline(__always)
    public static func forEachToken(
        in key: UnsafeBufferPointer<UInt8>,
        _ body: (_ kind: SegmentClass, _ braces: UInt8, _ separator: UInt8, _ literal: Range<Int>) -> Void
    ) {
        let n = key.count
        var start = 0
        var emitted = 0
        if n == 0 {
            body(.literal, 0, 0, 0..<0)
            return
        }
        while start <= n {
            var end = start
            while end < n && !isPrimarySeparator(key[end]) { end += 1 }
            let separator: UInt8 = end < n ? key[end] : 0
            if emitted == maxTokens - 1 && end < n {
                // Too many segments: the rest of the key is one blob.
                body(.blob, 0, 0, 0..<0)
                return
            }
            var lo = start
            var hi = end
            var braces: UInt8 = 0
            if hi - lo >= 1 && key[lo] == 0x7B { braces |= 1; lo += 1 }  // {
            if hi - lo >= 1 && key[hi - 1] == 0x7D { braces |= 2; hi -= 1 }  // }
            let whole = classify(key, lo..<hi, whole: true)
            if whole != .literal {
                body(whole, braces, separator, lo..<hi)
                emitted += 1
            } else {
                // Secondary split on '.' and '-' between non-empty parts; each part keeps its own braces.
                var partStart = start
                var i = start + 1
                while i < end - 1 {
                    if isSecondarySeparator(key[i]) && i > partStart {
                        emitPart(key, partStart..<i, separator: key[i], body)
                        emitted += 1
                        partStart = i + 1
                        if emitted == maxTokens - 1 {
                            body(.blob, 0, 0, 0..<0)
                            return
                        }
                    }
                    i += 1
                }
                emitPart(key, partStart..<end, separator: separator, body)
                emitted += 1
            }
            if end >= n { return }
            start = end + 1
            if start == n {
                // A trailing separator: one empty segment after it.
                body(.literal, 0, 0, n..<n)
                return
            }
        }
    }

    /// One part of a segment split on `.` or `-`: braces at its edges peeled off, the rest classified.
    @inline(__always)
    private static func emitPart(
        _ key: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, separator: UInt8,
        _ body: (_ kind: SegmentClass, _ braces: UInt8, _ separator: UInt8, _ literal: Range<Int>) -> Void
    ) {
        var lo = range.lowerBound
        var hi = range.upperBound
        var braces: UInt8 = 0
        if hi - lo >= 1 && key[lo] == 0x7B { braces |= 1; lo += 1 }
        if hi - lo >= 1 && key[hi - 1] == 0x7D { braces |= 2; hi -= 1 }
        body(classify(key, lo..<hi, whole: false), braces, separator, lo..<hi)
    }

    /// The tokens of a key, for tests and reports (the scan uses ``forEachToken(in:_:)``).
    public static func tokens(of key: [UInt8]) -> [KeyToken] {
        var result: [KeyToken] = []
        key.withUnsafeBufferPointer { buffer in
            forEachToken(in: buffer) { kind, braces, separator, range in
                result.append(KeyToken(kind: kind, braces: braces, separator: separator, literal: Array(buffer[range])))
            }
        }
        return result
    }

    /// The pattern of one key on its own (without high-cardinality folding).
    public static func pattern(of key: [UInt8]) -> String {
        tokens(of: key).map(\.rendered).joined()
    }

    /// What the bytes in `range` are. `whole` is true for a full segment between primary
    /// separators, where emails, dates and base64 text (which contain `.` or `-`) are recognised.
    static func classify(_ key: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, whole: Bool) -> SegmentClass {
        let count = range.count
        if count == 0 { return .literal }
        var digits = 0, lowerHex = 0, upperHex = 0, lower = 0, upper = 0, dashes = 0, dots = 0, ats = 0
        var b64Other = 0, other = 0, unprintable = 0
        for i in range {
            let b = key[i]
            switch b {
            case 0x30...0x39: digits += 1
            case 0x61...0x66: lowerHex += 1; lower += 1
            case 0x67...0x7A: lower += 1
            case 0x41...0x46: upperHex += 1; upper += 1
            case 0x47...0x5A: upper += 1
            case 0x2D: dashes += 1
            case 0x2E: dots += 1
            case 0x40: ats += 1
            case 0x5F, 0x2B, 0x3D: b64Other += 1  // _ + =
            case 0x20...0x7E: other += 1
            default:
                // Bytes >= 0x80 may be UTF-8 text; control bytes are binary.
                if b < 0x20 || b == 0x7F { unprintable += 1 } else { other += 1 }
            }
        }
        if unprintable > 0 { return .blob }
        let letters = lower + upper
        let hexLetters = lowerHex + upperHex
        if digits == count { return isCompactDate(key, range) ? .date : .int }
        if whole {
            if count == 36 && dashes == 4 && digits + hexLetters == 32 && isUUID(key, range) { return .uuid }
            if ats == 1 && dots >= 1 && other == 0 && isEmail(key, range) { return .email }
            if isISODate(key, range) { return .date }
            if count >= 16 && other == 0 && ats == 0 && upper > 0 && lower > 0 && digits > 0
                && digits + letters + b64Other + dashes == count
            {
                return .base64
            }
        }
        if dashes == 0 && dots == 0 && ats == 0 && other == 0 && b64Other == 0 {
            if digits + hexLetters == count && (count >= 16 || (count >= 8 && digits > 0)) && (lowerHex == 0 || upperHex == 0) {
                return .hash
            }
            if digits > 0 && letters > 0 && count >= 4 { return .id }
        }
        if count > longSegment { return .blob }
        return .literal
    }

    private static func isUUID(_ key: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let base = range.lowerBound
        for offset in [8, 13, 18, 23] where key[base + offset] != 0x2D { return false }
        return true
    }

    private static func isEmail(_ key: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard let at = range.first(where: { key[$0] == 0x40 }), at > range.lowerBound else { return false }
        let domain = (at + 1)..<range.upperBound
        guard domain.count >= 3, let lastDot = domain.last(where: { key[$0] == 0x2E }) else { return false }
        return lastDot > domain.lowerBound && lastDot < range.upperBound - 1
    }

    /// `YYYYMMDD` with a plausible year, month and day.
    private static func isCompactDate(_ key: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.count == 8 else { return false }
        let b = range.lowerBound
        return plausibleDate(key, year: b, month: b + 4, day: b + 6)
    }

    /// `YYYY-MM-DD`, optionally followed by `THH` (the rest of a timestamp is split off by `:`).
    private static func isISODate(_ key: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let b = range.lowerBound
        guard range.count == 10 || range.count == 13 else { return false }
        guard key[b + 4] == 0x2D, key[b + 7] == 0x2D else { return false }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !(0x30...0x39).contains(key[b + i]) { return false }
        if range.count == 13 {
            guard key[b + 10] == 0x54 || key[b + 10] == 0x20, (0x30...0x39).contains(key[b + 11]),
                (0x30...0x39).contains(key[b + 12])
            else { return false }
        }
        return plausibleDate(key, year: b, month: b + 5, day: b + 8)
    }

    private static func plausibleDate(_ key: UnsafeBufferPointer<UInt8>, year: Int, month: Int, day: Int) -> Bool {
        func number(_ at: Int, _ length: Int) -> Int? {
            var value = 0
            for i in at..<(at + length) {
                let b = key[i]
                guard (0x30...0x39).contains(b) else { return nil }
                value = value * 10 + Int(b - 0x30)
            }
            return value
        }
        guard let y = number(year, 4), let m = number(month, 2), let d = number(day, 2) else { return false }
        return (1970...2199).contains(y) && (1...12).contains(m) && (1...31).contains(d)
    }

    /// Bytes as they read in a report: printable ASCII as is except `<`, `>` and `\\`
    /// (backslashed), valid UTF-8 text as is, anything else `\\xNN`.
    public static func escape(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x80, let (scalar, length) = decodeUTF8(bytes, at: i) {
                out.unicodeScalars.append(scalar)
                i += length
                continue
            }
            switch b {
            case 0x3C, 0x3E, 0x5C: out += "\\" + String(UnicodeScalar(b))
            case 0x20...0x7E: out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let hex = String(b, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
            i += 1
        }
        return out
    }

    /// A whole key as it reads in a report, shortened past `limit` bytes.
    public static func display(_ key: [UInt8], limit: Int = 120) -> String {
        guard key.count > limit else { return escape(key) }
        return escape(Array(key.prefix(limit))) + "…(\(key.count) bytes)"
    }

    private static func decodeUTF8(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = bytes[i]
        let length: Int
        if b0 & 0xE0 == 0xC0 {
            length = 2
        } else if b0 & 0xF0 == 0xE0 {
            length = 3
        } else if b0 & 0xF8 == 0xF0 {
            length = 4
        } else {
            return nil
        }
        guard i + length <= bytes.count else { return nil }
        var decoder = UTF8()
        var iterator = bytes[i..<(i + length)].makeIterator()
        if case .scalarValue(let scalar) = decoder.decode(&iterator), scalar.value >= 0xA0 { return (scalar, length) }
        return nil
    }
}
