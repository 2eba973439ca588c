import NIOCore
import Testing
@testable import RedisAudit

@Suite("down")
struct DownTests {
    @Test func restartsTheServerForTheDuration() throws {
        #expect(try FaultFiring.streams("down:EXEC:ms=2000").fate == .restartServer(.milliseconds(2000)))
    }

    @Test func untargetedItFiresOnceInTheRun() {
        #expect(Down.untargeted == .firstCommandOfRun)
    }

    @Test func needsADuration() {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse("down:EXEC") }
    }
}
