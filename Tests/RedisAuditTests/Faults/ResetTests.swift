import Testing
@testable import RedisAudit

@Suite("reset")
struct ResetTests {
    @Test func resetsBeforeTheCommandByDefault() throws {
        #expect(try FaultFiring.streams("reset:SREM").fate == .killBefore(reset: true))
    }

    @Test func resetsAfterTheCommandWithWhenAfter() throws {
        #expect(try FaultFiring.streams("reset:SREM:when=after").fate == .killAfter(reset: true))
        #expect((try FaultRule.parse("reset:SREM:when=after").fault as? Reset)?.afterCommand == true)
    }

    @Test func anUnknownWhenIsRefused() {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse("reset:when=later") }
    }
}
