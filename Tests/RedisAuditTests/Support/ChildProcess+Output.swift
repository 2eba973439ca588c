import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension ChildProcess {
    /// Waits until standard error has `count` lines that satisfy `predicate`, woken by each
    /// write to it (inotify) rather than by a clock; returns those lines (fewer after `timeout`
    /// seconds, or once the child has exited).
    func stderrLines(
        count: Int = 1, timeout: Double, where predicate: @escaping @Sendable (Substring) -> Bool
    ) async -> [Substring] {
        await withCheckedContinuation { continuation in
            Self.onThreadOfItsOwn {
                continuation.resume(returning: self.waitForStderrLines(count: count, timeout: timeout, where: predicate))
            }
        }
    }

    private func waitForStderrLines(count: Int, timeout: Double, where predicate: (Substring) -> Bool) -> [Substring] {
        let deadline = Date().addingTimeInterval(timeout)
        // Watching before the first read: a write between the read and the wait still wakes us.
        let watch = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { close(watch) }
        _ = inotify_add_watch(watch, stderrPath, UInt32(IN_MODIFY))
        var drain = [UInt8](repeating: 0, count: 4096)
        while true {
            let lines = stderr.split(separator: "\n").filter(predicate)
            let left = deadline.timeIntervalSinceNow
            if lines.count >= count || left <= 0 || !isRunning { return lines }
            var ready = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)
            // At most a second between looks: the child may exit without another write.
            _ = poll(&ready, 1, Int32(min(left, 1) * 1000))
            _ = read(watch, &drain, drain.count)
        }
    }
}
