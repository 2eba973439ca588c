import Foundation

/// A command line run with `/bin/sh -c` under a deadline (a `--restart-command`), its output
/// discarded: it is the user's own command, and may print anything, secrets included.
enum ShellCommand {
    /// Why the command did not succeed.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `command`, waiting at most `timeout`; throws unless it exits 0.
    static func run(_ command: String, timeout: Duration) async throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ["/bin/sh", "-c", command]
        var cArgv = argv.map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var cEnv = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &cArgv, &cEnv)
        guard spawned == 0 else { throw Failure(description: "cannot start /bin/sh: \(String(cString: strerror(spawned)))") }
        let deadline = ContinuousClock.now + timeout
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                // WIFEXITED / WEXITSTATUS, spelled out: the macros are not imported.
                let signal = status & 0x7f
                let code = (status >> 8) & 0xff
                if signal != 0 { throw Failure(description: "the restart command was killed by signal \(signal)") }
                if code != 0 { throw Failure(description: "the restart command exited with status \(code)") }
                return
            }
            if reaped == -1 {
                throw Failure(description: "lost track of the restart command: \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(description: "the restart command did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
