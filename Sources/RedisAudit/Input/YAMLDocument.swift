import Foundation
import Yams

/// Every YAML file the tool reads (scenarios, the config file, baselines, fault plans), read as
/// nodes that remember their lines, so every error it gives says `FILE:LINE: what is wrong`.
///
/// ```
///   path ─▶ InputFile.read ─▶ YAMLExpansion.check ─▶ compose ─▶ YAMLDocument ─▶ string/flag/integer/...
///          (size, UTF-8)      (aliases, weight)                  (one rule for each kind of value)
/// ```
///
/// Values are read by where they stand, one rule for each kind everywhere:
/// - a flag is `true`/`false`, also `yes`/`no` and `on`/`off`, in any case (`flagValue`);
/// - a whole number is decimal digits with an optional sign, in 64 bits (`wholeNumber`);
/// - a number is decimal, with an optional fraction and exponent, and finite (`decimalNumber`);
/// - a text is a scalar as written (`604800` stays `604800`); a plain empty value or `~` has none.
struct YAMLDocument {
    /// The name used in errors.
    let file: String
    /// The document's root; nil for an empty file.
    let root: Node?

    /// Reads and parses `path` under `limits`; `what` names the file in the error when it
    /// cannot be read.
    static func load(
        contentsOf path: String, what: String, limits: InputLimits = .defaults
    ) throws(InputError) -> YAMLDocument {
        try parse(InputFile.read(path, what: what, limits: limits), file: path, limits: limits)
    }

    /// Parses YAML text, refusing (before it is composed) a document whose aliases expand past
    /// the limits.
    static func parse(_ yaml: String, file: String, limits: InputLimits = .defaults) throws(InputError) -> YAMLDocument {
        try YAMLExpansion.check(yaml, file: file, limits: limits)
        do {
            return YAMLDocument(file: file, root: try Yams.compose(yaml: yaml))
        } catch let error as YamlError {
            throw yamlError(error, yaml: yaml, file: file)
        } catch {
            throw InputError("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1))
        }
    }

    /// A Yams error as `FILE:LINE: invalid YAML: problem`.
    static func yamlError(_ error: YamlError, yaml: String, file: String) -> InputError {
        func located(_ message: String, _ line: Int) -> InputError {
            InputError("invalid YAML: " + message, at: SourceLocation(file: file, line: max(line, 1)))
        }
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(withContext(problem, context), mark.line)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { yaml.prefix($0).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } } ?? 1
            return located(problem, line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located("duplicate key \(keys)", context.mark.line)
        default:
            return located("\(error)", 1)
        }
    }

    func location(_ node: Node?) -> SourceLocation { SourceLocation(file: file, line: max(node?.mark?.line ?? 1, 1)) }

    func error(_ message: String, at node: Node?) -> InputError { InputError(message, at: location(node)) }

    // MARK: Rules

    /// The one boolean rule: `true`, `yes`, `on` and `false`, `no`, `off`, in any case (YAML
    /// 1.1's words, which Yams also resolves); nil for anything else.
    static func flagValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// The one whole-number rule: decimal digits with an optional sign, within 64 bits (no
    /// `0x10`, `1_000` or `1e3`); nil for anything else.
    static func wholeNumber(_ text: String) -> Int64? { Int64(text) }

