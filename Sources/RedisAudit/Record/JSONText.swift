import Foundation

/// The string and number tokens of a JSON argument, found where they are in its text, so a
/// value can be replaced by a variable (or redacted) while the document keeps its structure,
/// field order and spacing.
struct JSONText {
    /// A string or number token: its byte range in the text (a string's without its quotes)
    /// and, for a value directly under an object field, the field's name.
    struct Token {
        var range: Range<Int>
        var isString: Bool
        var field: String?
    }

    let bytes: [UInt8]
    let tokens: [Token]

    /// The tokens of `bytes` when they are a JSON object or array, else nil.
    init?(_ bytes: [UInt8]) {
        guard let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == 0x7B || first == 0x5B,
            (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) != nil
        else { return nil }
        self.bytes = bytes
        var tokens: [Token] = []
        var i = 0
        var lastString: (range: Range<Int>, text: String)?
        var pendingField: String?
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x22:
                var j = i + 1
                while j < bytes.count, bytes[j] != 0x22 { j += bytes[j] == 0x5C ? 2 : 1 }
                let range = (i + 1)..<min(j, bytes.count)
                lastString = (range, String(decoding: bytes[range], as: UTF8.self))
                i = j + 1
                // A string followed by ':' is a field name, else a value.
                var k = i
                while k < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[k]) { k += 1 }
                if k < bytes.count, bytes[k] == 0x3A {
                    pendingField = lastString?.text
                } else {
                    tokens.append(Token(range: range, isString: true, field: pendingField))
                    pendingField = nil
                }
                continue
            case 0x2D, 0x30...0x39:
                var j = i
                while j < bytes.count, (0x30...0x39).contains(bytes[j]) || [0x2D, 0x2B, 0x2E, 0x65, 0x45].contains(bytes[j]) {
                    j += 1
                }
                tokens.append(Token(range: i..<j, isString: false, field: pendingField))
                pendingField = nil
                i = j
                continue
            case 0x7B, 0x5B, 0x74, 0x66, 0x6E:  // { [ true false null: the field's value is not a token
                pendingField = nil
            default: break
            }
            i += 1
        }
        self.tokens = tokens
    }
}
