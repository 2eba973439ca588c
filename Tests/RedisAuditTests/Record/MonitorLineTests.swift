import Testing
@testable import RedisAudit

/// `redis-cli MONITOR` lines: the server's quoting read back to the bytes sent, and lines that
/// are not MONITOR output refused with `FILE:LINE`.
@Suite("MONITOR lines")
struct MonitorLineTests {
    let here = SourceLocation(file: "cap.txt", line: 7)

    @Test func readsTimeDatabaseClientAndArguments() throws {
        let line = try MonitorLine.parse(#"1733494200.123456 [3 127.0.0.1:54321] "SET" "rt:user123" "1""#, at: here)
        #expect(line.time == 1_733_494_200.123456)
        #expect(line.database == 3)
        #expect(line.client == "127.0.0.1:54321")
        #expect(line.arguments == [Array("SET".utf8), Array("rt:user123".utf8), Array("1".utf8)])
        #expect(!line.isScriptCommand)
    }

    @Test func everyEscapeOfSdscatreprReadsBackToItsByte() throws {
        let line = try MonitorLine.parse(
            #"1.5 [0 127.0.0.1:1] "SET" "k" "{\"a\":\"b\\\\c\"}\n\r\t\a\b\x00\xc3\xa9\xFF""#, at: here)
        let expected: [UInt8] = Array(#"{"a":"b\\c"}"#.utf8) + [0x0A, 0x0D, 0x09, 0x07, 0x08, 0x00, 0xC3, 0xA9, 0xFF]
        #expect(line.arguments[2] == expected)
    }

    @Test func emptyArgumentsAndOtherClientForms() throws {
        let empty = try MonitorLine.parse(#"1.0 [0 127.0.0.1:1] "SET" "k" """#, at: here)
        #expect(empty.arguments[2] == [])
        let ipv6 = try MonitorLine.parse(#"1.0 [0 [::1]:6000] "GET" "k""#, at: here)
        #expect(ipv6.client == "[::1]:6000")
        let unix = try MonitorLine.parse(#"1.0 [0 unix:/tmp/redis.sock] "GET" "k""#, at: here)
        #expect(unix.client == "unix:/tmp/redis.sock")
        let lua = try MonitorLine.parse(#"1.0 [0 lua] "SET" "k" "v""#, at: here)
        #expect(lua.isScriptCommand)
    }

    @Test(arguments: [
        "GET k",
        #"1.0 "GET" "k""#,
        #"1.0 [x 127.0.0.1:1] "GET""#,
        #"1.0 [0 127.0.0.1:1]"#,
        #"1.0 [0 127.0.0.1:1] "GET" "k"#,
        #"1.0 [0 127.0.0.1:1] "GET" k"#,
        #"1.0 [0 127.0.0.1:1] "GET" "\q""#,
        #"1.0 [0 127.0.0.1:1] "GET" "\x4""#,
        #"1.0 [0 127.0.0.1:1] "GET" "k"x"#,
        "1.1 [0 unix:/tmp\u{0}\u{0}/r.sock] \"GET\" \"k\"",
    ])
    func malformedLinesAreInputErrorsWithFileAndLine(_ text: String) {
        #expect {
            try MonitorLine.parse(Substring(text), at: here)
        } throws: { error in
            (error as? InputError).map { $0.description.hasPrefix("cap.txt:7: not a MONITOR line") } ?? false
        }
    }

    @Test func aCaptureSkipsTheFirstOKAndTheScriptsOwnCommands() throws {
        let text = """
            OK
            1.0 [0 127.0.0.1:1] "EVAL" "return redis.call('SET', KEYS[1], 'v')" "1" "k"
            1.1 [0 lua] "SET" "k" "v"

            1.2 [0 127.0.0.1:1] "GET" "k"\r
            """
        let commands = try MonitorCapture.parse(text, file: "cap.txt")
        #expect(commands.map(\.name) == ["EVAL", "GET"])
        #expect(commands.map(\.location.line) == [2, 5])
        #expect(commands.allSatisfy { $0.reply == nil })
    }

    @Test func credentialsAreLeftOutWhenTheCaptureIsRead() throws {
        let text = """
            1.0 [0 127.0.0.1:1] "AUTH" "app" "Pz9sekrit"
            1.1 [0 127.0.0.1:1] "HELLO" "3" "AUTH" "app" "Pz9sekrit" "SETNAME" "x"
            1.2 [0 127.0.0.1:1] "MIGRATE" "h" "6379" "" "0" "5000" "AUTH" "Pz9sekrit" "KEYS" "k"
            """
        let commands = try MonitorCapture.parse(text, file: "cap.txt")
        #expect(commands[0].arguments == [Array("AUTH".utf8)])
        #expect(commands[1].arguments == [Array("HELLO".utf8), Array("3".utf8)])
        let draft = ScenarioDraft(
            flow: CapturedFlow(client: "a", commands: commands), index: 1, scripts: [:], captureFile: "cap.txt", redact: false)
        #expect(draft.yaml.contains("MIGRATE with 9 arguments"), "\(draft.yaml)")
        #expect(!draft.yaml.contains("Pz9sekrit"))
    }

    @Test func arbitraryLinesAreReadOrRefusedAndWhatIsReadDraftsAFileThatLoads() throws {
        var generator = SeededGenerator(seed: 7)
        let pieces = [
            "a", "user42", "\\\"", "\\\\", "\\x4", "\\x41", "\\xff", "\\n", "\\q", "\"", " ", "${", "$", ":", "{", "}",
            "7f3a9c0e11d2b4a6", "EX", "60", "'", "#",
        ]
        let names = ["SET", "GET", "SADD", "HSET", "EVAL", "MULTI", "FROB", "DEL"]
        var read = 0
        for _ in 0..<3_000 {
            var line = "1.5 [0 127.0.0.1:1] \"\(names[Int.random(in: 0..<names.count, using: &generator)])\""
            for _ in 0..<Int.random(in: 0..<5, using: &generator) {
                line += " \""
                for _ in 0..<Int.random(in: 0..<6, using: &generator) {
                    line += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
                }
                line += "\""
            }
            guard let parsed = try? MonitorLine.parse(Substring(line), at: here) else { continue }
            read += 1
            let command = CapturedCommand(time: parsed.time, client: parsed.client, arguments: parsed.arguments, location: here)
            for redact in [false, true] {
                let draft = ScenarioDraft(
                    flow: CapturedFlow(client: parsed.client, commands: [command]), index: 1, scripts: [:],
                    captureFile: "cap.txt", redact: redact)
                guard draft.hasSteps else { continue }
                do {
                    let scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
                    guard !redact else { continue }
                    // With the recorded values, the file sends the bytes captured.
                    let recorded = Dictionary(uniqueKeysWithValues: draft.inference.variables.map { ($0.name, $0.recorded) })
                    let bindings = try scenario.bind(overrides: recorded)
                    let sent = try scenario.steps.flatMap(\.commands).map { try $0.render(bindings).arguments }
                    let captured = draft.steps.flatMap { step -> [[[UInt8]]] in
                        if case .script(let body, let keys, let args, _) = step {
                            return [[Array("EVAL".utf8), body, Array(String(keys.count).utf8)] + keys + args]
                        }
                        return step.commands.map(\.arguments)
                    }
                    #expect(sent == captured, "\(line)\n\(draft.yaml)")
                } catch {
                    Issue.record("\(line): \(error)\n\(draft.yaml)")
                    return
                }
            }
        }
        #expect(read > 500)
    }

    @Test func anOKAfterTheFirstLineIsMalformed() {
        #expect(throws: InputError.self) {
            try MonitorCapture.parse("1.0 [0 127.0.0.1:1] \"GET\" \"k\"\nOK\n", file: "cap.txt")
        }
    }
}
