import Foundation
import Testing
@testable import RedisAudit

/// "Billion laughs": each level a list of ten aliases to the one before, `levels` deep.
func aliasBomb(levels: Int) -> String {
    var yaml = "name: laughs\nvars:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in 1..<levels {
        let aliases = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
        yaml += "  a\(level): &a\(level) [\(aliases)]\n"
    }
    return yaml + "steps:\n  - command: [PING]\n"
}

@Suite("YAML expansion")
struct YAMLExpansionTests {
    @Test("the alias bomb is refused before anything walks it, in well under a second and a few MB")
    func aliasBombRefused() throws {
        let yaml = aliasBomb(levels: 10)
        #expect(yaml.utf8.count < 1000)
        let run = measured {
            loadError { () throws(InputError) in _ = try ScenarioLoader.parse(yaml: yaml, file: "laughs.yaml") }
        }
        let error = try #require(run.result as InputError?)
        #expect(error.description.hasPrefix("laughs.yaml:"))
        #expect(error.message.contains("--max-yaml-expanded-bytes (8388608)"))
        #expect(run.seconds < 5)
    }

    @Test("validating the alias bomb stays within a few MB in a process of its own")
    func aliasBombMemory() async throws {
        // Expanded, the ten levels are 10^10 list entries.
        try await expectRefusedInOwnProcess(aliasBomb(levels: 10), message: "--max-yaml-expanded-bytes (8388608)")
    }

    @Test("lists and mappings as mapping keys are refused before the composer hashes them expanded")
    func keyBomb() throws {
        var yaml = "name: k\nvars:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1..<7 {
            let keys = (0..<10).map { "? [*a\(level - 1), \($0)] : x" }.joined(separator: ", ")
            yaml += "  a\(level): &a\(level) {\(keys)}\n"
        }
        let run = measured {
            loadError { () throws(InputError) in _ = try ScenarioLoader.parse(yaml: yaml, file: "keys.yaml") }
        }
        #expect(run.result?.description == "keys.yaml:4: a mapping key must be a single value, not a list or mapping")
        #expect(run.seconds < 1)
        let aliasedKey = "name: k\nvars:\n  a: &list [1, 2]\n  b: { *list : x }\nsteps: [{command: [PING]}]\n"
        #expect(
            loadError { () throws(InputError) in _ = try ScenarioLoader.parse(yaml: aliasedKey, file: "k.yaml") }?.description
                == "k.yaml:4: a mapping key must be a single value, not a list or mapping")
    }

    @Test("the config, baseline and fault-plan readers refuse it too")
    func everyReader() throws {
        let yaml = aliasBomb(levels: 10)
        #expect(throws: InputError.self) { try AuditConfig.parse(yaml: yaml, file: "c.yaml", directory: "/tmp") }
        #expect(throws: InputError.self) { try Baseline.parse(yaml: yaml, file: "b.yaml") }
        #expect(throws: InputError.self) { try FaultPlan.parse(yaml: yaml, file: "p.yaml") }
    }

    @Test("aliases are counted: one past the limit is refused where it is used")
    func aliasCount() throws {
        let yaml = """
            name: a
            steps:
              - command: [SET, k, v]
                expect: &ok { type: status }
              - command: [SET, k, v]
                expect: *ok
              - command: [SET, k, v]
                expect: *ok
            """
        #expect(try ScenarioLoader.parse(yaml: yaml, file: "a.yaml", limits: InputLimits(maxYAMLAliases: 2)).steps.count == 3)
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, file: "a.yaml", limits: InputLimits(maxYAMLAliases: 1))
            Issue.record("loaded with two aliases and a limit of one")
        } catch {
            #expect(
                error.description
                    == "a.yaml:8: more than 1 YAML aliases (--max-yaml-aliases); write the values out or raise the limit")
        }
    }

    @Test("a document is weighed by its text and its nodes")
    func weight() throws {
        let small = "name: w\nsteps:\n  - command: [SET, k, \"\(String(repeating: "v", count: 200))\"]\n"
        #expect(throws: InputError.self) {
            try ScenarioLoader.parse(yaml: small, file: "w.yaml", limits: InputLimits(maxYAMLExpandedBytes: 200))
        }
        #expect(try ScenarioLoader.parse(yaml: small, file: "w.yaml", limits: InputLimits(maxYAMLExpandedBytes: 400)).name == "w")
    }
}
