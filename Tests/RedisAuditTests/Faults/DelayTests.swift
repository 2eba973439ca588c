import NIOCore
import Testing
@testable import RedisAudit

@Suite("delay")
struct DelayTests {
    @Test func holdsTheReplyByDefault() throws {
        let streams = try FaultFiring.streams("delay:GET:ms=1500")
        #expect(streams.replyDelay == .milliseconds(1500) && streams.requestDelay == .zero)
        #expect(streams.fate == .forward)
    }

    @Test func holdsTheCommandWithDirectionRequest() throws {
        let streams = try FaultFiring.streams("delay:SET:ms=10,direction=request")
        #expect(streams.requestDelay == .milliseconds(10) && streams.replyDelay == .zero)
    }

    @Test func delaysAddUp() {
        var streams = FaultFiring.blank
        var random = FaultRandom(seed: 1)
        Delay(duration: .milliseconds(5), holdsRequest: false).fire(on: &streams, random: &random)
        Delay(duration: .milliseconds(7), holdsRequest: false).fire(on: &streams, random: &random)
        #expect(streams.replyDelay == .milliseconds(12))
    }

    @Test(arguments: ["delay:GET", "delay:GET:ms=soon", "delay:GET:ms=1,direction=sideways"])
    func badParametersAreRefused(rule: String) {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse(rule) }
    }
}
