import Foundation
import Testing

@Suite("redisaudit proxy command line", .timeLimit(.minutes(2)))
struct ProxyCommandLineTests {
    @Test func aBadFaultRuleIsAUsageErrorThatShowsTheSyntax() async throws {
        let run = try await Fixtures.run(["proxy", "--upstream", "redis://127.0.0.1:1", "--fault", "kill-after:EXPIRE:when=later"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("kill-after has no parameter 'when'"), "\(run.stderr)")
        #expect(run.stderr.contains("KIND[:COMMAND][:param=value,...]"))
    }

    @Test func aBadListenAddressIsAUsageError() async throws {
        let run = try await Fixtures.run(["proxy", "--upstream", "redis://127.0.0.1:1", "--listen", "6380"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--listen must be HOST:PORT"))
    }
}
