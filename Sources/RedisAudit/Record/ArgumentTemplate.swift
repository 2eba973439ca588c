import Foundation

/// Writes a captured argument as scenario template text: the inferred variables substituted,
/// `${` escaped, and with `--redact-values` every recorded byte left over replaced by a value of
/// the same shape (a number of as many digits, `<redacted:N bytes>`), keeping a key's word
/// segments (`rt`, `sess`) and a JSON document's structure.
extension ParameterInference {
    /// A piece of an argument after substitution.
    private enum Piece {
        case literal([UInt8])
        case variable(String)
    }

    /// The template text of `argument`, whose role in its command is `role`.
    func template(_ argument: [UInt8], role: ArgumentRole) -> String {
        switch role {
        case .name, .keyword, .ttl, .scriptBody:
            return Self.escape(argument)
        case .key:
            return write(substitute(argument[...]), redactLiterals: false)
        case .value:
            if let json = JSONText(argument) { return jsonTemplate(json) }
            if redact, Double(String(decoding: argument, as: UTF8.self)) != nil {
                return Self.sameShapeNumber(argument)
            }
            return write(substitute(argument[...]), redactLiterals: redact)
        }
    }

    /// A JSON argument: structure kept, each string value substituted (and redacted), numbers
    /// redacted to the same shape.
    private func jsonTemplate(_ json: JSONText) -> String {
        var out = ""
        var cursor = 0
        for token in json.tokens {
            out += Self.escape(json.bytes[cursor..<token.range.lowerBound])
            let text = json.bytes[token.range]
            if token.isString {
                out += write(substitute(text), redactLiterals: redact)
            } else {
                out += redact ? Self.sameShapeNumber(Array(text)) : Self.escape(text)
            }
            cursor = token.range.upperBound
        }
        return out + Self.escape(json.bytes[cursor...])
    }

    /// Splits text into literals and the variables whose recorded values appear in it, each
    /// bounded by something other than a letter or digit (`user123` is not found in `user1234`).
    private func substitute(_ text: ArraySlice<UInt8>) -> [Piece] {
        let candidates = variables.map { (Array($0.recorded.utf8), $0.name) }.sorted { $0.0.count > $1.0.count }
        func isWordByte(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        var i = text.startIndex
        outer: while i < text.endIndex {
            // After a `$` a reference would read as the escape `$${`: the value stays literal there.
            if i == text.startIndex || (!isWordByte(text[i - 1]) && text[i - 1] != 0x24) {
                for (value, name) in candidates where !value.isEmpty && text.endIndex - i >= value.count {
                    let end = i + value.count
                    guard text[i..<end].elementsEqual(value), end == text.endIndex || !isWordByte(text[end]) else { continue }
                    if !literal.isEmpty { pieces.append(.literal(literal)) }
                    literal = []
                    pieces.append(.variable(name))
                    i = end
                    continue outer
                }
            }
            literal.append(text[i])
            i += 1
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    /// The pieces as template text; with `redactLiterals`, a literal with a letter or digit in it
    /// becomes `<redacted:N bytes>` (punctuation between variables stays).
    private func write(_ pieces: [Piece], redactLiterals: Bool) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .variable(let name): out += "${\(name)}"
            case .literal(let bytes):
                let hasWord = bytes.contains { b in
                    (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b >= 0x80
                }
                out += redactLiterals && hasWord ? "<redacted:\(bytes.count) bytes>" : Self.escape(bytes[...])
            }
        }
        return out
    }

    /// A number of the same shape that is not the recorded one: the first digit 1 (2 when the
    /// recorded number is already so), every other digit 0, sign and point where they were.
    static func sameShapeNumber(_ bytes: [UInt8]) -> String {
        func shaped(_ lead: UInt8) -> [UInt8] {
            var first = true
            return bytes.map { b in
                guard (0x30...0x39).contains(b) else { return b }
                defer { first = false }
                return first ? lead : 0x30
            }
        }
        var result = shaped(0x31)
        if result == bytes { result = shaped(0x32) }
        return String(decoding: result, as: UTF8.self)
    }

    /// Literal text for a template: a `${` is written `$${`.
    static func escape(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "${", with: "$${")
    }
}
