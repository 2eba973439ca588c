import NIOCore
import RESP
import Testing
@testable import RedisAudit

@Suite("fault schedules: which rules fire on which command")
struct FaultScheduleTests {
    @Test func nthCountsOnlyMatchingCommandsAndFiresOnce() throws {
        let counters = FaultCounters(rules: [try FaultRule.parse("kill-after:INCR:nth=2")])
        var schedule = FaultSchedule(counters: counters)
        let effects = ["INCR", "GET", "INCR", "INCR"].map { schedule.decide($0).fate }
        #expect(effects == [.forward, .forward, .killAfter(reset: false), .forward])
        #expect(counters.snapshot.map(\.fired) == [1])
    }

    @Test func probabilityIsReproducibleWithASeed() throws {
        func firings() throws -> [Bool] {
            let counters = FaultCounters(rules: [try FaultRule.parse("drop:probability=0.3,seed=42")])
            var schedule = FaultSchedule(counters: counters)
            return (0..<200).map { _ in schedule.decide("GET").fate != .forward }
        }
        let first = try firings()
        #expect(first == (try firings()))
        let count = first.filter { $0 }.count
        #expect(count > 30 && count < 90, "\(count) of 200 at p=0.3")
    }

    @Test func killWinsOverDelaysAndDelaysAddUp() throws {
        let rules = try ["latency:ms=10", "kill-after:EXPIRE", "delay:EXPIRE:ms=5"].map { try FaultRule.parse($0) }
        let counters = FaultCounters(rules: rules)
        var schedule = FaultSchedule(counters: counters)
        let decision = schedule.decide("EXPIRE")
        #expect(decision.fate == .killAfter(reset: false))
        #expect(decision.replyDelay == .milliseconds(15))
        #expect(schedule.decide("GET").fate == .forward)
        #expect(counters.snapshot.map(\.fired) == [2, 1, 1])
    }

    @Test func runScopeCountsOverEveryConnectionOfTheProxy() throws {
        let counters = FaultCounters(rules: [try FaultRule.parse("kill-after:SADD:nth=2,scope=run")])
        var first = FaultSchedule(counters: counters)
        var second = FaultSchedule(counters: counters)
        #expect(first.decide("SADD").fate == .forward)
        #expect(second.decide("SADD").fate == .killAfter(reset: false))
        #expect(first.decide("SADD").fate == .forward)
        #expect(second.decide("SADD").fate == .forward)
        #expect(counters.snapshot.map(\.fired) == [1])
    }

    @Test func rulesBuiltInCodeApplyLikeParsedOnes() throws {
        let rules = [
            FaultRule(
                text: "drop EXPIRE", fault: Drop(reply: .array([.integer(1), .bulk("x")])),
                target: FaultTarget(command: "expire", nth: 2)),
            FaultRule(
                text: "slow SET", fault: Delay(duration: .milliseconds(7), holdsRequest: true),
                target: FaultTarget(command: "SET")),
            FaultRule(text: "kill GET", fault: KillBefore(), target: FaultTarget(command: "GET", probability: 1, seed: 3)),
            FaultRule(text: "after", fault: KillAfter(), target: FaultTarget(command: "INCR", nth: 1, scope: .run)),
            FaultRule(text: "rst", fault: Reset(afterCommand: true), target: FaultTarget(command: "DECR")),
        ]
        let counters = FaultCounters(rules: rules)
        var schedule = FaultSchedule(counters: counters)
        #expect(schedule.decide("EXPIRE").fate == .forward)
        #expect(schedule.decide("EXPIRE").fate == .answer(.array([.integer(1), .bulk("x")])))
        #expect(schedule.decide("SET").requestDelay == .milliseconds(7))
        #expect(schedule.decide("GET").fate == .killBefore(reset: false))
        #expect(schedule.decide("INCR").fate == .killAfter(reset: false))
        #expect(schedule.decide("DECR").fate == .killAfter(reset: true))
        #expect(counters.snapshot.map(\.rule) == ["drop EXPIRE", "slow SET", "kill GET", "after", "rst"])
        #expect(counters.snapshot.map(\.fired) == [1, 1, 1, 1, 1])
    }

    @Test func untargetedStreamFaultsApplyFromTheConnectionsStartOnly() throws {
        let rules = try ["bandwidth:rate=8", "limit-data:GET:bytes=10", "slow-close:ms=5"].map { try FaultRule.parse($0) }
        let counters = FaultCounters(rules: rules)
        var schedule = FaultSchedule(counters: counters)
        let started = schedule.connectionStarted()
        #expect((started.replyStages.first as? Bandwidth.Pacing)?.bytesPerSecond == 8000 && started.replyStages.count == 1)
        #expect(started.slowClose == .milliseconds(5))
        #expect(schedule.decide("SET").isUntouched)
        let get = schedule.decide("GET")
        #expect((get.replyStages.first as? LimitData.Limit)?.remaining == 10 && get.replyStages.count == 1)
        #expect(counters.snapshot.map(\.fired) == [1, 1, 1])
    }

    @Test func untargetedDownFiresOnceInTheRun() throws {
        let counters = FaultCounters(rules: [try FaultRule.parse("down:ms=100")])
        var first = FaultSchedule(counters: counters)
        var second = FaultSchedule(counters: counters)
        #expect(first.connectionStarted().isUntouched)
        #expect(first.decide("PING").fate == .restartServer(.milliseconds(100)))
        #expect(first.decide("PING").fate == .forward)
        #expect(second.decide("PING").fate == .forward)
        #expect(counters.snapshot.map(\.fired) == [1])
        // Targeted, it fires on every match.
        var targeted = FaultSchedule(counters: FaultCounters(rules: [try FaultRule.parse("down:EXEC:ms=100")]))
        #expect(
            [targeted.decide("EXEC").fate, targeted.decide("GET").fate, targeted.decide("EXEC").fate] == [
                .restartServer(.milliseconds(100)), .forward, .restartServer(.milliseconds(100)),
            ])
    }
}
