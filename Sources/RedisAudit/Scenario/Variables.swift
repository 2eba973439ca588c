import RESP

/// The values of a scenario's variables for one run. Generated values are made once, when the
/// scenario is bound, and the same bindings are used on every endpoint.
public struct VariableBindings: Hashable, Sendable {
    /// Variable values by name.
    public var values: [String: String]
    /// The largest text a template may render to with these values (`--max-argument-bytes`):
    /// a value captured while the scenario runs is only known then. Not part of equality.
    public var maxRenderedBytes = Int.max

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public static func == (lhs: VariableBindings, rhs: VariableBindings) -> Bool { lhs.values == rhs.values }
    public func hash(into hasher: inout Hasher) { hasher.combine(values) }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// These bindings plus one more value (used for `${member}` in `members_have_keys`).
    public func adding(_ name: String, _ value: String) -> VariableBindings {
        var copy = self
        copy.values[name] = value
        return copy
    }

    /// Parses `--var` arguments of the form `name=value` (the value may contain `=` and be empty).
    /// A later setting of the same name replaces an earlier one.
    public static func parseOverrides(_ settings: [String]) throws(InputError) -> [String: String] {
        var result: [String: String] = [:]
        for setting in settings {
            guard let eq = setting.firstIndex(of: "=") else {
                throw InputError("--var \(setting): expected name=value")
            }
            let name = String(setting[..<eq])
            guard Template.isVariableName(name) else {
                throw InputError(
                    "--var \(setting): '\(name)' is not a variable name (letters, digits and _, not starting with a digit)")
            }
            result[name] = String(setting[setting.index(after: eq)...])
        }
        return result
    }
}

// MARK: - Templates

extension Template {
    /// One piece of a template: literal text or a variable reference.
    enum Piece: Hashable, Sendable {
        case literal(String)
        case variable(String)
    }

    /// The name that `members_have_keys` binds to each member of the set.
    public static let memberVariable = "member"

