import Foundation
import Testing
@testable import RedisAudit

/// The error `body` throws, nil when it throws none.
func loadError(_ body: () throws(InputError) -> Void) -> InputError? {
    do {
        try body()
        return nil
    } catch { return error }
}

/// A scenario whose variables each repeat the previous one ten times, `levels` deep.
func variableBomb(levels: Int) -> String {
    var yaml = "name: bomb\nvars:\n  v0: \"xxxxxxxxxx\"\n"
    for level in 1..<levels {
        yaml += "  v\(level): \"" + String(repeating: "${v\(level - 1)}", count: 10) + "\"\n"
    }
    return yaml + "steps:\n  - command: [SET, k, \"${v\(levels - 1)}\"]\n"
}

@Suite("Scenario bounds")
struct ScenarioBoundsTests {
    @Test("the variable bomb is refused at the first variable past the limit, in well under a second and a few MB")
    func variableBombRefused() throws {
        let yaml = variableBomb(levels: 10)
        #expect(yaml.utf8.count < 700)
        let run = measured {
            loadError { () throws(InputError) in _ = try ScenarioLoader.parse(yaml: yaml, file: "bomb.yaml") }
        }
        let error = try #require(run.result as InputError?)
        // v7 is 10^8 bytes, the first past 16 MiB; it is defined on line 10.
        #expect(
            error.description
                == "bomb.yaml:10: variable 'v7' expands to 100000000 bytes, more than --max-argument-bytes (16777216)")
        #expect(run.seconds < 5)
    }

    @Test("validating the variable bomb stays within a few MB in a process of its own")
    func variableBombMemory() async throws {
        // v7 alone would be 100 MB, the next level 1 GB.
        try await expectRefusedInOwnProcess(variableBomb(levels: 10), message: "variable 'v7' expands to 100000000 bytes")
    }

    @Test("sizes that overflow are refused, not wrapped")
    func overflowRefused() throws {
        let limits = InputLimits(maxArgumentBytes: .max)
        #expect(throws: InputError.self) {
            try ScenarioLoader.parse(yaml: variableBomb(levels: 25), file: "big.yaml", limits: limits)
        }
        do {
            _ = try ScenarioLoader.parse(yaml: variableBomb(levels: 25), file: "big.yaml", limits: limits)
        } catch {
            #expect(error.description.hasPrefix("big.yaml:"))
            #expect(error.message.contains("expands to more than"))
        }
    }

    @Test("an override is sized before it is used, at the variable's definition")
    func overrideSized() throws {
        let scenario = try ScenarioLoader.parse(
            yaml: "name: o\nvars:\n  a: x\n  b: \"${a}${a}${a}\"\nsteps:\n  - command: [SET, k, \"${b}\"]\n", file: "o.yaml",
            limits: InputLimits(maxArgumentBytes: 100))
        #expect(throws: InputError.self) { try scenario.bind(overrides: ["a": String(repeating: "y", count: 40)]) }
        do {
            _ = try scenario.bind(overrides: ["a": String(repeating: "y", count: 40)])
        } catch {
            #expect(error.description == "o.yaml:4: variable 'b' expands to 120 bytes, more than --max-argument-bytes (100)")
        }
        #expect(try scenario.bind(overrides: ["a": "yy"])["b"] == "yyyyyy")
    }

    @Test("an argument and a step are bounded where they are written")
    func argumentAndStep() throws {
        let yaml = """
            name: s
            vars:
              a: "0123456789"
            steps:
              - command: [SET, k, "${a}${a}"]
              - pipeline:
                  - [SET, k1, "${a}"]
                  - [SET, k2, "${a}"]
            """
        expectError(
            yaml, InputLimits(maxArgumentBytes: 15),
            "s.yaml:5: an argument expands to 20 bytes, more than --max-argument-bytes (15)")
        expectError(yaml, InputLimits(maxStepBytes: 25), "s.yaml:6: this step expands to more than --max-step-bytes (25)")
    }

    @Test("steps and commands per run are counted, concurrent clients and retries included")
    func counts() throws {
        let yaml = """
            name: c
            vars:
              clients: 50
            steps:
              - command: [SET, k, v]
                on_error: { retry: 3 }
              - concurrent:
                  clients: "${clients}"
                  steps:
                    - command: [INCR, n]
                    - command: [GET, n]
            """
        // 4 tries of the first command, then 50 clients × 2.
        expectError(
            yaml, InputLimits(maxCommands: 103),
            "c.yaml:7: one run would send more than 103 commands (--max-commands): clients × commands × retries")
        let scenario = try ScenarioLoader.parse(yaml: yaml, file: "c.yaml", limits: InputLimits(maxCommands: 104))
        #expect(throws: InputError.self) { try scenario.bind(overrides: ["clients": "51"]) }
        expectError(yaml, InputLimits(maxSteps: 3), "c.yaml:11: more than 3 steps (--max-steps)")
    }

    @Test("a value captured at run time is bounded when a command is rendered, before it is built")
    func capturedValue() throws {
        let yaml = """
            name: cap
            steps:
              - concurrent:
                  clients: 2
                  steps:
                    - command: [GET, k]
                      capture: got
                    - command: [SET, k2, "${got}${got}"]
            """
        let scenario = try ScenarioLoader.parse(yaml: yaml, file: "cap.yaml", limits: InputLimits(maxArgumentBytes: 100))
        var bindings = try scenario.bind()
        guard case .concurrent(let block) = scenario.steps[0].kind, case .command(let set) = block.steps[1].kind else {
            Issue.record("unexpected shape")
            return
        }
        bindings["got"] = String(repeating: "x", count: 50)
        #expect(try set.render(bindings).arguments[2].count == 100)
        bindings["got"] = String(repeating: "x", count: 51)
        do {
            _ = try set.render(bindings)
            Issue.record("rendered past the limit")
        } catch {
            #expect(
                error.description
                    == "cap.yaml:8: an argument expands to more than --max-argument-bytes (100) with this run's values")
        }
    }

    private func expectError(
        _ yaml: String, _ limits: InputLimits, _ expected: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, file: String(expected.prefix { $0 != ":" }), limits: limits)
            Issue.record("loaded, expected \(expected)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description == expected, sourceLocation: sourceLocation)
        }
    }
}
