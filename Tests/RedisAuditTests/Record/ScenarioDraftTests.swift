import RESP
import Testing
@testable import RedisAudit

/// The scenario file a flow becomes: it loads, its arguments read back to the bytes captured,
/// and captured replies (from a recording proxy) become `expect:`.
@Suite("scenario drafts")
struct ScenarioDraftTests {
    let c = CapturedFlowTests.command

    func draft(_ commands: [CapturedCommand], redact: Bool = false) -> ScenarioDraft {
        ScenarioDraft(
            flow: CapturedFlow(client: "127.0.0.1:5", commands: commands), index: 3,
            scripts: DraftStep.knownScripts(commands), captureFile: "cap.txt", redact: redact)
    }

    @Test func everyArgumentReadsBackToTheBytesCaptured() throws {
        let awkward = [
            "it's \"quoted\" \\ back", "line\nbreak\ttab\r", "\u{01}\u{7F}", "é ü 漢字", "\u{2028}\u{85}", "${HOME}", "yes", "",
            "  spaced  ", "#hash", "- dash", "[1, 2]", "{a: b}", "null", "~",
        ]
        let commands = awkward.enumerated().map { index, value in c(1, "a", "SET", "k\(index)", value) }
        let draft = draft(commands)
        #expect(draft.name == "k0-3")
        let scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
        let rendered = try scenario.steps.flatMap(\.commands).map { try $0.render(VariableBindings()) }
        #expect(rendered.map(\.arguments) == commands.map(\.arguments))
    }

    @Test func transactionsScriptsAndUnknownScriptsLoad() throws {
        let body = "local v = redis.call('GET', KEYS[1])\nreturn v"
        let draft = draft([
            c(1, "a", "MULTI"), c(1, "a", "SET", "lock:order-7", "1", "NX", "PX", "3000"), c(1, "a", "EXEC"),
            c(1, "a", "EVAL", body, "1", "lock:order-7", "arg"),
            c(1, "a", "EVALSHA", String(repeating: "a", count: 40), "0"),
        ])
        let scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
        #expect(scenario.steps.map(\.kindName) == ["transaction", "script"])
        #expect(draft.yaml.contains("# Not replayed, the script \(String(repeating: "a", count: 40)) is unknown"))
        guard case .script(let call, _) = scenario.steps[1].kind else { return }
        #expect(call.body.raw == body)
        // The order number recurs in both keys; the PX time stays as written.
        #expect(scenario.steps[0].commands[0].arguments.map(\.raw) == ["SET", "lock:order-${lock_2}", "1", "NX", "PX", "3000"])
    }

    /// A fuzzer find (`fuzz/regressions/monitor-line/command-name-with-a-nul.bin`): a redacted
    /// comment wrote a queued command's name as captured, NUL included, and the file did not load.
    @Test func aRedactedCommentWritesAControlCharacterInACommandNameEscaped() throws {
        let draft = draft(
            [c(1, "a", "SET", "k", "v"), c(1, "a", "MULTI"), c(1, "a", "DEL", "k"), c(1, "a", "E0X00\u{0}01", "0")],
            redact: true)
        #expect(draft.yaml.contains("#   E0X00\\x0001 with 1 arguments (redacted)"), "\(draft.yaml)")
        _ = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
    }

    /// Another (`variable-recurring-in-a-command-name-with-a-backspace.bin`): the header's
    /// variables say where each value recurs, naming a command captured with a control character.
    @Test func everyCommentLineWritesItsControlCharactersEscaped() throws {
        let commands = [
            c(1, "a", "S\u{8}ET", "doc:3f0c2a9e1b7d", "3f0c2a9e1b7d"), c(1, "a", "GET", "doc:3f0c2a9e1b7d"),
            c(1, "a", "DEL", "doc:3f0c2a9e1b7d"),
        ]
        let draft = draft(commands)
        let comments = draft.yaml.split(separator: "\n").filter { $0.trimmingPrefix(while: { $0 == " " }).hasPrefix("#") }
        #expect(comments.contains { $0.contains("S\\x08ET") }, "\(draft.yaml)")
        #expect(!comments.contains { $0.unicodeScalars.contains { $0.value < 0x20 } })
        _ = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
    }

    @Test func capturedRepliesBecomeExpectations() throws {
        var set = c(1, "a", "SET", "k", "v")
        set.reply = .simpleString("OK")
        var incr = c(1, "a", "INCR", "n")
        incr.reply = .integer(4)
        var get = c(1, "a", "GET", "missing")
        get.reply = .null
        let draft = draft([set, incr, get])
        #expect(!draft.yaml.contains("no `expect:` was written"))
        let scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
        // INCR's reply shows the counter held 3 before the flow: a setup step writes it first.
        #expect(scenario.steps.first?.setup == true)
        #expect(scenario.steps.first?.commands.map { $0.arguments.map(\.raw) } == [["SET", "n", "3"]])
        let expectations = scenario.steps.filter { !$0.setup }.flatMap(\.commands).map(\.expect)
        #expect(expectations[0]?.type == "status" && expectations[0]?.value?.raw == "OK")
        #expect(expectations[1]?.integerMin == 4 && expectations[1]?.integerMax == 4)
        #expect(expectations[2]?.type == "nil")
    }

