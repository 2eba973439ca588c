import RESP
import Testing
@testable import RedisAudit

@Suite("drop")
struct DropTests {
    @Test func answersWithTheReplyInsteadOfForwarding() throws {
        #expect(try FaultFiring.streams("drop:DEL:reply=:1").fate == .answer(.integer(1)))
        #expect(try FaultFiring.streams("drop:DEL:reply=-ERR lost").fate == .answer(.error("ERR lost")))
    }

    @Test func withoutAReplyTheClientWaits() throws {
        #expect(try FaultFiring.streams("drop:DEL").fate == .answer(nil))
    }

    @Test func repliesKeepTheirColonsSpacesAndCommas() throws {
        #expect((try FaultRule.parse("drop:DEL:reply=+OK").fault as? Drop)?.reply == .simpleString("OK"))
        #expect((try FaultRule.parse("drop:DEL:reply=-ERR a, b,nth=2").fault as? Drop)?.reply == .error("ERR a, b"))
        #expect(try FaultRule.parse("drop:DEL:reply=-ERR a, b,nth=2").target.nth == 2)
    }
}
