import Testing
@testable import RedisAudit

/// Two server profiles as findings: settings weighed by what they do to the application.
@Suite("Profile comparison")
struct ProfileComparisonTests {
    private func profile(
        _ role: String, _ settings: [String: String?] = [:], engine: String = "Redis", version: String = "7.0.15",
        commands: [String: Bool?] = [:], lua: Bool? = nil, multi: Bool? = nil, refused: [String] = []
    ) -> ServerProfile {
        var p = ServerProfile(role: role, endpoint: "redis://\(role.lowercased()):6379")
        p.engine = engine
        p.version = version
        p.settings = settings.sorted { $0.key < $1.key }.map { ProfileSetting(name: $0.key, value: $0.value) }
        p.commands = commands.sorted { $0.key < $1.key }.map { CommandAvailability(name: $0.key, available: $0.value) }
        p.lua = lua
        p.multi = multi
        p.refused = refused
        return p
    }

    private func findings(
        _ a: ServerProfile, _ b: ServerProfile, commands: Set<String> = [], lua: Bool = false, multi: Bool = false,
        reported: Set<String> = []
    ) -> [Finding] {
        ProfileComparison.findings(a, b, scenarioCommands: commands, usesLua: lua, usesMulti: multi, reported: reported)
    }

    private func policySeverity(_ a: String, _ b: String) -> Severity? {
        findings(profile("A", ["maxmemory-policy": a]), profile("B", ["maxmemory-policy": b])).first?.severity
    }

    @Test func identicalProfilesHaveNoFindings() {
        let settings: [String: String?] = ["maxmemory-policy": "noeviction", "timeout": "0", "rdb": "on", "aof": "off"]
        #expect(findings(profile("A", settings), profile("B", settings), commands: ["GET"]).isEmpty)
    }

    @Test func evictionOnOneSideOnlyIsHighOnBothMediumOnNeitherLow() {
        #expect(policySeverity("allkeys-lru", "noeviction") == .high)
        #expect(policySeverity("noeviction", "volatile-ttl") == .high)
        #expect(policySeverity("allkeys-lru", "volatile-lfu") == .medium)
        #expect(policySeverity("noeviction", "NOEVICTION") == .low)
    }

    @Test func aSettingIsComparedOnlyWhenBothSidesTellIt() {
        #expect(findings(profile("A", ["maxmemory-policy": "allkeys-lru"]), profile("B", ["maxmemory-policy": nil])).isEmpty)
        #expect(findings(profile("A", ["maxmemory-policy": "allkeys-lru"]), profile("B")).isEmpty)
    }

    @Test func anIdleTimeoutOnEitherSideIsMedium() throws {
        let finding = try #require(findings(profile("A", ["timeout": "0"]), profile("B", ["timeout": "300"])).first)
        #expect(finding.severity == .medium)
        #expect(finding.title == "timeout differs: 0 on A, 300 on B")
        #expect(finding.evidence == ["CONFIG GET timeout", "A: 0", "B: 300"])
    }

