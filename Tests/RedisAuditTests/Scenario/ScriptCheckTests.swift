import Testing
@testable import RedisAudit

/// The static check lets through only scripts whose every command is a literal the run may send
/// and whose every key comes from KEYS, and says where the others go wrong.
@Suite("the static script check")
struct ScriptCheckTests {
    @Test(arguments: [
        "return redis.call('GET', KEYS[1])",
        "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return redis.status_reply('OK')",
        "local n = redis.pcall(\"INCRBY\", KEYS[2], tonumber(ARGV[1]))\nreturn n",
        "return server.call('MGET', KEYS[1], KEYS[2])",
        "for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end",
        "return redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[2], KEYS[3])",
        "return redis.call('EXPIRE', KEYS[1], 60) -- redis.call('FLUSHALL')",
        "--[==[ redis.call('FLUSHALL') ]] still a comment ]==]\nreturn redis.call('TTL', KEYS[1])",
        "local s = \"redis.call('FLUSHALL')\" local t = [[redis.call('SET', 'outside', 1)]] return s .. t",
        "return redis.call('TIME')",
        "redis.log(redis.LOG_NOTICE, 'hi') return redis.sha1hex('x')",
        "return redis.call('HSET', KEYS[1], 'a\\'b', '\\65\\n')",
        "return redis.call('COPY', KEYS[1], KEYS[2], 'REPLACE')",
    ])
    func scriptsWithLiteralCommandsAndKeysFromKEYSPass(body: String) {
        #expect(ScriptCheck.problem(in: body) == nil)
    }

    @Test(arguments: [
        ("return redis.call('FLUSHALL')", "FLUSHALL is refused"),
        ("return redis.call('SET', 'outside', 1)", "key argument 1 of SET is 'outside', not KEYS[...]"),
        ("return redis.call('SET', 'user:' .. ARGV[1], 1)", "not KEYS[...]"),
        ("return redis.call('GET', KEYS[1] .. ARGV[1])", "not KEYS[...]"),
        ("return redis.call('GET', ARGV[1])", "not KEYS[...]"),
        ("local c = ARGV[1] return redis.call(c, KEYS[1])", "the command name is not a string literal"),
        ("local call = redis.call return call('FLUSHALL')", "is not called with (...)"),
        ("local r = redis return r.call('FLUSHALL')", "other than as redis.call"),
        ("return _G['redis'].call('FLUSHALL')", "uses _G"),
        ("return loadstring('return 1')()", "uses loadstring"),
        ("return redis.call('KEYS', '*')", "KEYS is refused in a script"),
        ("return redis.call('SCAN', 0, 'MATCH', KEYS[1])", "SCAN is refused in a script"),
        ("return redis.call('DEL', unpack(KEYS))", "may expand to several values"),
        ("return redis.call('COPY', KEYS[1], KEYS[2], 'DB', 1)", "reaches outside the run's namespace"),
        ("return redis.call('NOSUCHCOMMAND', KEYS[1])", "unknown command NOSUCHCOMMAND"),
        ("return redis.call('CONFIG', 'SET', 'maxmemory', 1)", "CONFIG is refused"),
        ("return redis.call('ZUNIONSTORE', KEYS[1], ARGV[1], KEYS[2])", "cannot locate the keys of ZUNIONSTORE"),
        ("return redis.call('GET', 'x", "unterminated string"),
        ("--[[ never closed", "unterminated long comment"),
        ("return redis.call('GET', '\\x41')", "escape sequence"),
    ])
    func scriptsThatMayEscapeTheNamespaceAreRefusedWithTheReason(body: String, reason: String) throws {
        let problem = try #require(ScriptCheck.problem(in: body))
        #expect(problem.message.contains(reason), "\(problem)")
    }

    @Test func theProblemNamesTheLineInTheScript() throws {
        let problem = try #require(
            ScriptCheck.problem(in: "local a = redis.call('GET', KEYS[1])\n\nredis.call('SET', 'outside', a)"))
        #expect(problem.line == 3)
        #expect(problem.description.hasPrefix("script line 3: redis.call(...): "))
    }

    @Test func aRefusedScriptIsAScenarioErrorAtItsFileAndLine() throws {
        let file = try Fixtures.scenarioFile(
            """
            name: escapes
            summary: A script that writes outside the namespace.
            steps:
              - command: [SET, k, v]
              - script:
                  lua: "return redis.call('SET', 'outside', 1)"
                  keys: []
            """)
        let scenario = try ScenarioLoader.load(contentsOf: file)
        #expect(throws: InputError.self) { try ScriptCheck.check([scenario]) }
        do {
            try ScriptCheck.check([scenario])
        } catch {
            #expect(error.location?.file == file)
            #expect(error.location?.line == 6, "\(error)")
            #expect(error.description.contains("not KEYS[...]"), "\(error)")
        }
        let verdicts = ScriptCheck.verdicts(scenario)
        #expect(verdicts.count == 1)
        #expect(verdicts.first?.problem != nil)
    }

    @Test func scriptsSentBySHAOrFunctionNameAreRefusedAndVariableBodiesToo() throws {
        let scenario = try ScenarioLoader.load(
            contentsOf: try Fixtures.scenarioFile(
                """
                name: unreadable
                summary: Scripts the check cannot read.
                vars: { code: "return 1" }
                steps:
                  - command: [EVALSHA, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", 0]
                  - command: [FCALL, myfunc, 0]
                  - command: [EVAL, "${code}", 0]
                  - command: [GET, k]
                """))
        let problems = ScriptCheck.verdicts(scenario).map { $0.problem?.message ?? "passes" }
        #expect(problems.count == 3)
        #expect(problems[0].contains("EVALSHA runs a script the check cannot read"))
        #expect(problems[1].contains("FCALL runs a script the check cannot read"))
        #expect(problems[2].contains("built from variables"))
    }

    @Test func theBuiltInScriptsPass() throws {
        for name in ["refresh-lua", "checkin-capacity-lua"] {
            let scenario = try #require(try BuiltinScenarios.named(name))
            let verdicts = ScriptCheck.verdicts(scenario)
            #expect(!verdicts.isEmpty, "\(name) has a script")
            for verdict in verdicts { #expect(verdict.problem == nil, "\(name): \(String(describing: verdict.problem))") }
        }
    }
}
