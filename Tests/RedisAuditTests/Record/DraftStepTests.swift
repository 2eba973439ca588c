import Testing
@testable import RedisAudit

/// A flow's commands as steps: transactions, scripts (EVALSHA only when its body is known) and
/// commands a scenario cannot replay kept as comments.
@Suite("draft steps")
struct DraftStepTests {
    let c = CapturedFlowTests.command

    @Test func sha1MatchesWhatRedisAnswersToScriptLoad() {
        // Redis 7.0 answered SCRIPT LOAD "return 1" with this digest.
        #expect(ScriptDigest.sha1(Array("return 1".utf8)) == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
        #expect(ScriptDigest.sha1([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(ScriptDigest.sha1(Array(repeating: 0x61, count: 1_000)) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
        // Padding edges: 55 bytes fit one block with the length, 56 and 64 do not.
        #expect(ScriptDigest.sha1(Array(repeating: 0x61, count: 55)) == "c1c8bbdc22796e28c0e15163d20899b65621d65a")
        #expect(ScriptDigest.sha1(Array(repeating: 0x61, count: 56)) == "c2db330f6083854c99d4b5bfb6e8f29f201be699")
        #expect(ScriptDigest.sha1(Array(repeating: 0x61, count: 64)) == "0098ba824b5c16427bd7a1122a5a442a25ec644d")
    }

    @Test func transactionsScriptsAndComments() throws {
        let body = "return redis.call('GET', KEYS[1])"
        let sha = ScriptDigest.sha1(Array(body.utf8))
        let commands = [
            c(1, "a", "SCRIPT", "LOAD", body),
            c(1, "a", "MULTI"), c(1, "a", "SET", "k", "v"), c(1, "a", "INCR", "n"), c(1, "a", "EXEC"),
            c(1, "a", "EVAL", "return ARGV[1]", "1", "k1", "a1", "a2"),
            c(1, "a", "EVALSHA", sha.uppercased(), "1", "k2"),
            c(1, "a", "EVALSHA", String(repeating: "f", count: 40), "0"),
            c(1, "a", "FLUSHALL"),
            c(1, "a", "MULTI"), c(1, "a", "SET", "k", "v"), c(1, "a", "DISCARD"),
        ]
        let flow = CapturedFlow.split(commands)[0]
        let steps = DraftStep.steps(of: flow, scripts: DraftStep.knownScripts(commands))
        #expect(steps.count == 6)
        guard case .transaction(let queued) = steps[0] else { Issue.record("\(steps[0])"); return }
        #expect(queued.map(\.name) == ["SET", "INCR"])
        guard case .script(let evalBody, let keys, let args, _) = steps[1] else { Issue.record("\(steps[1])"); return }
        #expect(evalBody == Array("return ARGV[1]".utf8) && keys == [Array("k1".utf8)] && args.count == 2)
        guard case .script(let loaded, let shaKeys, _, _) = steps[2] else { Issue.record("\(steps[2])"); return }
        #expect(loaded == Array(body.utf8) && shaKeys == [Array("k2".utf8)])
        guard case .comment(let unknown, _) = steps[3] else { Issue.record("\(steps[3])"); return }
        #expect(unknown.contains("is unknown"))
        guard case .comment(let refused, _) = steps[4] else { Issue.record("\(steps[4])"); return }
        #expect(refused.contains("refuses"))
        guard case .comment(let discarded, _) = steps[5] else { Issue.record("\(steps[5])"); return }
        #expect(discarded.contains("discarded"))
    }

    @Test func strayAndNestedTransactionCommandsAreComments() {
        let commands = [
            c(1, "a", "EXEC"), c(1, "a", "MULTI"), c(1, "a", "MULTI"), c(1, "a", "SET", "k", "v"), c(1, "a", "EXEC"),
            c(1, "a", "DISCARD"),
        ]
        let steps = DraftStep.steps(of: CapturedFlow(client: "a", commands: commands), scripts: [:])
        let reasons = steps.map { step -> String in
            if case .comment(let reason, _) = step { return reason }
            return "a step"
        }
        #expect(
            reasons == [
                "EXEC without a MULTI before it in the flow", "a transaction with a MULTI inside it",
                "DISCARD without a MULTI before it in the flow",
            ])
    }

    @Test func anArgumentThatIsNotTextIsKeptAsAComment() {
        let command = CapturedCommand(
            time: 1, client: "a", arguments: [Array("SET".utf8), Array("k".utf8), [0xFF, 0x00]],
            location: SourceLocation(file: "c", line: 1))
        let steps = DraftStep.steps(of: CapturedFlow(client: "a", commands: [command]), scripts: [:])
        guard case .comment(let reason, _) = steps.first else { Issue.record("\(steps)"); return }
        #expect(reason.contains("not UTF-8"))
    }
}