    /// True for a valid variable name: ASCII letters, digits and `_`, not starting with a digit.
    public static func isVariableName(_ name: String) -> Bool {
        func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard let first = name.utf8.first, isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) }
    }

    /// Splits the template into literal text and `${name}` references.
    /// `$${` is an escape for a literal `${`; any other `${` must be a well-formed reference.
    /// Lone braces (`{user123}`, a Redis hash tag) and lone `$` are literal text.
    func pieces() throws(InputError) -> [Piece] { try parsed.get() }

    static func split(_ raw: String) throws(InputError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        let scalars = Array(raw.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "$", i + 1 < scalars.count {
                if scalars[i + 1] == "$", i + 2 < scalars.count, scalars[i + 2] == "{" {
                    literal += "${"
                    i += 3
                    continue
                }
                if scalars[i + 1] == "{" {
                    var j = i + 2
                    var name = ""
                    while j < scalars.count, scalars[j] != "}" {
                        name.unicodeScalars.append(scalars[j])
                        j += 1
                    }
                    guard j < scalars.count else {
                        throw InputError(
                            "unterminated variable reference '${\(name)' in \"\(raw)\" (write $${ for a literal ${)")
                    }
                    guard Template.isVariableName(name) else {
                        throw InputError(
                            "malformed variable reference '${\(name)}' in \"\(raw)\": expected ${name} with letters, digits and _"
                        )
                    }
                    if !literal.isEmpty {
                        pieces.append(.literal(literal))
                        literal = ""
                    }
                    pieces.append(.variable(name))
                    i = j + 1
                    continue
                }
            }
            literal.unicodeScalars.append(c)
            i += 1
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    /// The names of the variables the template references, in order of first use.
    public func references() throws(InputError) -> [String] {
        var seen: [String] = []
        for case .variable(let name) in try pieces() where !seen.contains(name) {
            seen.append(name)
        }
        return seen
    }

    /// True when the template is plain text with no `${...}` reference.
    public var isLiteral: Bool {
        guard let pieces = try? pieces() else { return false }
        return pieces.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// The text with every `${name}` replaced by its value.
    /// Throws when a referenced variable has no value (the loader rules this out for loaded scenarios).
    public func render(_ bindings: VariableBindings) throws(InputError) -> String {
        let pieces = try pieces()
        if pieces.count == 1, case .literal(let text) = pieces[0] { return text }
        var out = ""
        for piece in pieces {
            let text: String
            switch piece {
            case .literal(let literal): text = literal
            case .variable(let name):
                guard let value = bindings[name] else {
                    throw InputError("undefined variable ${\(name)} in \"\(raw)\"")
                }
                text = value
            }
            // Checked before appending: a value captured at run time is refused, not built.
            guard text.utf8.count <= bindings.maxRenderedBytes - out.utf8.count else {
                throw InputError(
                    "an argument expands to more than --max-argument-bytes (\(bindings.maxRenderedBytes)) with this run's values")
            }
            out += text
        }
        return out
    }

    /// `render(_:)` as UTF-8 bytes, ready to send.
    public func renderBytes(_ bindings: VariableBindings) throws(InputError) -> [UInt8] {
        Array(try render(bindings).utf8)
    }
}

extension CommandTemplate {
    /// The command with its variables filled in.
    public func render(_ bindings: VariableBindings) throws(InputError) -> RESPCommand {
        var arguments: [[UInt8]] = []
        arguments.reserveCapacity(self.arguments.count)
        for template in self.arguments {
            do {
                arguments.append(try template.renderBytes(bindings))
            } catch {
                throw InputError(error.message, at: location)
            }
        }
        return RESPCommand(arguments: arguments)
    }
}

// MARK: - Binding a scenario's variables

extension Scenario {
    /// The names of the scenario's variables, in file order.
    public var variableNames: [String] { variables.map(\.name) }

    /// Gives every variable its value for one run: an override if there is one, else the literal
    /// (which may use variables defined before it), else a generated value drawn from `generator`.
    /// Throws when an override names a variable the scenario does not define.
    public func bind(
        overrides: [String: String] = [:], using generator: inout some RandomNumberGenerator
    ) throws(InputError) -> VariableBindings {
        let names = Set(variableNames)
        if let unknown = overrides.keys.sorted().first(where: { !names.contains($0) }) {
            let defined = variableNames.isEmpty ? "none" : variableNames.joined(separator: ", ")
            throw InputError(
                "cannot set variable '\(unknown)': scenario '\(name)' does not define it (its variables: \(defined))")
        }
        // Sizes first: a value past the limits is refused before it is built.
        _ = try ScenarioBounds.variableSizes(self, overrides: overrides, limits: limits)
        var bindings = VariableBindings()
        bindings.maxRenderedBytes = limits.maxArgumentBytes
        for variable in variables {
            if let value = overrides[variable.name] {
                bindings[variable.name] = value
                continue
            }
            switch variable.value {
            case .literal(let text):
                do {
                    bindings[variable.name] = try Template(text).render(bindings)
                } catch {
                    throw InputError(error.message, at: variable.location)
                }
            case .random(let kind, let length):
                bindings[variable.name] = RandomValue.make(kind, length: length, using: &generator)
            }
        }
        try ScenarioBounds.checkSteps(self, bindings: bindings, limits: limits)
        // Invariant bounds that are variables must be whole numbers with this run's values.
        for invariant in invariants {
            let bounds: [Bound?]
            switch invariant.check {
            case .value(_, let min, let max), .tally(_, let min, let max): bounds = [min, max]
            default: bounds = []
            }
            for case let bound? in bounds {
                do {
                    _ = try bound.value(bindings)
                } catch {
                    throw InputError(error.message, at: invariant.location)
                }
            }
        }
        return bindings
    }

    /// `bind(overrides:using:)` with the system's random number generator.
    public func bind(overrides: [String: String] = [:]) throws(InputError) -> VariableBindings {
        var generator = SystemRandomNumberGenerator()
        return try bind(overrides: overrides, using: &generator)
    }
}

/// Generated variable values.
public enum RandomValue {
    /// Length of a UUID in its text form.
    public static let uuidLength = 36

    /// A value of the given kind: `length` lowercase hex digits, or a version 4 UUID
    /// (lowercase, 8-4-4-4-12; `length` is ignored).
    public static func make(_ kind: VariableDefinition.RandomKind, length: Int, using generator: inout some RandomNumberGenerator)
        -> String
    {
        switch kind {
        case .hex:
            return hex(count: length, using: &generator)
        case .uuid:
            var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
            bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
            let digits = bytes.map { byte -> String in
                let h = String(byte, radix: 16)
                return h.count == 1 ? "0" + h : h
            }.joined()
            let d = Array(digits)
            return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(d[$0]) }.joined(separator: "-")
        }
    }

    static func hex(count: Int, using generator: inout some RandomNumberGenerator) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(count)
        for _ in 0..<max(count, 0) {
            out.append(digits[Int.random(in: 0..<16, using: &generator)])
        }
        return out
    }
}
