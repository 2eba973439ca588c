import Foundation
import Testing

@testable import RedisAudit

/// One reader for every YAML file: one rule for flags, one for numbers, and every error
/// located `FILE:LINE: message`, whichever file it is in.
@Suite("YAML documents")
struct YAMLDocumentTests {
    @Test(
        "a flag is true/false, yes/no or on/off, in any case",
        arguments: [
            ("true", true), ("yes", true), ("on", true), ("TRUE", true), ("Yes", true), ("On", true),
            ("false", false), ("no", false), ("off", false), ("FALSE", false), ("No", false), ("OFF", false),
        ])
    func flagWords(text: String, value: Bool) {
        #expect(YAMLDocument.flagValue(text) == value)
    }

    @Test("anything else is not a flag", arguments: ["1", "0", "y", "n", "maybe", "", "truee", "enabled"])
    func notFlags(text: String) {
        #expect(YAMLDocument.flagValue(text) == nil)
    }

    @Test("a whole number is decimal digits with an optional sign, in 64 bits")
    func wholeNumbers() {
        #expect(YAMLDocument.wholeNumber("42") == 42)
        #expect(YAMLDocument.wholeNumber("-7") == -7)
        #expect(YAMLDocument.wholeNumber("+3") == 3)
        #expect(YAMLDocument.wholeNumber("9223372036854775807") == Int64.max)
        for text in ["0x10", "0o17", "1_000", "1e3", "4.0", " 5", "", "9223372036854775808", "five"] {
            #expect(YAMLDocument.wholeNumber(text) == nil, "\(text)")
        }
    }

    @Test("a number is a decimal with an optional fraction and exponent, and finite")
    func decimalNumbers() {
        #expect(YAMLDocument.decimalNumber("0.5") == 0.5)
        #expect(YAMLDocument.decimalNumber("2") == 2)
        #expect(YAMLDocument.decimalNumber("1e-3") == 0.001)
        #expect(YAMLDocument.decimalNumber("-1.5") == -1.5)
        #expect(YAMLDocument.decimalNumber(".5") == 0.5)
        for text in ["inf", "-infinity", "nan", "0x1p3", "1,5", "--1", "+-1", "", "1e", "1e999", "½"] {
            #expect(YAMLDocument.decimalNumber(text) == nil, "\(text)")
        }
    }

    // MARK: The same rule in every file

    @Test("scenarios and the config file take the same flag words")
    func flagsEverywhere() throws {
        let scenario = try ScenarioLoader.parse(
            yaml: "name: x\nsteps:\n  - command: [SET, k, v]\n    setup: on\n  - command: [GET, k]\n    checkpoint: YES\n",
            file: "s.yaml")
        #expect(scenario.steps.map(\.setup) == [true, false])
        #expect(scenario.steps.map(\.checkpoint) == [false, true])
        let config = try AuditConfig.parse(
            yaml: "inject:\n  lost-writes: yes\n  server-faults: off\nkeyspace:\n  memory: True\n", file: "c.yaml",
            directory: "/")
        #expect(config.inject.lostWrites == true)
        #expect(config.inject.serverFaults == false)
        #expect(config.keyspace.memory == true)
    }

