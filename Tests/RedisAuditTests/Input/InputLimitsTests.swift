import Foundation
import Testing
@testable import RedisAudit

@Suite("Input limits")
struct InputLimitsTests {
    @Test("a flag beats the config file's limits:, which beats the default")
    func resolution() throws {
        let config = try AuditConfig.parse(
            yaml: "limits:\n  max-steps: 50\n  max-file-bytes: 1000\n  max-reply-bytes: 2048\n", file: "c.yaml", directory: "/tmp"
        )
        #expect(config.limits == ["max-steps": 50, "max-file-bytes": 1000, "max-reply-bytes": 2048])
        let limits = InputLimits.resolved(["max-steps": 7], config: config.limits)
        #expect(limits.maxSteps == 7)
        #expect(limits.maxFileBytes == 1000)
        #expect(limits.maxArgumentBytes == InputLimits.defaults.maxArgumentBytes)
        #expect(InputLimits.configKeys.count == InputLimits.settings.count + 2)
    }

    @Test("scenarios validate takes the limits as flags and exits 2 past them")
    func commandLine() async throws {
        let path = try Fixtures.scenarioFile(variableBomb(levels: 4))
        let ok = try await Fixtures.run(["scenarios", "validate", path])
        #expect(ok.status == 0, "\(ok.stderr)")
        let small = try await Fixtures.run(["scenarios", "validate", "--max-argument-bytes", "999", path])
        #expect(small.status == 2)
        #expect(
            small.stderr.contains("\(path):5: variable 'v2' expands to 1000 bytes, more than --max-argument-bytes (999)"),
            "\(small.stderr)")
        let file = try await Fixtures.run(["scenarios", "validate", "--max-file-bytes", "10", path])
        #expect(file.status == 2)
        #expect(file.stderr.contains("\(path): the file is"), "\(file.stderr)")
        let zero = try await Fixtures.run(["scenarios", "validate", "--max-steps", "0", path])
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--max-steps must be at least 1"), "\(zero.stderr)")
    }
}
