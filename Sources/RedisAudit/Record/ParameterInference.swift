import Foundation

/// A literal of a captured flow that the imported scenario writes as a variable, and why.
public struct InferredVariable: Hashable, Sendable {
    /// The variable's name (`userId`, `rt_1`).
    public var name: String
    /// The text the capture had (never written with `--redact-values`).
    public var recorded: String
    /// A literal, or a generator for a value that looks random (or was redacted).
    public var value: VariableDefinition.Value
    /// How many times it appears in the flow's keys and arguments.
    public var occurrences: Int
    /// Why it became a variable and how it was named, for the file's header comment.
    public var reason: String
}

/// Turns a flow's recurring literals (a user id in several keys) and random-looking values
/// (hex, base64, UUID tokens) into variables, and writes each argument as a template with them.
///
/// Candidates are the variable segments of keys and arguments as ``KeyPatternInference`` sees
/// them (`rt:user123:9f2c...` has `user123` and `9f2c...`) and the string values of JSON
/// arguments. A candidate becomes a variable when it looks random (always a generator) or appears
/// more than once (a literal); with `redact`, every candidate does, as a generator of its length.
/// Names come from a JSON field the value appears under (`"userId":"user123"` -> `userId`),
/// else from the key prefix and segment position (`rt:user123` -> `rt_1`), else from the command
/// and argument position (`sadd_2`). TTLs, option words and script bodies are never touched.
public struct ParameterInference: Sendable {
    /// The variables, in order of first appearance.
    public let variables: [InferredVariable]
    /// True when recorded values must not be written.
    public let redact: Bool

    /// A value seen at one place, with the name that place suggests.
    private struct Candidate {
        var value: String
        var kind: SegmentClass
        var name: String
        var field: String?
        var place: String
    }

    /// Shannon entropy, in bits per character, above which a hex, base64 or UUID value of at
    /// least ``randomMinimumLength`` characters is taken for a random token.
    static let randomEntropy = 3.0
    static let randomMinimumLength = 16

    public init(steps: [DraftStep], redact: Bool = false) {
        self.redact = redact
        var order: [String] = []
        var seen: [String: [Candidate]] = [:]
        for (arguments, roles) in Self.slots(steps) {
            let command = String(decoding: arguments.first ?? [], as: UTF8.self).lowercased()
            for (index, argument) in arguments.enumerated() {
                let role = roles[index]
                guard role == .key || role == .value else { continue }
                for candidate in Self.candidates(in: argument, role: role, command: command, index: index, redact: redact) {
                    if seen[candidate.value] == nil { order.append(candidate.value) }
                    seen[candidate.value, default: []].append(candidate)
                }
            }
        }
        var used: Set<String> = [Template.memberVariable, ConcurrentBlock.clientVariable]
        var variables: [InferredVariable] = []
        for value in order {
            let places = seen[value] ?? []
            guard let first = places.first else { continue }
            let random = Self.looksRandom(value, kind: first.kind)
            guard random || places.count >= 2 || redact else { continue }
            let fieldName = places.first(where: { $0.field != nil })?.field
            var name = Self.identifier(fieldName ?? first.name)
            if used.contains(name) {
                var n = 2
                while used.contains("\(name)_\(n)") { n += 1 }
                name = "\(name)_\(n)"
            }
            used.insert(name)
            let definition: VariableDefinition.Value
            var why: String
            let count = places.count
            let times = count == 1 ? "once" : "\(count) times"
            let whereSeen = Array(Set(places.map(\.place))).sorted().prefix(3).joined(separator: ", ")
            switch (first.kind, random) {
            case (.uuid, true):
                definition = .random(.uuid, length: RandomValue.uuidLength)
                why = "a UUID (\(times), in \(whereSeen)): generated per run"
            case (.hash, true):
                definition = .random(.hex, length: value.count)
                why = "a random-looking hex value of \(value.count) digits (\(times), in \(whereSeen)): generated per run"
            case (.base64, true):
                definition = .random(.hex, length: value.count)
                why =
                    "a random-looking base64 value of \(value.count) characters (\(times), in \(whereSeen)): "
                    + "generated per run as hex of the same length (there is no base64 generator)"
            default:
                if redact {
                    definition = .random(.hex, length: value.utf8.count)
                    why = "a \(value.utf8.count)-byte value (\(times), in \(whereSeen)): redacted, hex of the same length"
                } else {
                    definition = .literal(value)
                    why = "recurs \(times), in \(whereSeen)"
                }
            }
            why += fieldName != nil ? "; named after the JSON field" : "; named after where it first appears"
            variables.append(
                InferredVariable(name: name, recorded: value, value: definition, occurrences: count, reason: why))
        }
        self.variables = variables
    }