    @Test("a word that is no flag is refused in the same words in a scenario and in the config file")
    func badFlagsEverywhere() {
        #expect(
            loadError("name: x\nsteps:\n  - command: [GET, k]\n    setup: maybe\n", file: "s.yaml")?.description
                == "s.yaml:4: setup is true or false, not 'maybe'")
        #expect(
            configError("inject:\n  lost-writes: maybe\n")
                == "redisaudit.yaml:2: inject.lost-writes is true or false, not 'maybe'")
    }

    @Test("numbers follow the one rule in scenarios and the config file")
    func numbersEverywhere() throws {
        #expect(
            loadError("name: x\nvars:\n  t: { random: hex, length: 0x10 }\nsteps:\n  - command: [GET, k]\n", file: "s.yaml")?
                .description == "s.yaml:3: length must be a whole number from 1 to 4096, got '0x10'")
        #expect(
            configError("inject:\n  jobs: 1_0\n")
                == "redisaudit.yaml:2: inject.jobs must be a whole number from 1 to 64, got '1_0'")
        #expect(
            configError("connect-timeout: .inf\n")
                == "redisaudit.yaml:1: connect-timeout must be a number from 0.001 to 600, got '.inf'")
        #expect(
            configError("limits:\n  max-steps: 0\n")
                == "redisaudit.yaml:2: limits.max-steps must be a whole number from 1 up, got '0'")
        let config = try AuditConfig.parse(yaml: "connect-timeout: 25e-1\ninject:\n  jobs: +4\n", file: "c.yaml", directory: "/")
        #expect(config.connectTimeout == 2.5)
        #expect(config.inject.jobs == 4)
    }

    @Test("a plain empty value is no value, in the config file as in a scenario")
    func emptyValues() {
        #expect(configError("fail-on: high\nbaseline:\n") == "redisaudit.yaml:2: baseline has no value")
        #expect(loadError("name: x\nvars:\n  t: ~\nsteps:\n  - command: [GET, k]\n")?.message == "variable 't' has no value")
    }

    // MARK: One located error for every file

    @Test("every kind of input file reports FILE:LINE: message, read from disk")
    func locatedErrorsFromFiles() throws {
        let cases: [(yaml: String, load: (String) throws -> Void, expected: String)] = [
            (
                "name: x\nsteps:\n  - command: [GET, k]\n    on_error: sometimes\n",
                { _ = try ScenarioLoader.load(contentsOf: $0) },
                "4: bad on_error 'sometimes': expected abort, continue, as-null, or { retry: N }"
            ),
            (
                "fail-on: high\ncompare:\n  trials: many\n",
                { _ = try AuditConfig.load(contentsOf: $0) },
                "3: compare.trials must be a whole number from 1 to 1000, got 'many'"
            ),
            (
                "version: 1\naccepted:\n  - id: RA-0123456789\n    reason: known\n    expires: soon\n",
                { _ = try Baseline.load(contentsOf: $0) },
                "5: expires must be a date written YYYY-MM-DD, got 'soon'"
            ),
            (
                "faults:\n  - kill-after:EXPIRE\n  - { kind: drop }\n",
                { _ = try FaultPlan.load(contentsOf: $0) },
                "3: a fault is one rule string, KIND[:COMMAND][:param=value,...]"
            ),
        ]
        for (yaml, load, expected) in cases {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "redisaudit-doc-\(UUID().uuidString.prefix(8)).yaml"
            ).path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                try load(path)
                Issue.record("loaded: \(yaml)")
            } catch let error as InputError {
                #expect(error.description == "\(path):\(expected)")
            }
        }
    }

    @Test("every kind of input file is refused past --max-file-bytes and --max-yaml-aliases")
    func limitsOnEveryPath() throws {
        let small = InputLimits(maxFileBytes: 64)
        let big = "# " + String(repeating: "x", count: 100) + "\n"
        let aliases = "a: &a x\nb: [*a, *a, *a]\n"
        let few = InputLimits(maxYAMLAliases: 2)
        let loads: [(InputLimits, String) throws -> Void] = [
            { _ = try ScenarioLoader.load(contentsOf: $1, limits: $0) },
            { _ = try AuditConfig.load(contentsOf: $1, limits: $0) },
            { _ = try Baseline.load(contentsOf: $1, limits: $0) },
            { _ = try FaultPlan.load(contentsOf: $1, limits: $0) },
        ]
        for load in loads {
            for (text, limits, expected) in [
                (big, small, ": the file is 103 bytes, more than --max-file-bytes (64)"),
                (aliases, few, ":2: more than 2 YAML aliases (--max-yaml-aliases)"),
            ] {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "redisaudit-doc-\(UUID().uuidString.prefix(8)).yaml"
                ).path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: path) }
                do {
                    try load(limits, path)
                    Issue.record("loaded past the limits: \(path)")
                } catch let error as InputError {
                    #expect(error.description.hasPrefix(path + expected), "\(error)")
                }
            }
        }
    }

    private func configError(_ yaml: String) -> String? {
        do {
            _ = try AuditConfig.parse(yaml: yaml, file: "redisaudit.yaml", directory: "/")
            return nil
        } catch {
            return error.description
        }
    }
}
