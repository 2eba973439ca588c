import NIOCore
import Testing
@testable import RedisAudit

@Suite("latency")
struct LatencyTests {
    @Test func withoutJitterEveryReplyIsHeldTheSame() throws {
        #expect(try FaultFiring.streams("latency:ms=20").replyDelay == .milliseconds(20))
    }

    @Test func jitterStaysWithinBoundsAndVaries() {
        let latency = Latency(milliseconds: 20, jitter: 5)
        var random = FaultRandom(seed: 9)
        var seen = Set<Int64>()
        for _ in 0..<200 {
            var streams = FaultFiring.blank
            latency.fire(on: &streams, random: &random)
            seen.insert(streams.replyDelay.nanoseconds / 1_000_000)
        }
        #expect(seen.allSatisfy { (15...25).contains($0) })
        #expect(seen.count > 5)
    }

    @Test func aNegativeLatencyIsRefused() {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse("latency:ms=-4") }
    }
}
