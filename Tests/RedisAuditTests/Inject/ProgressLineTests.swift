import Foundation
import Testing
@testable import RedisAudit

/// Exploration and concurrent-trial progress: one line updated in place on a terminal (a real
/// pseudo-terminal from `script`), plain lines elsewhere, with no control character.
@Suite("exploration progress", .timeLimit(.minutes(2)), MachineLoad.light)
struct ProgressLineTests {
    @Test(.enabled(if: Fixtures.available(.redis70) && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalTheTrialsUpdateOneLineAndElsewhereEveryTenthIsALine() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let directory = try Fixtures.scratchDirectory("progress")
        defer { try? FileManager.default.removeItem(at: directory) }
        let command = "\(Fixtures.binary.path) inject \(server.url) --scenario login"
        let terminal = try await Fixtures.run(
            ["-c", "script -qec '\(command)' /dev/null"], directory: directory.path, timeout: 120, executable: "/bin/sh")
        #expect(terminal.status == 1, "\(terminal.stdout)")
        // The pseudo-terminal turns each newline into CR LF; an update is a CR after text instead.
        let frames = terminal.stdout.components(separatedBy: "\rredisaudit:   trial ").dropFirst()
        let inPlace = terminal.stdout.ranges(of: "\rredisaudit:   trial ").filter { range in
            range.lowerBound > terminal.stdout.startIndex
                && terminal.stdout[terminal.stdout.index(before: range.lowerBound)] != "\n"
        }
        #expect(frames.count >= 19, "one frame per trial: \(frames.count)")
        #expect(inPlace.count >= 18, "updates overwrite the line: \(inPlace.count)")
        #expect(terminal.stdout.contains("trial 20 of 20 on A"))
        #expect(terminal.stdout.contains("Full reports: redisaudit-inject.md"))

        let plain = try await Fixtures.run(["inject", server.url, "--scenario", "login"], timeout: 120)
        #expect(plain.status == 1)
        let trials = plain.stderr.split(separator: "\n").filter { $0.contains(" trial ") }
        #expect(trials.map { $0.split(separator: " ").dropFirst(2).first ?? "" } == ["10", "20"], "\(trials)")
        #expect(!plain.stderr.contains("\r") && !plain.stderr.contains("\u{1B}"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70) && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func compareConcurrentTrialsUpdateOneLineAndElsewhereOnlyTheLast() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let directory = try Fixtures.scratchDirectory("progress")
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["compare", server.url, server.url, "--scenario", "checkin-capacity", "--trials", "4"]
        let command = ([Fixtures.binary.path] + arguments).joined(separator: " ")
        let terminal = try await Fixtures.run(
            ["-c", "script -qec '\(command)' /dev/null"], directory: directory.path, timeout: 120, executable: "/bin/sh")
        // The race fails on both endpoints alike: a shared finding, which does not fail the run.
        #expect(terminal.status == 0, "\(terminal.stdout)")
        for trial in 1...4 {
            #expect(terminal.stdout.contains("\rredisaudit:   trial \(trial) of 4 of checkin-capacity on A and B, "))
        }
        #expect(terminal.stdout.contains("with a failing invariant so far"))

        let plain = try await Fixtures.run(arguments, timeout: 120)
        let trials = plain.stderr.split(separator: "\n").filter { $0.contains(" trial ") }
        #expect(trials.count == 1 && trials[0].contains("trial 4 of 4 of checkin-capacity"), "\(trials)")
        #expect(!plain.stderr.contains("\r") && !plain.stderr.contains("\u{1B}"))
    }
}
