import NIOCore
import RESP
import Testing
@testable import RedisAudit

@Suite("fault rules: syntax, targets, schedules")
struct FaultRuleTests {
    @Test func killAfterACommand() throws {
        let rule = try FaultRule.parse("kill-after:expire")
        #expect(rule.fault is KillAfter)
        #expect(rule.target.command == "EXPIRE")
        #expect(rule.target.nth == nil && rule.target.probability == nil)
    }

    @Test func aKindAloneTargetsEveryCommand() throws {
        let rule = try FaultRule.parse("kill-after")
        #expect(rule.fault is KillAfter)
        #expect(rule.target.command == nil && rule.target.nth == nil)
    }

    @Test func nthWithoutACommand() throws {
        let rule = try FaultRule.parse("kill-before:nth=3")
        #expect(rule.fault is KillBefore)
        #expect(rule.target.command == nil)
        #expect(rule.target.nth == 3)
    }

    @Test func dropRepliesKeepTheirColonsSpacesAndCommas() throws {
        #expect((try FaultRule.parse("drop:DEL:reply=:1").fault as? Drop)?.reply == .integer(1))
        #expect((try FaultRule.parse("drop:DEL:reply=+OK").fault as? Drop)?.reply == .simpleString("OK"))
        #expect((try FaultRule.parse("drop:DEL:reply=-ERR lost").fault as? Drop)?.reply == .error("ERR lost"))
        #expect((try FaultRule.parse("drop:DEL:reply=-ERR a, b,nth=2").fault as? Drop)?.reply == .error("ERR a, b"))
        #expect(try FaultRule.parse("drop:DEL:reply=-ERR a, b,nth=2").target.nth == 2)
        #expect((try FaultRule.parse("drop:DEL").fault as? Drop)?.reply == nil)
    }

    @Test func delayAndLatencyParameters() throws {
        let delay = try #require(try FaultRule.parse("delay:GET:ms=1500").fault as? Delay)
        #expect(delay.duration == .milliseconds(1500) && !delay.holdsRequest)
        let write = try #require(try FaultRule.parse("delay:SET:ms=10,direction=request").fault as? Delay)
        #expect(write.holdsRequest)
        let latency = try #require(try FaultRule.parse("latency:ms=20,jitter=5").fault as? Latency)
        #expect(latency.milliseconds == 20 && latency.jitter == 5)
    }

    @Test func resetWithProbabilityAndSeed() throws {
        let rule = try FaultRule.parse("reset:SREM:probability=0.2,seed=7")
        #expect(rule.target.command == "SREM")
        #expect(rule.target.probability == 0.2 && rule.target.seed == 7)
        #expect((rule.fault as? Reset)?.afterCommand == false)
        #expect((try FaultRule.parse("reset:SREM:when=after").fault as? Reset)?.afterCommand == true)
    }

    @Test(arguments: [
        ("", "empty rule"),
        ("explode:GET", "unknown fault kind 'explode'"),
        ("delay:GET", "delay needs ms=MILLISECONDS"),
        ("delay:GET:ms=soon", "ms must be a whole number"),
        ("latency:ms=-4", "ms must be a whole number"),
        ("kill-after:EXPIRE:color=red", "kill-after has no parameter 'color'"),
        ("kill-before:nth=0", "nth must be a whole number from 1"),
        ("reset:probability=2", "probability must be a number from 0 to 1"),
        ("delay:GET:ms=1,ms=2", "given twice"),
        ("delay:GET:ms=1,direction=sideways", "direction must be reply or request"),
        ("kill-after:EX PIRE", "is not a command name"),
        ("drop:DEL:oops", "'oops' is not param=value"),
        ("kill-after:SADD:nth=2,scope=process", "scope must be connection or run"),
        ("down:EXEC", "down needs ms=MILLISECONDS"),
        ("bandwidth", "bandwidth needs rate=N"),
        ("bandwidth:rate=0", "rate must be a whole number from 1"),
        ("bandwidth:rate=10,direction=up", "direction must be reply or request"),
        ("slicer:delay_us=10", "slicer needs size=N"),
        ("slicer:size=10,variation=10", "variation must be less than size"),
        ("slicer:size=10,delay_us=soon", "delay_us must be a whole number"),
        ("limit-data:bytes=-1", "bytes must be a whole number from 0"),
        ("timeout", "timeout needs ms=MILLISECONDS"),
        ("slow-close:GET:ms=x", "ms must be a whole number"),
        ("timeout:ms=10,direction=reply", "timeout has no parameter 'direction'"),
    ])
    func badRulesSayWhatIsWrongAndShowTheSyntax(rule: String, reason: String) {
        do {
            _ = try FaultRule.parse(rule)
            Issue.record("'\(rule)' was accepted")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
            #expect(error.description.contains("KIND[:COMMAND][:param=value,...]"))
            #expect(error.description.contains("kill-after"))
        }
    }

    @Test func runScopeParsesAndDefaultsToConnection() throws {
        #expect(try FaultRule.parse("kill-after:SADD:nth=2,scope=run").target.scope == .run)
        #expect(try FaultRule.parse("kill-after:SADD:nth=2,scope=connection").target.scope == .connection)
        #expect(try FaultRule.parse("kill-after:SADD:nth=2").target.scope == .connection)
        #expect(FaultRule.syntax.contains("scope"))
    }

    @Test func streamFaultParameters() throws {
        #expect((try FaultRule.parse("down:EXEC:ms=2000").fault as? Down)?.duration == .milliseconds(2000))
        let bandwidth = try #require(try FaultRule.parse("bandwidth:rate=64,direction=request").fault as? Bandwidth)
        #expect(bandwidth.kilobytesPerSecond == 64 && bandwidth.direction == .request)
        #expect((try FaultRule.parse("bandwidth:GET:rate=1").fault as? Bandwidth)?.direction == .reply)
        let slicer = try #require(try FaultRule.parse("slicer:size=16,variation=4,delay_us=500").fault as? Slicer)
        #expect(slicer.size == 16 && slicer.variation == 4 && slicer.delay == .microseconds(500))
        let limit = try #require(try FaultRule.parse("limit-data:bytes=4096,direction=request").fault as? LimitData)
        #expect(limit.bytes == 4096 && limit.direction == .request)
        #expect((try FaultRule.parse("timeout:ms=0").fault as? Timeout)?.duration == nil)
        #expect((try FaultRule.parse("timeout:GET:ms=300").fault as? Timeout)?.duration == .milliseconds(300))
        #expect((try FaultRule.parse("slow-close:ms=50").fault as? SlowClose)?.duration == .milliseconds(50))
        for kind in ["down", "bandwidth", "slicer", "limit-data", "timeout", "slow-close", "delay_us", "variation"] {
            #expect(FaultRule.syntax.contains(kind), "\(kind)")
        }
    }
}
