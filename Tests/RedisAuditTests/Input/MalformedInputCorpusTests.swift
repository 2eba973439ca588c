import Foundation
import Testing
@testable import RedisAudit

/// Every error about a named file says where: `FILE:LINE: what`, or `FILE: invalid UTF-8 at
/// byte N`. A corpus of broken files, made here, goes through each loader.
@Suite("Malformed input corpus")
struct MalformedInputCorpusTests {
    /// Damage any YAML file can have, whatever it holds.
    static let broken: [(String, [UInt8])] = [
        ("unterminated quote", Array("name: \"open\nsteps: []\n".utf8)),
        ("unclosed flow list", Array("steps: [\n".utf8)),
        ("mapping in a scalar", Array("a: b: c\n".utf8)),
        ("tab indentation", Array("name: x\nsteps:\n\t- command: [PING]\n".utf8)),
        ("duplicate keys", Array("name: a\nname: b\nsteps: []\n".utf8)),
        ("undefined alias", Array("name: *nope\n".utf8)),
        ("two documents", Array("a: 1\n---\nb: 2\n".utf8)),
        ("control character", Array("name: a\u{1}b\n".utf8)),
        ("invalid UTF-8", Array("name: ok\n".utf8) + [0xFF, 0xFE] + Array(": x\n".utf8)),
        ("truncated UTF-8", Array("name: caf".utf8) + [0xC3]),
        ("a scalar document", Array("just text\n".utf8)),
        ("a list document", Array("- a\n- b\n".utf8)),
        ("alias bomb", Array(aliasBomb(levels: 10).utf8)),
    ]

    static let scenarios: [(String, [UInt8])] =
        broken + [
            ("empty", []),
            ("only a comment", Array("# nothing\n".utf8)),
            ("wrong type for name", Array("name: [a]\nsteps: [{command: [PING]}]\n".utf8)),
            ("wrong type for steps", Array("name: a\nsteps: 5\n".utf8)),
            ("wrong type for vars", Array("name: a\nvars: [1]\nsteps: [{command: [PING]}]\n".utf8)),
            ("command as mapping", Array("name: a\nsteps:\n  - command: {a: 1}\n".utf8)),
            ("unknown top-level key", Array("name: a\nfoo: 1\nsteps: [{command: [PING]}]\n".utf8)),
            ("unknown step key", Array("name: a\nsteps:\n  - command: [PING]\n    bogus: 1\n".utf8)),
            ("missing name", Array("steps: [{command: [PING]}]\n".utf8)),
            ("missing steps", Array("name: a\n".utf8)),
            (
                "huge client count",
                Array(
                    "name: a\nsteps:\n  - concurrent:\n      clients: 99999999999999999999999\n      steps: [{command: [PING]}]\n"
                        .utf8)
            ),
            (
                "huge random length",
                Array("name: a\nvars:\n  r: { random: hex, length: 1e400 }\nsteps: [{command: [PING]}]\n".utf8)
            ),
            ("huge retry", Array("name: a\nsteps:\n  - command: [PING]\n    on_error: { retry: 99999999999999999999 }\n".utf8)),
            (
                "huge integer",
                Array("name: a\nsteps:\n  - command: [GET, k]\n    expect: { integer: 99999999999999999999999 }\n".utf8)
            ),
            ("undefined variable", Array("name: a\nsteps:\n  - command: [GET, \"${nope}\"]\n".utf8)),
            ("variable bomb", Array(variableBomb(levels: 10).utf8)),
            (
                "bound not a number",
                Array(
                    "name: a\nvars:\n  cap: abc\nsteps: [{command: [PING]}]\ninvariants:\n  - { value: k, max: \"${cap}\" }\n"
                        .utf8)
            ),
            (
                "nested concurrency",
                Array(
                    "name: a\nsteps:\n  - concurrent:\n      clients: 2\n      steps:\n        - concurrent: {clients: 2, steps: [{command: [PING]}]}\n"
                        .utf8)
            ),
        ]

