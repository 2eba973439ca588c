import Testing
@testable import RedisAudit

@Suite("kill-before")
struct KillBeforeTests {
    @Test func killsBeforeTheCommandWithoutAReset() throws {
        #expect(try FaultFiring.streams("kill-before:GET").fate == .killBefore(reset: false))
    }

    @Test func takesNoParameters() {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse("kill-before:GET:ms=1") }
    }
}
