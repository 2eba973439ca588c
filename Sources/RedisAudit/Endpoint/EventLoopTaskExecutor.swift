import NIOCore

/// Runs a task's jobs on one NIO event loop, so a client that awaits replies on its own
/// connection never leaves that connection's thread: its writes go straight into the channel
/// and each reply resumes it in place, instead of two thread hops per command.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
