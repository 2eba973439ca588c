import Testing
@testable import RedisAudit

@Suite("kill-after")
struct KillAfterTests {
    @Test func forwardsThenKillsWhenTheReplyArrives() throws {
        let streams = try FaultFiring.streams("kill-after:EXPIRE")
        #expect(streams.fate == .killAfter(reset: false))
        #expect(streams.requestDelay == .zero && streams.replyDelay == .zero)
    }

    @Test func aSecondKillOnTheSameCommandDoesNotOverrule() throws {
        var streams = FaultFiring.blank
        var random = FaultRandom(seed: 1)
        KillBefore().fire(on: &streams, random: &random)
        KillAfter().fire(on: &streams, random: &random)
        #expect(streams.fate == .killBefore(reset: false))
    }
}
