import NIOCore
import Testing
@testable import RedisAudit

@Suite("limit-data")
struct LimitDataTests {
    @Test func letsExactlyTheLimitThroughThenAsksForTheClose() {
        var chain = StreamStages()
        chain.add(LimitData.Limit(remaining: 7))
        let first = chain.cut(ByteBuffer(string: "abcd"))
        #expect(first.pieces.map { String(buffer: $0.bytes) } == ["abcd"] && !first.closeAfter)
        let second = chain.cut(ByteBuffer(string: "efghij"))
        #expect(second.pieces.map { String(buffer: $0.bytes) } == ["efg"] && second.closeAfter)
    }

    @Test func theTighterOfTwoLimitsHolds() {
        let cut = FaultFiring.cut("abcdefgh", through: [LimitData.Limit(remaining: 3), LimitData.Limit(remaining: 6)])
        #expect(cut.pieces == ["abc"] && cut.closeAfter)
    }

    @Test func limitsTheRequestStreamWithDirectionRequest() throws {
        let streams = try FaultFiring.streams("limit-data:bytes=4096,direction=request")
        #expect((streams.requestStages.first as? LimitData.Limit)?.remaining == 4096)
        #expect(streams.replyStages.isEmpty)
    }

    @Test func aNegativeLimitIsRefused() {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse("limit-data:bytes=-1") }
    }
}