    static let configs: [(String, [UInt8])] =
        broken + [
            ("wrong type for endpoints", Array("endpoints: 5\n".utf8)),
            ("wrong type for fail-on", Array("fail-on: [high]\n".utf8)),
            ("not a number", Array("connect-timeout: soon\n".utf8)),
            ("huge number", Array("connect-timeout: 1e400\n".utf8)),
            ("huge trials", Array("compare:\n  trials: 99999999999999999999999\n".utf8)),
            ("huge limit", Array("limits:\n  max-reply-bytes: 99999999999999999999999\n".utf8)),
            ("negative limit", Array("limits:\n  max-file-bytes: -1\n".utf8)),
            ("unknown limit", Array("limits:\n  max-everything: 1\n".utf8)),
            ("unknown key", Array("fail-on: high\ncolour: blue\n".utf8)),
            ("endpoint without url", Array("endpoints:\n  a: { password-env: X }\n".utf8)),
            ("password in url", Array("endpoints:\n  a: redis://u:secret@h:1\n".utf8)),
            ("bad fault rule", Array("inject:\n  faults: [explode:GET]\n".utf8)),
        ]

    static let baselines: [(String, [UInt8])] =
        broken + [
            ("wrong version", Array("version: 2\naccepted: []\n".utf8)),
            ("huge version", Array("version: 99999999999999999999999\n".utf8)),
            ("accepted not a list", Array("version: 1\naccepted: 5\n".utf8)),
            ("entry without id", Array("version: 1\naccepted:\n  - reason: r\n".utf8)),
            (
                "entry with unknown key",
                Array("version: 1\naccepted:\n  - id: RA-0123456789\n    reason: r\n    colour: blue\n".utf8)
            ),
            ("bad date", Array("version: 1\naccepted:\n  - id: RA-0123456789\n    reason: r\n    expires: 2027-02-30\n".utf8)),
            ("unknown key", Array("version: 1\nextra: 1\n".utf8)),
        ]

    static let plans: [(String, [UInt8])] =
        broken + [
            ("empty", []),
            ("faults not a list", Array("faults: 5\n".utf8)),
            ("fault as mapping", Array("faults:\n  - { kind: drop }\n".utf8)),
            ("unknown fault", Array("faults:\n  - explode:GET\n".utf8)),
            ("huge parameter", Array("faults:\n  - delay:GET:ms=99999999999999999999999\n".utf8)),
            ("unknown key", Array("faults: []\nrules: []\n".utf8)),
        ]

    private static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-corpus-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    private func check(
        _ corpus: [(String, [UInt8])], kind: String, sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ load: (String) throws(InputError) -> Void
    ) throws {
        for (index, (name, bytes)) in corpus.enumerated() {
            let path = Self.directory.appendingPathComponent("\(kind)-\(index).yaml").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                try load(path)
                Issue.record("\(kind) '\(name)' loaded without an error", sourceLocation: sourceLocation)
            } catch {
                let text = error.description
                let rest = text.hasPrefix(path) ? String(text.dropFirst(path.count)) : ""
                let located =
                    rest.range(of: #"^:[1-9][0-9]*: \S"#, options: .regularExpression) != nil
                    || rest.range(of: #"^: invalid UTF-8 at byte [0-9]+$"#, options: .regularExpression) != nil
                #expect(located, "\(kind) '\(name)': \(text)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("every scenario error says FILE:LINE")
    func scenarioErrors() throws {
        try check(Self.scenarios, kind: "scenario") { path throws(InputError) in _ = try ScenarioLoader.load(contentsOf: path)
        }
    }

    @Test("every config error says FILE:LINE")
    func configErrors() throws {
        try check(Self.configs, kind: "config") { path throws(InputError) in _ = try AuditConfig.load(contentsOf: path) }
    }

    @Test("every baseline error says FILE:LINE")
    func baselineErrors() throws {
        try check(Self.baselines, kind: "baseline") { path throws(InputError) in _ = try Baseline.load(contentsOf: path) }
    }

    @Test("every fault-plan error says FILE:LINE")
    func planErrors() throws {
        try check(Self.plans, kind: "plan") { path throws(InputError) in _ = try FaultPlan.load(contentsOf: path) }
    }
}
