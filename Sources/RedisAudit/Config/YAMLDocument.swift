import Foundation
import Yams

/// A YAML file read as nodes that remember their lines, so every error it gives says
/// `FILE:LINE: what is wrong` (the baseline and the config file read through it).
struct YAMLDocument {
    /// The name used in errors.
    let file: String
    /// The document's root; nil for an empty file.
    let root: Node?

    /// Reads and parses `path`; `what` names the file in the error when it cannot be read.
    static func load(
        contentsOf path: String, what: String, limits: InputLimits = .defaults
    ) throws(ScenarioError) -> YAMLDocument {
        try parse(InputFile.read(path, what: what, limits: limits), file: path, limits: limits)
    }

    /// Parses YAML text, refusing (before it is composed) a document whose aliases expand past
    /// the limits.
    static func parse(_ yaml: String, file: String, limits: InputLimits = .defaults) throws(ScenarioError) -> YAMLDocument {
        try YAMLExpansion.check(yaml, file: file, limits: limits)
        do {
            return YAMLDocument(file: file, root: try Yams.compose(yaml: yaml))
        } catch let error as YamlError {
            throw ScenarioLoader.yamlError(error, yaml: yaml, file: file)
        } catch {
            throw ScenarioError("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1))
        }
    }

    func location(_ node: Node?) -> SourceLocation { SourceLocation(file: file, line: max(node?.mark?.line ?? 1, 1)) }

    func error(_ message: String, at node: Node?) -> ScenarioError { ScenarioError(message, at: location(node)) }

    /// The entries of a mapping node, in file order. With `accepted`, a key outside it is an
    /// error that lists what is accepted (and names `what` the key is in, when given); without,
    /// any key goes (`vars:`).
    func mapping(
        _ node: Node?, accepted: [String]?, what: String?
    ) throws(ScenarioError) -> [(key: String, keyNode: Node, value: Node)] {
        guard let node, let mapping = node.mapping else {
            let keys = accepted.map { " (keys: \($0.joined(separator: ", ")))" } ?? " of name: value"
            throw error("\(what ?? "it") must be a mapping\(keys)", at: node)
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (key, value) in mapping {
            let name = key.string ?? "?"
            if let accepted, !accepted.contains(name) {
                let place = what.map { " in \($0)" } ?? ""
                throw error("unknown key '\(name)'\(place) (accepted: \(accepted.joined(separator: ", ")))", at: key)
            }
            entries.append((name, key, value))
        }
        return entries
    }

    /// A scalar as text (numbers and booleans as written).
    func string(_ node: Node, _ what: String) throws(ScenarioError) -> String {
        guard let scalar = node.scalar else { throw error("\(what) must be a single value, not a list or mapping", at: node) }
        return scalar.string
    }

    /// A list of scalars, or one scalar as a list of one.
    func strings(_ node: Node, _ what: String) throws(ScenarioError) -> [String] {
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else { throw error("\(what) must be a list of values", at: node) }
        var out: [String] = []
        for item in sequence { out.append(try string(item, what)) }
        return out
    }

    /// A `YYYY-MM-DD` date, at midnight UTC.
    func date(_ node: Node, _ what: String) throws(ScenarioError) -> Date {
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
