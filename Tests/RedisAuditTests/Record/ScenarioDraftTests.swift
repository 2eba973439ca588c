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
}
