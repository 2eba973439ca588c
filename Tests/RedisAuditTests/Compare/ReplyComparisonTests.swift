import RESP
import Testing
@testable import RedisAudit

@Suite("Reply comparison")
struct ReplyComparisonTests {
    private func compare(_ a: RESPValue, _ b: RESPValue, _ command: String, tolerance: Double = 2) -> ReplyComparison.Difference {
        ReplyComparison.compare(a, b, command: command, toleranceSeconds: tolerance)
    }

    @Test func identicalRepliesAreTheSame() {
        #expect(compare(.integer(1), .integer(1), "SADD") == .none)
        #expect(compare(.bulk("v"), .bulk("v"), "GET") == .none)
    }

    @Test func successAgainstErrorIsTheWorstValueDifference() {
        #expect(
            compare(.integer(1), .error("ERR wrong number of arguments for 'expire' command"), "EXPIRE") == .successVersusError)
    }

    @Test func errorsAreComparedByClass() {
        #expect(compare(.error("ERR unknown command 'X'"), .error("ERR unknown command `X`, with args"), "X") == .messageOnly)
        #expect(compare(.error("WRONGTYPE Operation"), .error("ERR something"), "GET") == .errorClass)
    }

    @Test func setRepliesIgnoreOrderButNotContent() {
        let ab = RESPValue.array([.bulk("a"), .bulk("b")])
        let ba = RESPValue.array([.bulk("b"), .bulk("a")])
        #expect(compare(ab, ba, "SMEMBERS") == .none)
        #expect(compare(ab, ba, "LRANGE") == .value)
        #expect(compare(ab, .array([.bulk("a")]), "SMEMBERS") == .value)
    }

    @Test func hgetallKeepsFieldValuePairs() {
        let one = RESPValue.array([.bulk("f1"), .bulk("x"), .bulk("f2"), .bulk("y")])
        let reordered = RESPValue.array([.bulk("f2"), .bulk("y"), .bulk("f1"), .bulk("x")])
        let swapped = RESPValue.array([.bulk("f1"), .bulk("y"), .bulk("f2"), .bulk("x")])
        #expect(compare(one, reordered, "HGETALL") == .none)
        #expect(compare(one, swapped, "HGETALL") == .value)
    }

    @Test func ttlRepliesUseTheTolerance() {
        #expect(compare(.integer(604800), .integer(604799), "TTL") == .none)
        #expect(compare(.integer(604800), .integer(604790), "TTL") == .value)
        #expect(compare(.integer(60000), .integer(58500), "PTTL") == .none)
        #expect(compare(.integer(60000), .integer(57000), "PTTL") == .value)
        #expect(compare(.integer(-1), .integer(100), "TTL") == .value)
    }

    @Test func randomRepliesAreComparedByTypeOnly() {
        #expect(compare(.bulk("a"), .bulk("b"), "SRANDMEMBER") == .none)
        #expect(compare(.bulk("a"), .null, "SRANDMEMBER") == .value)
    }

    @Test func execElementsUseTheirCommandsRules() {
        let a = RESPValue.array([.integer(1), .array([.bulk("x"), .bulk("y")])])
        let b = RESPValue.array([.integer(1), .array([.bulk("y"), .bulk("x")])])
        #expect(ReplyComparison.compare(a, b, command: "EXEC", inner: ["SADD", "SMEMBERS"], toleranceSeconds: 2) == .none)
        #expect(ReplyComparison.compare(a, b, command: "EXEC", inner: ["SADD", "LRANGE"], toleranceSeconds: 2) == .value)
    }

    @Test func transportFailureOnOneSide() {
        let d = ReplyComparison.compare(
            .reply(.integer(1)), .failed(.timeout(milliseconds: 10)), command: "INCR", toleranceSeconds: 2)
        #expect(d == .transport)
    }

    @Test func aLearnedCommandsRepliesCompareByItsLearnedFlags() {
        let a = RESPValue.array([.bulk("x"), .bulk("y")]), b = RESPValue.array([.bulk("y"), .bulk("x")])
        // Unknown to the table and not learned: compared exactly.
        #expect(compare(a, b, "HMEMBERS") == .value)
        let learned = LearnedCommand(
            name: "HMEMBERS", arity: 2, keys: .none, flags: [.readonly, .setReply], knownOn: ["A", "B"], answers: [:],
            describedBy: "COMMAND INFO on A")
        let catalog = CommandCatalog(learned: ["HMEMBERS": learned], unavailable: [:], roles: ["A", "B"], locator: nil)
        #expect(ReplyComparison.compare(a, b, command: "HMEMBERS", toleranceSeconds: 2, catalog: catalog) == .none)
    }
}
