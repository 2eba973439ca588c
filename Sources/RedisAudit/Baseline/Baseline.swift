import Foundation
import Yams

/// A checked-in list of accepted findings (`.redisaudit-baseline.yaml`): the gate fails only
/// on what is not in it, and tells what in it no longer happens.
///
/// ```yaml
/// version: 1
/// accepted:
///   - id: RA-3f9c0d2e71
///     command: compare
///     title: "Persistence differs: A saves to disk, B does not"
///     category: server-profile
///     endpoints: [A, B]
///     reason: staging runs with persistence off
///     expires: 2027-03-31
/// ```
public struct Baseline: Sendable, Hashable {
    /// The file format's version.
    public static let formatVersion = 1
    /// The file name the config file and the examples use.
    public static let defaultFileName = ".redisaudit-baseline.yaml"

    public var entries: [BaselineEntry]

    public init(entries: [BaselineEntry]) {
        self.entries = entries
    }

    /// Loads a baseline file, refusing one past `limits`; every error says `FILE:LINE: what`.
    public static func load(contentsOf path: String, limits: InputLimits = .defaults) throws(InputError) -> Baseline {
        try parse(YAMLDocument.load(contentsOf: path, what: "baseline", limits: limits))
    }

    /// Parses baseline YAML; `file` is the name used in errors.
    public static func parse(yaml: String, file: String) throws(InputError) -> Baseline {
        try parse(YAMLDocument.parse(yaml, file: file))
    }

    private static func parse(_ document: YAMLDocument) throws(InputError) -> Baseline {
        var entries: [BaselineEntry] = []
        var seen: [String: Int] = [:]
        // An empty file accepts nothing.
        if document.root == nil { return Baseline(entries: []) }
        for (key, keyNode, value) in try document.mapping(document.root, accepted: ["version", "accepted"], what: "a baseline") {
            switch key {
            case "version":
                guard value.scalar.flatMap({ YAMLDocument.wholeNumber($0.string) }) == Int64(formatVersion) else {
                    throw document.error(
                        "this baseline is version \(value.scalar?.string ?? "?"); this redisaudit reads version \(formatVersion)",
                        at: value)
                }
            default:
                if value.null != nil { continue }
                guard let list = value.sequence else {
                    throw document.error("accepted must be a list of entries, each with an id and a reason", at: keyNode)
                }
                for item in list {
                    let entry = try BaselineEntry(item, in: document)
                    let scopeKey = "\(entry.command ?? "")|\(entry.id)"
                    if let line = seen[scopeKey] {
                        throw document.error("\(entry.id) is already accepted at line \(line)", at: item)
                    }
                    seen[scopeKey] = item.mark?.line ?? 0
                    entries.append(entry)
                }
            }
        }
        return Baseline(entries: entries)
    }

    /// The baseline as YAML, with a header that says how the file is used.
    public func render() -> String {
        var out = [
            "# redisaudit baseline: findings accepted on purpose.",
            "# An accepted finding still appears in reports, marked accepted, and does not fail the run.",
            "# An entry past its `expires` date counts again; an entry that no longer matches is reported as",
            "# resolved, so it can be removed. Give every entry the real reason it is accepted.",
            "version: \(Self.formatVersion)",
        ]
        if entries.isEmpty {
            out.append("accepted: []")
            return out.joined(separator: "\n") + "\n"
        }
        out.append("accepted:")
        for entry in entries {
            out.append("  - id: \(entry.id)")
            if let command = entry.command { out.append("    command: \(command)") }
            if let title = entry.title { out.append("    title: \(Self.quoted(title))") }
            if let category = entry.category { out.append("    category: \(category)") }
            if !entry.endpoints.isEmpty { out.append("    endpoints: [\(entry.endpoints.joined(separator: ", "))]") }
            if let scenario = entry.scenario { out.append("    scenario: \(Self.quoted(scenario))") }
            if let step = entry.step { out.append("    step: \(Self.quoted(step))") }
            out.append("    reason: \(Self.quoted(entry.reason))")
            if let expires = entry.expires { out.append("    expires: \(CalendarDate.format(expires))") }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar (JSON's string escapes are YAML's).
    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
    }
}

/// One accepted finding: its stable id, the scope it was accepted in (command and
/// endpoints), what it was (for the reader), why it is accepted and until when.
public struct BaselineEntry: Sendable, Hashable {
    public var id: String
    /// The subcommand whose report it came from; nil accepts it from any.
    public var command: String?
    public var title: String?
    public var category: String?
    /// The endpoints it was accepted on; a finding that now also concerns another is new.
    public var endpoints: [String]
    public var scenario: String?
    public var step: String?
    public var reason: String
    /// The last day the acceptance holds (UTC); nil for no end.
    public var expires: Date?

