import Foundation
import Testing
@testable import RedisAudit

/// Commands one endpoint does not run (denied to the user, unknown) are one finding per command,
/// not a reply mismatch at every step that uses them.
@Suite("commands one side does not run", .timeLimit(.minutes(2)), MachineLoad.light)
struct CommandAccessTests {
    static let writes = """
        name: session-writes
        summary: Writes a session and reads it back.
        steps:
          - command: [SET, "session:1", "x", EX, 600]
            on_error: continue
          - command: [GET, "session:1"]
          - command: [SADD, "sess:1", "t1"]
            on_error: continue
          - command: [SET, "session:2", "y"]
            on_error: continue
        """

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aReadOnlyUserGetsOneDeniedFindingPerCommand() async throws {
        let a = try await TestServer.start(.redis70)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let reader = try await a.user("reader", password: "reader-pw-3", "+@all", "-@write")
        let scenario = try ScenarioLoader.load(contentsOf: try Fixtures.scenarioFile(Self.writes))
        let report = try await Fixtures.compare(reader, b.endpoint, scenarios: [scenario])

        let denied = report.findings.filter { $0.category == .commandDenied }
        #expect(
            denied.map(\.title).sorted() == [
                "SADD is denied to the audit's user on A (NOPERM)", "SET is denied to the audit's user on A (NOPERM)",
            ])
        let set = try #require(denied.first { $0.title.hasPrefix("SET") })
        #expect(set.occurrences == 2)
        #expect(set.endpoints == ["A"])
        #expect(set.severity == .high)
        #expect(set.evidence.contains { $0.hasPrefix("ACL categories of SET: ") && $0.contains("@write") })
        // The GET that reads what SET could not write differs, but only as a consequence.
        #expect(report.findings.contains { $0.category == .replyMismatch })
        for finding in report.findings where finding.category == .replyMismatch || finding.category == .keyPattern {
            #expect(finding.severity == .low, "\(finding.title)")
            #expect(finding.evidence.contains { $0.hasPrefix("follows from SET on A") })
        }
        #expect(!report.findings.contains { $0.category == .commandUnsupported })
        let profile = try #require(report.profiles.first { $0.role == "A" })
        #expect(profile.denied == ["SADD", "SET"])
        #expect(MarkdownReport.render(report).contains("| commands missing ≠ | denied: SADD, SET | none |"))
        #expect(!MarkdownReport.render(report).contains("reader-pw-3"))
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func aCommandTheOldServerDoesNotKnowIsOneUnsupportedFinding() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        // EXPIRETIME is new in Redis 7.0.
        let scenario = try ScenarioLoader.load(
            contentsOf: try Fixtures.scenarioFile(
                """
                name: expiretime
                summary: Reads a session's absolute expiry twice.
                steps:
                  - command: [SET, "session:1", "x", EX, 600]
                  - command: [EXPIRETIME, "session:1"]
                    on_error: continue
                  - command: [EXPIRETIME, "session:1"]
                    on_error: continue
                """))
        let report = try await Fixtures.compare(a, b, scenarios: [scenario])
        let unsupported = report.findings.filter { $0.category == .commandUnsupported }
        #expect(unsupported.map(\.title) == ["EXPIRETIME is not supported on A (unknown command)"])
        #expect(unsupported.first?.occurrences == 2)
        #expect(unsupported.first?.scope == .difference)
        #expect(!report.findings.contains { $0.category == .replyMismatch && $0.severity > .low })
    }
}