    @Test func anEmptySettingIsShownQuoted() throws {
        let finding = try #require(
            findings(profile("A", ["notify-keyspace-events": "KEA"]), profile("B", ["notify-keyspace-events": ""])).first)
        #expect(finding.title == "notify-keyspace-events differs: KEA on A, \"\" on B")
        #expect(finding.severity == .medium)
    }

    @Test func clusterModeOnOneSideIsInfoPointingAtTheCrossSlotFindings() throws {
        // What cluster mode breaks is reported where it breaks: one cluster-crossslot finding per
        // transaction, script or multi-key command whose keys span slots.
        let found = findings(profile("A", ["cluster_enabled": "1"]), profile("B", ["cluster_enabled": "0"]))
        #expect(found.map(\.severity) == [.info])
        #expect(try #require(found.first).why.contains("cluster-crossslot findings"))
    }

    @Test func persistenceOnOneSideOnlyIsMediumAndNamesWhichSaves() throws {
        let finding = try #require(
            findings(profile("A", ["rdb": "off", "aof": "off"]), profile("B", ["rdb": "on (save 3600 1)", "aof": "off"])).first)
        #expect(finding.severity == .medium)
        #expect(finding.title == "Persistence differs: B saves to disk, A does not")
        let aof = findings(profile("A", ["aof": "on"]), profile("B", ["aof": "off"]))
        #expect(aof.first?.title == "Persistence differs: A saves to disk, B does not")
    }

    @Test func persistenceOffOnBothIsASharedNoteAndUnknownIsSilent() throws {
        let off: [String: String?] = ["rdb": "off", "aof": "off"]
        let finding = try #require(findings(profile("A", off), profile("B", off)).first)
        #expect(finding.severity == .info && finding.scope == .shared)
        #expect(findings(profile("A"), profile("B", off)).isEmpty)
        #expect(ProfileComparison.persistent(profile("A")) == nil)
        #expect(ProfileComparison.persistent(profile("A", ["rdb": "on"])) == true)
    }

    @Test func anotherEngineOrVersionIsInformation() throws {
        let finding = try #require(findings(profile("A"), profile("B", engine: "Valkey", version: "9.1.0")).first)
        #expect(finding.severity == .info && finding.category == .serverProfile)
        #expect(finding.title == "Different server: Redis 7.0.15 vs Valkey 9.1.0")
    }

    @Test func refusedIntrospectionIsNotedPerEndpoint() throws {
        let found = findings(profile("A"), profile("B", refused: ["CONFIG GET", "INFO persistence"]))
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect(finding.endpoints == ["B"] && finding.severity == .info)
        #expect(finding.evidence == ["B: CONFIG GET -> refused", "B: INFO persistence -> refused"])
    }

    @Test func aScenarioCommandMissingOnOneSideIsAHighDifference() throws {
        let found = findings(
            profile("A", commands: ["GETDEL": true, "DELIFEQ": true, "HSETEX": nil]),
            profile("B", commands: ["GETDEL": true, "DELIFEQ": false, "HSETEX": true]),
            commands: ["GETDEL", "DELIFEQ", "HSETEX", "UNLISTED"])
        let finding = try #require(found.first)
        #expect(found.count == 1, "available, unchecked and unlisted commands are not findings")
        #expect(finding.category == .commandUnsupported && finding.severity == .high)
        #expect(finding.endpoints == ["B"] && finding.scope == nil)
        #expect(finding.evidence == ["COMMAND INFO DELIFEQ", "A: available", "B: unknown command"])
    }

    @Test func aCommandMissingOnBothIsSharedAndOneAlreadyReportedIsNotRepeated() {
        let a = profile("A", commands: ["DELIFEQ": false]), b = profile("B", commands: ["DELIFEQ": false])
        #expect(findings(a, b, commands: ["DELIFEQ"]).map(\.scope) == [.shared])
        #expect(findings(a, b, commands: ["DELIFEQ"], reported: ["DELIFEQ|A"]).map(\.endpoints) == [["A", "B"]])
        #expect(findings(a, b, commands: ["DELIFEQ"], reported: ["DELIFEQ|A", "DELIFEQ|B"]).isEmpty)
    }

    @Test func scriptingAndTransactionsAreCheckedOnlyWhenTheScenariosUseThem() throws {
        let a = profile("A", lua: false, multi: true), b = profile("B", lua: true, multi: nil)
        #expect(findings(a, b).isEmpty)
        let lua = try #require(findings(a, b, lua: true, multi: true).first)
        #expect(findings(a, b, lua: true, multi: true).count == 1, "an unchecked capability is not a finding")
        #expect(lua.title == "Lua scripting (EVAL) not working on A")
        #expect(lua.endpoints == ["A"] && lua.severity == .high && lua.scope == nil)
        let both = findings(profile("A", multi: false), profile("B", multi: false), multi: true)
        #expect(both.map(\.scope) == [.shared])
    }
}
