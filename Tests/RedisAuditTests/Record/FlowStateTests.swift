import RESP
import Testing

@testable import RedisAudit

/// The flow model: what a recorded flow's replies show of its keys before it wrote them (the
/// draft's setup step), and the replies a replay that starts from that state gets.
@Suite("flow model")
struct FlowStateTests {
    static func c(_ arguments: [String], _ reply: RESPValue?) -> CapturedCommand { RecordedFlows.command(arguments, reply) }

    /// The setup commands a recorded flow of `commands` needs, as text.
    static func setup(_ commands: [CapturedCommand]) -> [[String]] {
        var state = FlowState.discovering()
        for command in commands { state.apply(command) }
        return state.starting.setupCommands.map { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    @Test func repliesShowWhatTheFlowStartedFrom() {
        let c = Self.c
        #expect(Self.setup([c(["GET", "a"], .bulk("x"))]) == [["SET", "a", "x"]])
        #expect(Self.setup([c(["GET", "a"], .null)]) == [])
        #expect(
            Self.setup([c(["SREM", "s", "m"], .integer(1)), c(["SISMEMBER", "s", "n"], .integer(1))])
                == [["SADD", "s", "m", "n"]])
        #expect(Self.setup([c(["SADD", "s", "m"], .integer(0))]) == [["SADD", "s", "m"]], "0: it was there")
        #expect(Self.setup([c(["SADD", "s", "m"], .integer(1))]) == [], "1: it was not")
        #expect(Self.setup([c(["HGET", "h", "f"], .bulk("v"))]) == [["HSET", "h", "f", "v"]])
        #expect(Self.setup([c(["INCR", "n"], .integer(7))]) == [["SET", "n", "6"]])
        #expect(Self.setup([c(["INCRBY", "n", "5"], .integer(5))]) == [], "0 or missing: the same to INCR")
        #expect(Self.setup([c(["TTL", "t"], .integer(300))]) == [["SET", "t", "placeholder"], ["EXPIRE", "t", "300"]])
        #expect(Self.setup([c(["PTTL", "t"], .integer(1500))]) == [["SET", "t", "placeholder"], ["PEXPIRE", "t", "1500"]])
        // The key existed, and the flow uses it as a set: the placeholder is a set.
        #expect(
            Self.setup([c(["EXPIRE", "e", "60"], .integer(1)), c(["SADD", "e", "x"], .integer(1))])
                == [["SADD", "e", "placeholder"]])
        #expect(Self.setup([c(["DEL", "d"], .integer(1))]) == [["SET", "d", "placeholder"]])
        // A typed read that worked, before the key is shown to exist, gives its type too.
        #expect(
            Self.setup([c(["SCARD", "e"], .integer(2)), c(["DEL", "e"], .integer(1))]) == [["SADD", "e", "placeholder"]])
        // WRONGTYPE: the key was there, of another type, until a reply shows which.
        #expect(Self.setup([c(["GET", "w"], .error("WRONGTYPE Operation"))]) == [["SADD", "w", "placeholder"]])
        #expect(Self.setup([c(["SADD", "w", "m"], .error("WRONGTYPE Operation"))]) == [["SET", "w", "placeholder"]])
        #expect(
            Self.setup([c(["GET", "w"], .error("WRONGTYPE Operation")), c(["HGET", "w", "f"], .null)])
                == [["HSET", "w", "placeholder", "1"]])
        #expect(Self.setup([c(["SET", "w", "v", "GET"], .error("WRONGTYPE Operation"))]) == [["SADD", "w", "placeholder"]])
        // SET NX answered nil: the key was there.
        #expect(Self.setup([c(["SET", "x", "v", "NX"], .null)]) == [["SET", "x", "placeholder"]])
        #expect(Self.setup([c(["TYPE", "d"], .simpleString("hash"))]) == [["HSET", "d", "placeholder", "1"]])
    }

    @Test func repliesAboutWhatTheFlowItselfWroteOrCannotTellShowNothing() {
        let c = Self.c
        #expect(Self.setup([c(["SET", "a", "v"], .simpleString("OK")), c(["GET", "a"], .bulk("v"))]) == [])
        // The members the flow did not add were there before it.
        #expect(
            Self.setup([c(["SADD", "s", "m"], .integer(1)), c(["SMEMBERS", "s"], .array([.bulk("m"), .bulk("o")]))])
                == [["SADD", "s", "o"]])
        // SADD of two members answering 1 does not say which one was new.
        #expect(Self.setup([c(["SADD", "s", "a", "b"], .integer(1)), c(["SISMEMBER", "s", "c"], .integer(1))]) == [])
        // Without a reply nothing is shown, and later replies cannot be told from the flow's own change.
        #expect(Self.setup([c(["SADD", "s", "m"], nil), c(["SISMEMBER", "s", "o"], .integer(1))]) == [])
        // A value that is not text cannot be written in a scenario.
        #expect(Self.setup([c(["GET", "a"], .bulkString([0xFF, 0x00]))]) == [])
        // A script's effect is not followed.
        var state = FlowState.discovering()
        state.applyScript(keys: [Array("a".utf8)])
        state.apply(c(["GET", "a"], .bulk("x")))
        #expect(state.starting.setupCommands.isEmpty)
    }

    @Test func aReplayFromTheStartingStatePredictsItsReplies() {
        let c = Self.c
        let recorded = [
            c(["GET", "old"], .bulk("v")), c(["SREM", "s", "old"], .integer(1)), c(["SETEX", "new", "60", "w"], nil),
        ]
        var discovery = FlowState.discovering()
        for command in recorded { discovery.apply(command) }
        var replay = FlowState.replaying(from: discovery.starting)
        func next(_ command: CapturedCommand) -> RESPValue? {
            defer { replay.apply(command) }
            return replay.predictedReply(command)
        }
        #expect(next(c(["GET", "old"], nil)) == .bulk("v"))
        #expect(next(c(["SISMEMBER", "s", "old"], nil)) == .integer(1))
        #expect(next(c(["SREM", "s", "old"], nil)) == .integer(1))
        #expect(next(c(["EXISTS", "s"], nil)) == .integer(0), "its last member removed")
        #expect(next(c(["SETEX", "new", "60", "w"], nil)) == .simpleString("OK"))
        #expect(next(c(["TTL", "new"], nil)) == .integer(60))
        #expect(next(c(["SET", "new", "x", "NX"], nil)) == .null)
        #expect(next(c(["SET", "new", "x", "XX"], nil)) == .simpleString("OK"))
        #expect(next(c(["TTL", "new"], nil)) == .integer(-1), "a SET without KEEPTTL drops the TTL")
        #expect(next(c(["HSET", "h", "a", "1", "b", "2"], nil)) == .integer(2))
        #expect(next(c(["HSET", "h", "a", "3"], nil)) == .integer(0))
        #expect(next(c(["HGETALL", "h"], nil)) == .array([.bulk("a"), .bulk("3"), .bulk("b"), .bulk("2")]))
        #expect(next(c(["INCR", "n"], nil)) == .integer(1))
        #expect(next(c(["DEL", "old", "new", "n"], nil)) == .integer(3))
        #expect(next(c(["DEL", "old", "new"], nil)) == .integer(0))
        #expect(next(c(["TYPE", "h"], nil)) == .simpleString("hash"))
        #expect(next(c(["RPUSH", "l", "x"], nil)) == nil, "lists are not followed")
        #expect(next(c(["EXPIRE", "l", "10"], nil)) == .integer(1), "but that the list exists is")
        #expect(next(c(["LLEN", "l"], nil)) == nil)
    }

    @Test func aTransactionsCommandsGetTheirElementOfExecsReply() {
        let c = Self.c
        let flow = CapturedFlow(
            client: "a",
            commands: [
                c(["MULTI"], .simpleString("OK")), c(["INCR", "n"], .simpleString("QUEUED")),
                c(["GET", "n"], .simpleString("QUEUED")), c(["EXEC"], .array([.integer(1), .bulk("1")])),
                c(["MULTI"], .simpleString("OK")), c(["INCR", "n"], .simpleString("QUEUED")), c(["EXEC"], .nullArray),
            ])
        let steps = DraftStep.steps(of: flow, scripts: [:])
        #expect(steps.count == 2)
        #expect(steps[0].commands.map(\.reply) == [.integer(1), .bulk("1")])
        #expect(steps[1].commands.map(\.reply) == [nil], "a transaction a WATCH aborted: no reply")
    }
}
