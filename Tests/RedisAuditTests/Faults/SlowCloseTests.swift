import NIOCore
import Testing
@testable import RedisAudit

@Suite("slow-close")
struct SlowCloseTests {
    @Test func passesACloseOnLate() throws {
        let streams = try FaultFiring.streams("slow-close:ms=50")
        #expect(streams.slowClose == .milliseconds(50))
        #expect(streams.fate == .forward && streams.silence == nil)
    }

    @Test func needsADuration() {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse("slow-close:GET:ms=x") }
    }
}