    /// The one number rule: a whole number or a decimal fraction, with an optional exponent
    /// (`0.5`, `2`, `1e-3`), finite; nil for anything else (`inf`, `nan`, `0x1p3`).
    static func decimalNumber(_ text: String) -> Double? {
        let digits = text.drop { $0 == "+" || $0 == "-" }
        guard text.count - digits.count <= 1, let first = digits.first, first.isASCII,
            first.isNumber || first == ".",
            digits.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }),
            let value = Double(text), value.isFinite
        else { return nil }
        return value
    }

    // MARK: Nodes

    /// The entries of a mapping node, in file order. With `accepted`, a key outside it is an
    /// error that lists what is accepted (and names `what` the key is in, when given); without,
    /// any key goes (`vars:`).
    func mapping(
        _ node: Node?, accepted: [String]? = nil, what: String?
    ) throws(InputError) -> [(key: String, keyNode: Node, value: Node)] {
        guard let node, let mapping = node.mapping else {
            let keys = accepted.map { " (keys: \($0.joined(separator: ", ")))" } ?? " (key: value)"
            throw error("\(what ?? "it") must be a mapping\(keys)", at: node)
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (key, value) in mapping {
            // YAMLExpansion refuses a list or mapping as a key before the document is composed.
            let name = key.string ?? "?"
            if let accepted, !accepted.contains(name) {
                let place = what.map { " in \($0)" } ?? ""
                throw error("unknown key '\(name)'\(place) (accepted: \(accepted.joined(separator: ", ")))", at: key)
            }
            entries.append((name, key, value))
        }
        return entries
    }

    /// The items of a list node.
    func sequence(_ node: Node, _ what: String) throws(InputError) -> [Node] {
        guard let sequence = node.sequence else { throw error("\(what) must be a list", at: node) }
        return Array(sequence)
    }

    /// A scalar as text, as written (`604800` stays `604800`); a plain empty value or `~` is an
    /// error, as is a list or mapping.
    func string(_ node: Node, _ what: String) throws(InputError) -> String {
        guard let scalar = node.scalar else { throw error("\(what) must be a single value, not a list or mapping", at: node) }
        if scalar.style == .plain || scalar.style == .any, scalar.string.isEmpty || scalar.string == "~" {
            throw error("\(what) has no value", at: node)
        }
        return scalar.string
    }

    /// A list of scalars, or one scalar as a list of one.
    func strings(_ node: Node, _ what: String) throws(InputError) -> [String] {
        if node.scalar != nil { return [try string(node, what)] }
        guard let sequence = node.sequence else { throw error("\(what) must be a list of values", at: node) }
        var out: [String] = []
        for item in sequence { out.append(try string(item, what)) }
        return out
    }

    /// A flag, by `flagValue`'s rule.
    func flag(_ node: Node, _ what: String) throws(InputError) -> Bool {
        let text = try string(node, what)
        guard let value = Self.flagValue(text) else { throw error("\(what) is true or false, not '\(text)'", at: node) }
        return value
    }

    /// A whole number by `wholeNumber`'s rule, within `range` when one is given.
    func integer(_ node: Node, _ what: String, in range: ClosedRange<Int64>? = nil) throws(InputError) -> Int64 {
        let text = try string(node, what)
        guard let value = Self.wholeNumber(text), range?.contains(value) ?? true else {
            let bounds = range.map { " \(Self.describe($0))" } ?? ""
            throw error("\(what) must be a whole number\(bounds), got '\(text)'", at: node)
        }
        return value
    }

    /// A whole number that fits an `Int`, within `range`.
    func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) throws(InputError) -> Int {
        Int(try integer(node, what, in: Int64(range.lowerBound)...Int64(range.upperBound)))
    }

    /// A number by `decimalNumber`'s rule, within `range`.
    func number(_ node: Node, _ what: String, in range: ClosedRange<Double>) throws(InputError) -> Double {
        let text = try string(node, what)
        guard let value = Self.decimalNumber(text), range.contains(value) else {
            throw error(
                "\(what) must be a number from \(Self.shown(range.lowerBound)) to \(Self.shown(range.upperBound)), got '\(text)'",
                at: node)
        }
        return value
    }

    /// `from 1 to 100`, or `from 1 up` when there is no upper bound to speak of.
    static func describe(_ range: ClosedRange<Int64>) -> String {
        range.upperBound >= Int64(Int32.max) ? "from \(range.lowerBound) up" : "from \(range.lowerBound) to \(range.upperBound)"
    }

    static func shown(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    /// A `YYYY-MM-DD` date, at midnight UTC.
    func date(_ node: Node, _ what: String) throws(InputError) -> Date {
        let text = try string(node, what)
        guard let date = CalendarDate.parse(text) else {
            throw error("\(what) must be a date written YYYY-MM-DD, got '\(text)'", at: node)
        }
        return date
    }
}

/// Dates as the baseline writes them: `YYYY-MM-DD`, in UTC.
public enum CalendarDate {
    private static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// Midnight UTC of the day, or nil for anything but a real `YYYY-MM-DD` day.
    public static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components), format(date) == text else { return nil }
        return date
    }

    public static func format(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(c.year ?? 0)-\(two(c.month ?? 0))-\(two(c.day ?? 0))"
    }
}
