import Foundation

/// A child process started with posix_spawn and reaped with waitpid, its output captured
/// in files. Tests use it instead of Foundation's Process, whose exit notification can be
/// missed on Linux when waited for from a concurrency thread (the test then hangs).
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    private var status: Int32?
    /// True when waitpid said the child was no longer ours to wait for.
    private(set) var reapedElsewhere = false

    /// Starts `executable` with `arguments`; `environment` entries are added to ours.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-child-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stdoutPath = scratch.appendingPathComponent("stdout").path
        stderrPath = scratch.appendingPathComponent("stderr").path

        var program = executable
        var argv = [executable] + arguments
        if let directory {
            // cd first, then exec the program with its arguments.
            program = "/bin/sh"
            argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, executable] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envp = env.map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else of ours: a child must not keep the test process's sockets open (a
        // listening socket a test closes would otherwise go on accepting in the child).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = envp.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        // The child starts with no signal blocked and default dispositions: the test runner's
        // threads block some (SIGTERM among them), and a child inherits the mask, so a script's
        // `kill` of its own servers would otherwise do nothing and its `wait` would never end.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let result = posix_spawn(&child, program, &actions, &attributes, &cArgv, &cEnv)
        guard result == 0 else {
            throw TestServerError.notReady("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc does not export.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// True until the child has exited (and been reaped).
    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            status = exitCode(raw)
            return false
        }
        if r == -1 {
            if errno == EINTR { return true }
            // ECHILD: something else reaped it (the status is lost). It has exited all the same.
            reapedElsewhere = true
            status = status ?? -1
            return false
        }
        return true
    }

    /// Waits up to `timeout` seconds; returns the exit code, or nil if still running.
    @discardableResult
    func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() > deadline { return nil }
            usleep(5_000)
        }
        return status
    }

    /// `wait(timeout:)` from async code: the polling happens on a thread of its own, not on the
    /// concurrency pool (two threads on a 2-core machine), which other tests' I/O needs.
    func finish(timeout: Double) async -> Int32? {
        await withCheckedContinuation { continuation in
            Self.onThreadOfItsOwn { continuation.resume(returning: self.wait(timeout: timeout)) }
        }
    }

    /// Runs a blocking wait on a thread of its own. Not on Dispatch's global queue: on Linux its
    /// pool has one thread a core and adds another only once a second while they are blocked, so
    /// with a few waits in flight each later one started a second after the one before.
    static func onThreadOfItsOwn(_ wait: @escaping @Sendable () -> Void) {
        let thread = Thread(block: wait)
        thread.name = "ChildProcess wait"
        thread.start()
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds (at once for 0); always reaps it.
    func stop(grace: Double = 5) {
        guard isRunning else { return }
        kill(pid, grace > 0 ? SIGTERM : SIGKILL)
        if wait(timeout: max(grace, 5)) == nil {
            kill(pid, SIGKILL)
            wait(timeout: 5)
        }
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    private func exitCode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