    /// Every command of the steps with its arguments' roles (a script's keys and arguments as keys and values).
    static func slots(_ steps: [DraftStep]) -> [([[UInt8]], [ArgumentRole])] {
        var slots: [([[UInt8]], [ArgumentRole])] = []
        for step in steps {
            switch step {
            case .command(let c): slots.append((c.arguments, ArgumentRole.roles(of: c.arguments)))
            case .transaction(let cs), .pipeline(let cs): slots += cs.map { ($0.arguments, ArgumentRole.roles(of: $0.arguments)) }
            case .script(let body, let keys, let args, _):
                slots.append(
                    (
                        [Array("EVAL".utf8), body] + keys + args,
                        [.name, .scriptBody] + keys.map { _ in .key } + args.map { _ in .value }
                    ))
            case .comment: break
            }
        }
        return slots
    }

    /// The candidates of one argument: the variable segments of a key or value, or the string
    /// values of a JSON document.
    private static func candidates(in argument: [UInt8], role: ArgumentRole, command: String, index: Int, redact: Bool)
        -> [Candidate]
    {
        if let json = JSONText(argument) {
            var found: [Candidate] = []
            for token in json.tokens where token.isString {
                let text = Array(argument[token.range])
                guard !text.contains(0x5C) else { continue }  // an escaped string is matched nowhere else
                found += segments(
                    of: text, isKey: false, field: token.field, fallback: "\(command)_\(index)",
                    place: "a JSON argument of \(command.uppercased())",
                    redact: redact)
            }
            return found
        }
        let place =
            role == .key ? "key \(KeyPatternInference.pattern(of: argument))" : "\(command.uppercased()) argument \(index)"
        return segments(
            of: argument, isKey: role == .key, field: nil, fallback: "\(command)_\(index)", place: place, redact: redact)
    }

    /// The variable segments of a text.
    private static func segments(
        of text: [UInt8], isKey: Bool, field: String?, fallback: String, place: String, redact: Bool
    ) -> [Candidate] {
        var tokens: [(SegmentClass, Range<Int>)] = []
        text.withUnsafeBufferPointer { buffer in
            KeyPatternInference.forEachToken(in: buffer) { kind, _, _, range in tokens.append((kind, range)) }
        }
        let strong: Set<SegmentClass> = [.id, .uuid, .hash, .base64, .email, .date, .name]
        func value(_ range: Range<Int>) -> String { String(decoding: text[range], as: UTF8.self) }
        if tokens.count == 1, let (kind, range) = tokens.first {
            guard !range.isEmpty else { return [] }
            let isCandidate =
                strong.contains(kind) || (kind == .int && (isKey || field != nil))
                || (redact && field != nil && kind == .literal)
            guard isCandidate else { return [] }
            return [Candidate(value: value(range), kind: kind, name: field ?? fallback, field: field, place: place)]
        }
        let prefix = tokens.first.map { $0.0 == .literal ? value($0.1) : "key" } ?? "key"
        var found: [Candidate] = []
        for (position, (kind, range)) in tokens.enumerated() where !range.isEmpty && (strong.contains(kind) || kind == .int) {
            found.append(Candidate(value: value(range), kind: kind, name: "\(prefix)_\(position)", field: nil, place: place))
        }
        return found
    }

    /// True for a hex, base64 or UUID value long and varied enough to be a random token.
    static func looksRandom(_ value: String, kind: SegmentClass) -> Bool {
        guard [.hash, .base64, .uuid].contains(kind), value.count >= randomMinimumLength else { return false }
        var counts: [Character: Int] = [:]
        for c in value where c != "-" { counts[c, default: 0] += 1 }
        let total = Double(counts.values.reduce(0, +))
        let entropy = counts.values.reduce(0.0) { sum, n in
            let p = Double(n) / total
            return sum - p * log2(p)
        }
        return entropy >= randomEntropy
    }

    /// A variable name from a hint: letters, digits and `_`, not starting with a digit.
    static func identifier(_ hint: String) -> String {
        var name = String(
            hint.unicodeScalars.map { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") ? Character($0) : "_" }
        )
        if name.isEmpty { name = "value" }
        if let first = name.unicodeScalars.first, CharacterSet.decimalDigits.contains(first) { name = "v_" + name }
        return name
    }
}
