import RESP
import Testing

@testable import RedisAudit

/// The invariants a draft proposes from the state its flow leaves: keys it writes exist, with
/// their type and TTL; keys it deletes are missing; a set's members name keys of one pattern;
/// keys a script touches are left out. Without replies each write is taken to have succeeded.
@Suite("proposed invariants")
struct FlowInvariantsTests {
    /// The proposed checks of a flow of `commands` (each with its reply, or none).
    static func checks(_ commands: [([String], RESPValue?)]) -> [String] {
        RecordedFlows.draft(commands.map { RecordedFlows.command($0.0, $0.1) }).invariants.proposals.map(\.check)
    }

    @Test func theLoginLeavesItsTokenAndSessionWithTTLsAndTheSetNamesTheTokens() {
        let draft = RecordedFlows.draft(RecordedFlows.login)
        #expect(
            draft.invariants.proposals.map(\.check) == [
                #"exists: "sess:${userId}""#, #"type: "sess:${userId}", is: set"#, #"ttl: "sess:${userId}", min: 1"#,
                #"exists: "rt:${userId}:${tokenHash}""#, #"type: "rt:${userId}:${tokenHash}", is: string"#,
                #"ttl: "rt:${userId}:${tokenHash}", min: 1"#,
                #"members_have_keys: { set: "sess:${userId}", key: "rt:${userId}:${member}" }"#,
            ])
        #expect(draft.yaml.contains("# Invariants proposed from the flow's final state: review them.\ninvariants:\n"))
        #expect(draft.yaml.contains(#"  - { missing"#) == false)
    }

    @Test func theRefreshLeavesTheOldTokenMissing() {
        let checks = RecordedFlows.draft(RecordedFlows.refresh).invariants.proposals
        #expect(checks.first == .init(check: #"missing: "rt:${userId}:${tokenHash}""#, why: "the flow deletes it"))
        #expect(checks.contains { $0.check == #"exists: "rt:${userId}:${tokenHash_2}""# })
        #expect(checks.contains { $0.check.hasPrefix("members_have_keys") })
    }

    @Test func deletionsCountWhenTheReplySaysSomethingWasDeleted() {
        #expect(Self.checks([(["DEL", "a"], .integer(0))]) == [])
        #expect(Self.checks([(["DEL", "a"], .integer(1))]) == [#"missing: "a""#])
        #expect(Self.checks([(["DEL", "a"], nil)]) == [#"missing: "a""#], "without a reply: taken to have succeeded")
        #expect(Self.checks([(["UNLINK", "a", "b"], .integer(2))]) == [#"missing: "a""#, #"missing: "b""#])
        #expect(Self.checks([(["GETDEL", "a"], .bulk("v"))]) == [#"missing: "a""#])
        #expect(Self.checks([(["GETDEL", "a"], .null)]) == [])
        // Deleted, then written again: it exists.
        #expect(
            Self.checks([(["DEL", "a"], .integer(1)), (["SET", "a", "v"], .simpleString("OK"))])
                == [#"exists: "a""#, #"type: "a", is: string"#])
        // The last member removed: the set is gone.
        #expect(
            Self.checks([(["SADD", "s", "m"], .integer(1)), (["SREM", "s", "m"], .integer(1))])
                == [#"missing: "s""#])
    }

    @Test func ttlsFollowExpireSetAndPersist() {
        #expect(
            Self.checks([(["SET", "a", "v", "EX", "60"], .simpleString("OK"))])
                == [#"exists: "a""#, #"type: "a", is: string"#, #"ttl: "a", min: 1"#])
        // A SET without KEEPTTL drops the TTL; with it, keeps it.
        #expect(
            !Self.checks([(["SETEX", "a", "60", "v"], .simpleString("OK")), (["SET", "a", "w"], .simpleString("OK"))])
                .contains(#"ttl: "a", min: 1"#))
        #expect(
            Self.checks([
                (["SETEX", "a", "60", "v"], .simpleString("OK")), (["SET", "a", "w", "KEEPTTL"], .simpleString("OK")),
            ]).contains(#"ttl: "a", min: 1"#))
        #expect(
            !Self.checks([(["SETEX", "a", "60", "v"], .simpleString("OK")), (["PERSIST", "a"], .integer(1))])
                .contains(#"ttl: "a", min: 1"#))
        // EXPIRE that did not apply (reply 0) gives no TTL; SADD then EXPIRE does.
        #expect(Self.checks([(["EXPIRE", "a", "60"], .integer(0))]) == [])
        #expect(
            Self.checks([(["SADD", "s", "m"], .integer(1)), (["EXPIRE", "s", "60"], nil)])
                .contains(#"ttl: "s", min: 1"#))
        #expect(
            Self.checks([(["HSET", "h", "f", "v"], .integer(1)), (["GETEX", "h", "EX", "5"], .error("WRONGTYPE x"))])
                == [#"exists: "h""#, #"type: "h", is: hash"#])
    }

    @Test func membersHaveKeysOnlyWhenEveryMemberNamesAKeyOfOnePattern() {
        let a = RecordedFlows.token
        let b = RecordedFlows.newToken
        // Two tokens, both with their key.
        let both = Self.checks([
            (["SETEX", "rt:u1:\(a)", "60", "x"], .simpleString("OK")), (["SETEX", "rt:u1:\(b)", "60", "y"], .simpleString("OK")),
            (["SADD", "sess:u1", a, b], .integer(2)),
        ])
        #expect(both.contains { $0.hasPrefix("members_have_keys: { set: \"sess:u1\", key: \"rt:u1:${member}\"") }, "\(both)")
        // One token without a key: nothing proposed.
        let one = Self.checks([
            (["SETEX", "rt:u1:\(a)", "60", "x"], .simpleString("OK")), (["SADD", "sess:u1", a, b], .integer(2)),
        ])
        #expect(!one.contains { $0.hasPrefix("members_have_keys") })
        // A member that is only part of a longer word in a key does not count.
        let partial = Self.checks([(["SET", "item:42x", "v"], .simpleString("OK")), (["SADD", "ids", "42"], .integer(1))])
        #expect(!partial.contains { $0.hasPrefix("members_have_keys") })
        // A `$` member next to an escaped `$${` of the key would make a variable of the rest.
        #expect(FlowInvariants.replacing("$", in: "k:$${x}") == nil)
        #expect(FlowInvariants.replacing("${id}", in: "rt:${id}") == "rt:${member}")
        // A literal member names its key too.
        let literal = Self.checks([(["SET", "item:42", "v"], .simpleString("OK")), (["SADD", "ids", "42"], .integer(1))])
        #expect(literal.contains(#"members_have_keys: { set: "ids", key: "item:${member}" }"#))
    }

    @Test func keysAScriptTouchesAreLeftOutAndSaidSo() {
        let commands = [
            RecordedFlows.command(["SET", "a", "1"], .simpleString("OK")),
            RecordedFlows.command(["SET", "b", "1"], .simpleString("OK")),
            RecordedFlows.command(["EVAL", "return redis.call('DEL', KEYS[1])", "1", "a"], .integer(1)),
        ]
        let draft = RecordedFlows.draft(commands)
        #expect(draft.invariants.proposals.map(\.check) == [#"exists: "b""#, #"type: "b", is: string"#])
        #expect(draft.invariants.skipsScriptKeys)
        #expect(draft.yaml.contains("# Keys a script touches are left out: what a script does to them is not modelled."))
    }

    @Test func aMonitorCaptureTakesEachWriteToHaveSucceeded() throws {
        let commands = RecordedFlows.refresh.map { command in
            var command = command
            command.reply = nil
            return command
        }
        let draft = RecordedFlows.draft(commands)
        #expect(draft.yaml.contains("# The capture has no replies: each write is taken to have succeeded."))
        #expect(!draft.yaml.contains("expect: {"))
        #expect(draft.setup.isEmpty, "no reply shows what the flow started from")
        let checks = draft.invariants.proposals.map(\.check)
        #expect(checks.first == #"missing: "rt:${userId}:${rt_2}""#)
        #expect(checks.contains(#"members_have_keys: { set: "sess:${userId}", key: "rt:${userId}:${member}" }"#))
        _ = try ScenarioLoader.parse(yaml: draft.yaml, file: "monitor.yaml")
    }

    @Test func aFlowThatLeavesNothingProposesNothingAndStillLoads() throws {
        let draft = RecordedFlows.draft([RecordedFlows.command(["GET", "a"], .null)])
        #expect(draft.invariants.proposals.isEmpty)
        #expect(draft.yaml.contains("# None: the flow leaves no key it wrote or deleted."))
        let scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "nothing.yaml")
        #expect(scenario.invariants.isEmpty)
    }
}
