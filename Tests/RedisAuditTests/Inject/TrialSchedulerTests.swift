import Testing
@testable import RedisAudit

/// Which trials may start together: the jobs limit, plan order, and server-fault trials alone.
@Suite("trial scheduler")
struct TrialSchedulerTests {
    /// Runs the scheduler to the end, finishing the oldest running trial each time, and returns
    /// the trials that started together at each turn.
    static func turns(_ alone: [Bool], jobs: Int) -> [[Int]] {
        var scheduler = TrialScheduler(alone: alone, jobs: jobs)
        var turns: [[Int]] = []
        while !scheduler.isDone {
            let started = Array(scheduler.startable())
            if !started.isEmpty { turns.append(started) }
            #expect(scheduler.running > 0, "a turn with nothing running would never end")
            scheduler.finish()
        }
        return turns
    }

    @Test func ordinaryTrialsRunUpToTheJobsLimitInPlanOrder() {
        #expect(Self.turns([false, false, false, false, false], jobs: 2) == [[0, 1], [2], [3], [4]])
        #expect(Self.turns([false, false, false], jobs: 8) == [[0, 1, 2]])
        #expect(Self.turns([false, false], jobs: 0) == [[0], [1]], "jobs below 1 still runs one at a time")
    }

    @Test func aServerFaultTrialWaitsForTheOthersAndRunsAlone() {
        var scheduler = TrialScheduler(alone: [false, false, true, false, false], jobs: 4)
        #expect(scheduler.startable() == 0..<2, "the server fault does not start beside running trials")
        scheduler.finish()
        #expect(scheduler.startable().isEmpty, "one trial before it still runs")
        scheduler.finish()
        #expect(scheduler.startable() == 2..<3, "alone, once the trials before it are done")
        #expect(scheduler.running == 1)
        #expect(scheduler.startable().isEmpty, "nothing starts beside it")
        scheduler.finish()
        #expect(scheduler.startable() == 3..<5)
        scheduler.finish()
        scheduler.finish()
        #expect(scheduler.isDone)
    }

    @Test func consecutiveServerFaultTrialsEachRunAlone() {
        #expect(Self.turns([true, true, false], jobs: 4) == [[0], [1], [2]])
    }
}
