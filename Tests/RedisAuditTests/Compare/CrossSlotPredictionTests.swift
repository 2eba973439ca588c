import Testing
@testable import RedisAudit

/// Which steps a cluster would refuse, computed from the scenario alone: the built-in remedies
/// that span slots, their hash-tagged variants that do not, multi-key commands, the suggested
/// tag, and the finding's severity for each kind of endpoint pair. (SELECT never reaches a
/// cluster: the scenario reader refuses it on every host.)
@Suite("cross-slot prediction")
struct CrossSlotPredictionTests {
    static func uses(_ name: String, _ values: [String: String] = [:]) throws -> [CrossSlotPrediction.Use] {
        let scenario = try ScenarioLoader.resolve(name)
        var generator = SystemRandomNumberGenerator()
        let bindings = try scenario.bind(overrides: values, using: &generator)
        return CrossSlotPrediction.uses(in: scenario, bindings: bindings)
    }

    @Test func theSeedRemediesSpanSlotsAndTheirClusterVariantsDoNot() throws {
        let login = try Self.uses("login-multi")
        #expect(login.map(\.what) == ["transaction"])
        #expect(login.first?.keys.map(\.written) == ["rt:${userId}:${tokenHash}", "sess:${userId}"])
        #expect(login.first?.tagged == ["rt:{${userId}}:${tokenHash}", "sess:{${userId}}"])
        for key in login.first?.keys ?? [] { #expect(key.slot == HashSlot.of(key.rendered)) }

        let refresh = try Self.uses("refresh-lua")
        #expect(refresh.map(\.what) == ["script"])
        #expect(refresh.first?.step == 1)
        #expect(refresh.first?.keys.count == 3)

        #expect(try Self.uses("login-multi-cluster").isEmpty)
        #expect(try Self.uses("refresh-lua-cluster").isEmpty)
        // Single-key steps never span slots.
        #expect(try Self.uses("login").isEmpty)
    }

    @Test func aMultiKeyCommandIsFoundAndKeysInOneSlotAreNot() throws {
        let scenario = try ScenarioLoader.parse(
            yaml: """
                name: multi
                vars: { id: "42" }
                steps:
                  - command: [MSET, "a:${id}", "1", "b:${id}", "2"]
                  - command: [MSET, "{u${id}}:a", "1", "{u${id}}:b", "2"]
                  - pipeline:
                      - [DEL, "x", "y"]
                      - [GET, "x"]
                """, file: "multi.yaml")
        let uses = CrossSlotPrediction.uses(in: scenario, bindings: VariableBindings(["id": "42"]))
        #expect(uses.map(\.what) == ["MSET", "DEL"])
        #expect(uses.map(\.step) == [0, 2])
        #expect(uses[0].tagged == ["a:{${id}}", "b:{${id}}"])
        // Without a variable every key shares, the tag is a literal in front of each key.
        #expect(uses[1].tagged == ["{tag}:x", "{tag}:y"])
    }

    @Test func severityFollowsWhichEndpointsAreClusters() throws {
        let uses = try Self.uses("login-multi")
        let neither = CrossSlotPrediction.findings(
            uses, scenario: "login-multi", roles: ["A", "B"], clusterRoles: [], refusals: [:])
        #expect(neither.map(\.severity) == [.info])
        #expect(neither.first?.scope == .shared)
        #expect(neither.first?.title.hasSuffix("a cluster would refuse it") == true)

        let one = CrossSlotPrediction.findings(
            uses, scenario: "login-multi", roles: ["A", "B"], clusterRoles: ["B"],
            refusals: ["B": "EVAL -> (error) CROSSSLOT Keys in request don't hash to the same slot"])
        #expect(one.map(\.severity) == [.high])
        #expect(one.first?.scope == .difference)
        #expect(one.first?.endpoints == ["B"])
        #expect(one.first?.evidence.contains { $0.hasPrefix("B (a cluster): EVAL -> (error) CROSSSLOT") } == true)
        #expect(one.first?.fix.contains("rt:{${userId}}:${tokenHash}, sess:{${userId}}") == true)

        let both = CrossSlotPrediction.findings(
            uses, scenario: "login-multi", roles: ["A", "B"], clusterRoles: ["A", "B"], refusals: [:])
        #expect(both.map(\.severity) == [.high])
        #expect(both.first?.scope == .shared)
        // The id does not depend on the random token, the slots, or the endpoints.
        #expect(Set([neither, one, both].map { $0.first?.id }).count == 1)
    }

    @Test func refusalsAreRecognisedInEveryFormAHostGives() {
        for message in [
            "CROSSSLOT Keys in request don't hash to the same slot", "MOVED 11649 127.0.0.1:7001",
            "ERR Script attempted to access a non local key in a cluster node",
        ] {
            #expect(CrossSlotPrediction.isCrossSlotRefusal(message), "\(message)")
        }
        #expect(!CrossSlotPrediction.isCrossSlotRefusal("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }
}
