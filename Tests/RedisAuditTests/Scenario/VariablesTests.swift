import RESP
import Testing

@testable import RedisAudit

@Suite struct VariablesTests {
    let bindings = VariableBindings(["userId": "user123", "tokenHash": "ab12", "ttl": "604800"])

    @Test func rendersReferences() throws {
        #expect(try Template("rt:${userId}:${tokenHash}").render(bindings) == "rt:user123:ab12")
        #expect(try Template("${ttl}").render(bindings) == "604800")
        #expect(try Template("plain").render(bindings) == "plain")
        #expect(try Template("").render(bindings) == "")
        #expect(try Template(#"{"userId":"${userId}"}"#).render(bindings) == #"{"userId":"user123"}"#)
    }

    @Test func leavesHashTagsAndLoneDollarsAlone() throws {
        #expect(try Template("sess:{user123}").render(bindings) == "sess:{user123}")
        #expect(try Template("sess:{${userId}}:a").render(bindings) == "sess:{user123}:a")
        #expect(try Template("{}").render(bindings) == "{}")
        #expect(try Template("price: $5 ${ttl}$").render(bindings) == "price: $5 604800$")
        #expect(try Template("$$").render(bindings) == "$$")
        #expect(Template("{userId}").isLiteral)
    }

    @Test func escapedReferenceIsLiteral() throws {
        #expect(try Template("$${userId}").render(bindings) == "${userId}")
        #expect(try Template("$${userId}").references() == [])
        #expect(try Template("a$${x}b${userId}").render(bindings) == "a${x}buser123")
    }

    @Test func listsReferencesOnce() throws {
        #expect(try Template("rt:${userId}:${tokenHash}:${userId}").references() == ["userId", "tokenHash"])
        #expect(Template("rt:${userId}").isLiteral == false)
        #expect(Template("rt:user").isLiteral)
    }

    @Test func renderingAnUnboundVariableThrows() {
        #expect(throws: InputError.self) { try Template("rt:${nobody}").render(bindings) }
        #expect(throws: InputError.self) { try Template("rt:${bad name}").render(bindings) }
    }

    @Test func rendersCommandsToBytes() throws {
        let template = CommandTemplate(
            arguments: [Template("SETEX"), Template("rt:${userId}:${tokenHash}"), Template("${ttl}"), Template("v")],
            location: SourceLocation(file: "f", line: 1))
        let command = try template.render(bindings)
        #expect(command == RESPCommand("SETEX", "rt:user123:ab12", "604800", "v"))
        #expect(try Template("é${userId}").renderBytes(bindings) == Array("éuser123".utf8))
    }

    static let generated = """
        name: gen
        vars:
          userId: user123
          short: { random: hex, length: 16 }
          long: { random: hex, length: 64 }
          default: { random: hex }
          id: { random: uuid }
        steps:
          - command: [SET, "a:${short}", "${id}"]
          - command: [GET, "a:${short}"]
        """

    @Test func hexGeneratorsHaveTheirLengthAndCharset() throws {
        let s = try ScenarioLoader.parse(yaml: Self.generated, file: "g.yaml")
        var generator = SeededGenerator(seed: 42)
        let b = try s.bind(using: &generator)
        let hex = Set("0123456789abcdef")
        for (name, length) in [("short", 16), ("long", 64), ("default", 32)] {
            let value = try #require(b[name])
            #expect(value.count == length, "\(name)")
            #expect(value.allSatisfy(hex.contains), "\(name): \(value)")
        }
        // 64 random hex digits that repeat one digit would mean the generator is not being used.
        #expect(Set(try #require(b["long"])).count > 4)
    }