    public init(
        id: String, command: String?, title: String?, category: String?, endpoints: [String], scenario: String?,
        step: String?, reason: String, expires: Date?
    ) {
        self.id = id
        self.command = command
        self.title = title
        self.category = category
        self.endpoints = endpoints
        self.scenario = scenario
        self.step = step
        self.reason = reason
        self.expires = expires
    }

    /// The entry that accepts `finding` as it occurred in a `command` report.
    public init(_ finding: Finding, command: String, reason: String, expires: Date?) {
        self.init(
            id: finding.id, command: command, title: finding.title, category: finding.category.rawValue,
            endpoints: finding.endpoints, scenario: finding.scenario, step: finding.step, reason: reason, expires: expires)
    }

    static let keys = ["id", "command", "title", "category", "endpoints", "scenario", "step", "reason", "expires"]

    init(_ node: Node, in document: YAMLDocument) throws(InputError) {
        var id: String?
        var reason: String?
        self.endpoints = []
        for (key, _, value) in try document.mapping(node, accepted: Self.keys, what: "a baseline entry") {
            switch key {
            case "id":
                let text = try document.string(value, "id")
                guard text.hasPrefix("RA-"), text.utf8.count == 13 else {
                    throw document.error("'\(text)' is not a finding id (RA- and 10 hex digits, as reports show them)", at: value)
                }
                id = text
            case "command":
                let text = try document.string(value, "command")
                guard BaselineEntry.commands.contains(text) else {
                    throw document.error(
                        "command must be one of \(BaselineEntry.commands.joined(separator: ", ")), got '\(text)'", at: value)
                }
                command = text
            case "title": title = try document.string(value, "title")
            case "category": category = try document.string(value, "category")
            case "endpoints":
                endpoints = try document.strings(value, "endpoints")
                if let bad = endpoints.first(where: { $0 != "A" && $0 != "B" }) {
                    throw document.error("endpoints are roles, A or B, got '\(bad)'", at: value)
                }
            case "scenario": scenario = try document.string(value, "scenario")
            case "step": step = try document.string(value, "step")
            case "reason":
                // An empty reason is told as a missing one, with what to write.
                reason =
                    value.null != nil ? "" : try document.string(value, "reason").trimmingCharacters(in: .whitespacesAndNewlines)
            default: expires = try document.date(value, "expires")
            }
        }
        guard let id else { throw document.error("a baseline entry needs the id of the finding it accepts", at: node) }
        guard let reason, !reason.isEmpty else {
            throw document.error("\(id) has no reason: say why the finding is accepted (reason: ...)", at: node)
        }
        self.id = id
        self.reason = reason
    }

    /// True once the acceptance's last day (UTC) is over on `date`.
    public func isExpired(on date: Date) -> Bool {
        guard let expires else { return false }
        return CalendarDate.format(expires) < CalendarDate.format(date)
    }

    /// The audit subcommands whose reports a baseline can accept findings of.
    static let commands = ["compare", "inject", "keyspace"]
}