    @Test func aRedactedDraftWritesNoRecordedValueInExpectationsSetupOrInvariants() throws {
        let draft = RecordedFlows.draft(RecordedFlows.refresh, redact: true)
        for value in ["user123", RecordedFlows.token, RecordedFlows.newToken, "604799"] {
            #expect(!draft.yaml.contains(value), "\(value)")
        }
        let scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "redacted.yaml")
        #expect(scenario.steps.first?.setup == true, "the setup step is written, with redacted values")
        let expectations = scenario.steps.filter { !$0.setup }.flatMap(\.commands).compactMap(\.expect)
        #expect(expectations.count == 7)
        #expect(expectations.allSatisfy { $0.type != nil && $0.value == nil && $0.integerMin == nil && $0.set == nil })
        #expect(scenario.invariants.count == 8)
    }

    @Test func aStepWhoseReplyWasAnErrorGoesOnAfterIt() throws {
        var wrong = c(1, "a", "GET", "k")
        wrong.reply = .error("WRONGTYPE Operation against a key holding the wrong kind of value")
        var next = c(1, "a", "SET", "other", "v")
        next.reply = .simpleString("OK")
        let scenario = try ScenarioLoader.parse(yaml: draft([wrong, next]).yaml, file: "draft.yaml")
        let steps = scenario.steps.filter { !$0.setup }
        #expect(steps[0].onError == .continue && steps[0].commands[0].expect?.errorClass == "WRONGTYPE")
        #expect(steps[1].onError == .abort)
    }
}

/// Drafts of flows of random commands with random replies (what a recording proxy may hand over):
/// each loads, and sends the captured bytes once the variables take their recorded values.
@Suite("scenario drafts of random recorded flows")
struct RandomRecordedFlowTests {
    static let keys = ["a", "s", "h", "l", "rt:u1:\(RecordedFlows.token)", "sess:u1", "$", "k:$${x}"]
    static let values = [
        RecordedFlows.token, "m", "$", "${x}", "é", "line\nbreak", "0", "7", "-1", #"{"userId":"u1"}"#, "placeholder",
    ]

    static func reply(_ random: inout SeededGenerator) -> RESPValue? {
        func bulk() -> RESPValue { .bulk(values.randomElement(using: &random)!) }
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return nil
        case 1: return .simpleString("OK")
        case 2, 3: return .integer(Int64.random(in: -2...5, using: &random))
        case 4: return bulk()
        case 5: return .null
        case 6: return .nullArray
        case 7: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in bulk() })
        case 8: return .error(["WRONGTYPE Operation", "ERR x", "", "-"].randomElement(using: &random)!)
        default: return .bulkString([0xFF, 0x00])
        }
    }

    static func command(_ random: inout SeededGenerator) -> [String] {
        let k = keys.randomElement(using: &random)!
        let v = values.randomElement(using: &random)!
        let w = values.randomElement(using: &random)!
        let shapes: [[String]] = [
            ["SET", k, v], ["SET", k, v, "NX", "EX", "30"], ["SET", k, v, "GET"], ["SETEX", k, "60", v], ["GET", k],
            ["GETDEL", k], ["DEL", k], ["DEL", k, "a"], ["EXISTS", k], ["SADD", k, v], ["SADD", k, v, w], ["SREM", k, v],
            ["SISMEMBER", k, v], ["SMEMBERS", k], ["SCARD", k], ["HSET", k, v, w], ["HGET", k, v], ["HGETALL", k],
            ["HDEL", k, v], ["EXPIRE", k, "60"], ["PEXPIRE", k, "1500"], ["PERSIST", k], ["TTL", k], ["PTTL", k],
            ["TYPE", k], ["INCR", k], ["INCRBY", k, "3"], ["RPUSH", k, v], ["LRANGE", k, "0", "-1"], ["MULTI"], ["EXEC"],
            ["EVAL", "return redis.call('GET', KEYS[1])", "1", k], ["ZADD", k, "1", v], ["ZRANGE", k, "0", "-1"],
            ["MGET", k, "a"], ["SRANDMEMBER", k],
        ]
        return shapes.randomElement(using: &random)!
    }

    @Test func everyDraftLoadsAndSendsTheCapturedBytes() throws {
        var random = SeededGenerator(seed: 20_261_206)
        for round in 0..<300 {
            let commands = (0..<Int.random(in: 1...12, using: &random)).map { index in
                RecordedFlows.command(Self.command(&random), Self.reply(&random), line: index + 1)
            }
            for redact in [false, true] {
                let draft = RecordedFlows.draft(commands, redact: redact)
                guard draft.hasSteps else { continue }
                let scenario: Scenario
                do {
                    scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "random.yaml")
                } catch {
                    Issue.record("round \(round): \(error)\n\(draft.yaml)")
                    return
                }
                guard !redact else { continue }
                let recorded = Dictionary(uniqueKeysWithValues: draft.inference.variables.map { ($0.name, $0.recorded) })
                let bindings = try scenario.bind(overrides: recorded)
                let sent = try scenario.steps.filter { !$0.setup }.flatMap(\.commands).map { try $0.render(bindings).arguments }
                let captured = draft.steps.flatMap { step -> [[[UInt8]]] in
                    if case .script(let body, let keys, let args, _) = step {
                        return [[Array("EVAL".utf8), body, Array(String(keys.count).utf8)] + keys + args]
                    }
                    if case .comment = step { return [] }
                    return step.commands.map(\.arguments)
                }
                #expect(sent == captured, "round \(round):\n\(draft.yaml)")
                let setup = try scenario.steps.filter(\.setup).flatMap(\.commands).map { try $0.render(bindings).arguments }
                #expect(setup == draft.setup.map(\.arguments), "round \(round):\n\(draft.yaml)")
            }
        }
    }
}