    @Test func uuidGeneratorMakesVersion4UUIDs() throws {
        let s = try ScenarioLoader.parse(yaml: Self.generated, file: "g.yaml")
        for seed in UInt64(0)..<20 {
            var generator = SeededGenerator(seed: seed)
            let id = try #require(try s.bind(using: &generator)["id"])
            let chars = Array(id)
            #expect(chars.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { chars[$0] == "-" })
            #expect(chars[14] == "4")
            #expect("89ab".contains(chars[19]))
            let digits = chars.enumerated().filter { ![8, 13, 18, 23].contains($0.offset) }.map(\.element)
            #expect(digits.allSatisfy { "0123456789abcdef".contains($0) })
        }
    }

    @Test func generatedValuesAreMadeOncePerRun() throws {
        let s = try ScenarioLoader.parse(yaml: Self.generated, file: "g.yaml")
        var generator = SeededGenerator(seed: 7)
        let run = try s.bind(using: &generator)
        // Both steps (and both endpoints, which share the bindings) see the same key.
        let set = try s.steps[0].commands[0].render(run)
        let get = try s.steps[1].commands[0].render(run)
        #expect(set.arguments[1] == get.arguments[1])
        #expect(set.arguments[1] == Array("a:\(run["short"]!)".utf8))

        // A different run gets different values; the same seed gives the same values.
        var other = SeededGenerator(seed: 8)
        #expect(try s.bind(using: &other)["short"] != run["short"])
        var same = SeededGenerator(seed: 7)
        #expect(try s.bind(using: &same) == run)
        // Different variables of the same kind get different values.
        #expect(run["long"] != run["default"])
    }

    @Test func systemGeneratorBindsToo() throws {
        let s = try ScenarioLoader.parse(yaml: Self.generated, file: "g.yaml")
        let a = try s.bind()
        let b = try s.bind()
        #expect(a["long"]?.count == 64)
        #expect(a["long"] != b["long"])
    }

    @Test func overridesReplaceLiteralsAndGeneratedValues() throws {
        let s = try ScenarioLoader.parse(yaml: Self.generated, file: "g.yaml")
        var generator = SeededGenerator(seed: 1)
        let b = try s.bind(overrides: ["userId": "alice", "short": "fixed"], using: &generator)
        #expect(b["userId"] == "alice")
        #expect(b["short"] == "fixed")
        #expect(b["long"]?.count == 64)
        #expect(try s.steps[1].commands[0].render(b) == RESPCommand("GET", "a:fixed"))
    }

    @Test func overridesFeedLaterLiterals() throws {
        let s = try ScenarioLoader.parse(
            yaml: "name: c\nvars:\n  userId: u1\n  key: \"rt:${userId}\"\nsteps:\n  - command: [GET, \"${key}\"]\n",
            file: "c.yaml")
        let b = try s.bind(overrides: ["userId": "bob"])
        #expect(b["key"] == "rt:bob")
    }

    @Test func overridingAnUndefinedVariableIsAnError() throws {
        let s = try ScenarioLoader.parse(yaml: Self.generated, file: "g.yaml")
        do {
            _ = try s.bind(overrides: ["userid": "alice"])
            Issue.record("an override of an undefined variable was accepted")
        } catch {
            #expect(
                error.message
                    == "cannot set variable 'userid': scenario 'gen' does not define it (its variables: userId, short, long, default, id)"
            )
            #expect(error.location == nil)
        }
    }

    @Test func parsesVarArguments() throws {
        #expect(
            try VariableBindings.parseOverrides(["userId=alice", "json={\"a\":1}", "empty=", "userId=bob"])
                == ["userId": "bob", "json": "{\"a\":1}", "empty": ""])
        #expect(throws: InputError.self) { try VariableBindings.parseOverrides(["userId"]) }
        #expect(throws: InputError.self) { try VariableBindings.parseOverrides(["user id=x"]) }
    }

    @Test func variableNames() {
        #expect(Template.isVariableName("userId"))
        #expect(Template.isVariableName("_x9"))
        #expect(!Template.isVariableName("9x"))
        #expect(!Template.isVariableName("a-b"))
        #expect(!Template.isVariableName(""))
        #expect(!Template.isVariableName("é"))
    }
}
