/// Decides which of an exploration's trials may start: up to `jobs` at once, in plan order, and
/// a trial that must run alone (a server fault pauses or blocks every client of the endpoint,
/// other trials' too) only once the trials before it are done, with none started beside it.
struct TrialScheduler {
    /// Per trial, in plan order: true when it must run alone.
    let alone: [Bool]
    /// How many trials may run at once.
    let jobs: Int
    /// Trials started so far (they start in plan order).
    private(set) var started = 0
    /// Trials finished so far.
    private(set) var finished = 0

    init(alone: [Bool], jobs: Int) {
        self.alone = alone
        self.jobs = max(1, jobs)
    }

    /// Trials running now.
    var running: Int { started - finished }
    /// True once every trial finished.
    var isDone: Bool { finished == alone.count }

    /// The trials that may start now, marked as started.
    mutating func startable() -> Range<Int> {
        let first = started
        while started < alone.count, running < jobs {
            if alone[started], running > 0 { break }
            if running > 0, alone[started - 1] { break }
            started += 1
        }
        return first..<started
    }

    /// One running trial finished.
    mutating func finish() {
        precondition(running > 0, "a trial finished that never started")
        finished += 1
    }
}
