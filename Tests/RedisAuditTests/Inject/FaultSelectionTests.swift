import Foundation
import Testing
@testable import RedisAudit

/// Which faults inject applies: the command line over the config file, rules over the exploration.
@Suite("fault selection")
struct FaultSelectionTests {
    static func settings(faults: [String] = [], lostWrites: Bool? = nil, serverFaults: Bool? = nil) -> AuditConfig.InjectSettings
    {
        var settings = AuditConfig.InjectSettings()
        settings.faults = faults
        settings.lostWrites = lostWrites
        settings.serverFaults = serverFaults
        return settings
    }

    @Test func theCommandLinesRulesReplaceTheConfigFiles() throws {
        let given = [try FaultRule.parse("kill-after:EXPIRE")]
        let selection = try FaultSelection.resolve(
            given: given, explore: false, lostWrites: nil, serverFaults: nil,
            settings: Self.settings(faults: ["drop:DEL"], lostWrites: true, serverFaults: true))
        #expect(selection.rules.map(\.description) == ["kill-after:EXPIRE"])
        #expect(!selection.lostWrites && !selection.serverFaults, "the exploration's kinds mean nothing beside rules")
    }

    @Test func theConfigFilesRulesApplyUnlessExploreAsksForTheExploration() throws {
        let settings = Self.settings(faults: ["drop:DEL"], lostWrites: true)
        let fromFile = try FaultSelection.resolve(
            given: nil, explore: false, lostWrites: nil, serverFaults: nil, settings: settings)
        #expect(fromFile.rules.map(\.description) == ["drop:DEL"])
        #expect(!fromFile.lostWrites)
        let explored = try FaultSelection.resolve(
            given: nil, explore: true, lostWrites: nil, serverFaults: nil, settings: settings)
        #expect(explored.rules.isEmpty)
        #expect(explored.lostWrites, "the file's lost-writes applies to the exploration")
    }

    @Test func flagsOverTheFileOverTheDefaultsForTheExploredKinds() throws {
        let file = Self.settings(lostWrites: true, serverFaults: true)
        let flags = try FaultSelection.resolve(given: nil, explore: false, lostWrites: false, serverFaults: nil, settings: file)
        #expect(!flags.lostWrites && flags.serverFaults)
        let defaults = try FaultSelection.resolve(
            given: nil, explore: false, lostWrites: nil, serverFaults: nil, settings: AuditConfig.InjectSettings())
        #expect(!defaults.lostWrites && !defaults.serverFaults && defaults.rules.isEmpty)
    }

    @Test func aPlanFilesRulesComeBeforeTheRuleStringsAndObeyTheInputLimits() throws {
        let path = try Fixtures.scenarioFile("faults:\n  - drop:DEL\n", name: "plan.yaml")
        let rules = try FaultSelection.rules(faults: ["kill-before:SET"], plan: path)
        #expect(rules.map(\.description) == ["drop:DEL", "kill-before:SET"])
        #expect(throws: InputError.self) {
            try FaultSelection.rules(faults: [], plan: path, limits: InputLimits(maxFileBytes: 4))
        }
    }
}
