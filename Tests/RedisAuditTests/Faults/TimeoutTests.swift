import NIOCore
import Testing
@testable import RedisAudit

@Suite("timeout")
struct TimeoutTests {
    @Test func zeroIsABlackHoleThatNeverCloses() throws {
        #expect(try FaultFiring.streams("timeout:ms=0").silence == .untilClosed)
    }

    @Test func otherwiseBothConnectionsCloseAfterTheDuration() throws {
        #expect(try FaultFiring.streams("timeout:GET:ms=300").silence == .closingAfter(.milliseconds(300)))
    }

    @Test(arguments: ["timeout", "timeout:ms=10,direction=reply"])
    func badParametersAreRefused(rule: String) {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse(rule) }
    }
}
