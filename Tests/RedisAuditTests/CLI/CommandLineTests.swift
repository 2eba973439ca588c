import Foundation
import Testing
@testable import RedisAudit

/// The built binary, run as a user would: output, exit codes, and no secrets.
@Suite("redisaudit command line", .timeLimit(.minutes(2)), MachineLoad.light)
struct CommandLineTests {
    @Test func unknownOptionIsAUsageError() async throws {
        let run = try await Fixtures.run(["compare", "--no-such-flag", "redis://a", "redis://b"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("no-such-flag"))
    }

    @Test func badFailOnIsAUsageErrorThatSaysWhatIsAccepted() async throws {
        let run = try await Fixtures.run(["compare", "redis://a", "redis://b", "--fail-on", "severe"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("critical, high, medium, low, info, never"))
    }

    @Test func trialsOutOfRangeIsAUsageError() async throws {
        let compare = try await Fixtures.run(["compare", "redis://a", "redis://b", "--trials", "0"])
        #expect(compare.status == 2)
        #expect(compare.stderr.contains("--trials must be from 1 to 1000, got 0"))
        let inject = try await Fixtures.run(["inject", "redis://a", "--trials", "1001"])
        #expect(inject.status == 2)
        #expect(inject.stderr.contains("--trials must be from 1 to 1000, got 1001"))
    }

    @Test func clientsAndCapacityAreOrdinaryVariables() async throws {
        let run = try await Fixtures.run([
            "compare", "redis://a", "redis://b", "--scenario", "checkin-capacity", "--var", "capacity=abc", "--var", "clients=0",
        ])
        // The values are the scenario's business: a bad client count is reported when the block runs, not as an unknown variable.
        #expect(!run.stderr.contains("no selected scenario has a variable"))
    }

    @Test func badEndpointURLIsAUsageErrorWithoutThePassword() async throws {
        let run = try await Fixtures.run(["compare", "http://user:leaky@host", "redis://b"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("expected redis://"))
        #expect(!run.stderr.contains("leaky"))
    }

    /// Where a password can be typed by mistake, the usage error quotes the URL masked, for every subcommand.
    @Test func urlErrorsOnTheCommandLineMaskWhatCouldBeAPassword() async throws {
        for url in ["redis://host:6379?password=Pz9sekrit&db=x", "redis://default:Pz9sekrit", "redis://h:6379/Pz9sekrit"] {
            for arguments in [["compare", url, "redis://b"], ["keyspace", url], ["clean", url], ["inject", url]] {
                let run = try await Fixtures.run(arguments)
                #expect(run.status == 2, "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains("invalid endpoint"), "\(run.stderr)")
                #expect(!(run.stdout + run.stderr).contains("Pz9sekrit"), "\(arguments): \(run.stderr)")
            }
        }
    }

    @Test func scenarioErrorsAreFileLineAndExitTwo() async throws {
        let path = try Fixtures.scenarioFile(
            """
            name: broken
            summary: refers to a variable nobody defined
            steps:
              - command: [GET, "rt:${nobody}"]
            """)
        let run = try await Fixtures.run(["scenarios", "validate", path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(path):4:"), "\(run.stderr)")
        #expect(run.stderr.contains("nobody"))
        let compare = try await Fixtures.run(["compare", "redis://127.0.0.1:1", "redis://127.0.0.1:2", "--scenario", path])
        #expect(compare.status == 2, "scenario errors come before any connection attempt")
    }

    @Test func validScenarioFilesValidateAndUnknownVariablesAreRefused() async throws {
        let path = try Fixtures.scenarioFile(CompareIntegrationTests.expireNX)
        let ok = try await Fixtures.run(["scenarios", "validate", path])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("ok (expire-nx: 2 steps, 1 invariants)"))
        let typo = try await Fixtures.run([
            "compare", "redis://127.0.0.1:1", "redis://127.0.0.1:2", "--scenario", path, "--var", "userID=u1",
        ])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("no selected scenario has a variable named 'userID'"), "\(typo.stderr)")
        let badForm = try await Fixtures.run(["compare", "redis://127.0.0.1:1", "redis://127.0.0.1:2", "--var", "novalue"])
        #expect(badForm.status == 2)
        let unknown = try await Fixtures.run([
            "compare", "redis://127.0.0.1:1", "redis://127.0.0.1:2", "--scenario", "no-such-scenario",
        ])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("login"), "the error lists the built-in names: \(unknown.stderr)")
    }

    @Test func scenariosListShowsTheBuiltins() async throws {
        let run = try await Fixtures.run(["scenarios", "list"])
        #expect(run.status == 0)
        for name in ["login", "refresh", "logout", "lockout", "blacklist"] {
            #expect(run.stdout.contains(name))
        }
        let show = try await Fixtures.run(["scenarios", "show", "refresh"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("DEL"))
    }

    @Test func builtinScenariosAreFoundFromAnyDirectory() async throws {
        let run = try await Fixtures.run(["scenarios", "list"], directory: "/")
        #expect(run.status == 0)
        #expect(run.stdout.contains("login"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func tlsWithAWrongCAIsExitThreeAndSaysSo() async throws {
        let server = try await TestServer.start(.redis70, tls: true)
        defer { server.stop() }
        let wrongCA = try TestCertificates.makeUnrelatedCA(in: server.directory)
        let run = try await Fixtures.run(["compare", server.url, server.url, "--tls-ca", wrongCA, "--scenario", "login"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("TLS handshake failed"), "\(run.stderr)")
        let ok = try await Fixtures.run([
            "compare", server.url, server.url, "--tls-ca", server.caFile!, "--scenario", "login", "--quiet",
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("**Verdict: PASS**"))
    }

    /// The test certificate names IP 127.0.0.1 and DNS localhost: the IP must not stand in for a name asked for.
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func tlsServerNameIsEnforcedEvenWhenTheCertificateNamesTheAddress() async throws {
        let server = try await TestServer.start(.redis70, tls: true)
        defer { server.stop() }
        let common = ["--tls-ca", server.caFile!, "--scenario", "login", "--quiet"]
        let wrong = try await Fixtures.run(["compare", server.url, server.url, "--tls-server-name", "wrong.example"] + common)
        #expect(wrong.status == 3, "\(wrong.stderr)")
        #expect(
            wrong.stderr.contains("the server certificate does not name wrong.example (--tls-server-name); it names localhost"),
            "\(wrong.stderr)")
        let right = try await Fixtures.run(["compare", server.url, server.url, "--tls-server-name", "LOCALHOST"] + common)
        #expect(right.status == 0, "\(right.stderr)")
        #expect(try await server.command("DBSIZE") == .integer(0))
    }

    @Test func installedLayoutFindsScenariosBesideTheBinary() async throws {
        // What `make install` creates: PREFIX/bin/redisaudit and PREFIX/share/redisaudit/scenarios.
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("ra-prefix-\(UUID().uuidString.prefix(6))")
        let bin = prefix.appendingPathComponent("bin"), share = prefix.appendingPathComponent("share/redisaudit/scenarios")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: prefix) }
        // A hard link, not a copy: a copied file can still be open for writing in a child that
        // another test's spawn forked at that moment, and exec then fails with ETXTBSY.
        do {
            try FileManager.default.linkItem(at: Fixtures.binary, to: bin.appendingPathComponent("redisaudit"))
        } catch {
            try FileManager.default.copyItem(at: Fixtures.binary, to: bin.appendingPathComponent("redisaudit"))
        }
        try """
        name: installed-only
        summary: Present only in the installed share directory.
        steps:
          - command: [PING]
        """.write(to: share.appendingPathComponent("installed-only.yaml"), atomically: true, encoding: .utf8)
        var process = try ChildProcess(bin.appendingPathComponent("redisaudit").path, ["scenarios", "list"], directory: "/")
        var status: Int32?
        for attempt in 0..<5 {
            if attempt > 0 {
                // 126: the file was still busy (see above); try again shortly.
                try await Task.sleep(for: .milliseconds(200))
                process = try ChildProcess(bin.appendingPathComponent("redisaudit").path, ["scenarios", "list"], directory: "/")
            }
            status = await process.finish(timeout: 30)
            if status != 126 { break }
        }
        #expect(status == 0)
        #expect(process.stdout.contains("installed-only"))
        #expect(!process.stdout.contains("refresh"), "the installed directory wins over the source tree")
    }

    @Test func unreachableEndpointIsExitThree() async throws {
        let refusing = try TestServer.refusingPort()
        defer { refusing.release() }
        let port = refusing.port
        let run = try await Fixtures.run([
            "compare", "redis://127.0.0.1:\(port)", "redis://127.0.0.1:\(port)", "--connect-timeout", "2",
        ])
        #expect(run.status == 3)
        #expect(run.stderr.contains("cannot reach redis://127.0.0.1:\(port)"))
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func wrongPasswordIsExitThreeAndNeverPrinted() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "the-real-one"])
        let other = try await TestServer.start(.redis70)
        defer { server.stop(); other.stop() }
        let run = try await Fixtures.run([
            "compare", "redis://:N0tTh1sOne@127.0.0.1:\(server.port)", other.url, "--format", "json",
        ])
        #expect(run.status == 3)
        #expect(!run.stdout.contains("N0tTh1sOne") && !run.stderr.contains("N0tTh1sOne"))
        #expect(run.stderr.contains("redis://:***@127.0.0.1:\(server.port)"))
        // A password in a URL on the command line is readable through ps: one warning, pointing at the variables.
        #expect(run.stderr.contains("the password in endpoint A's URL is visible to every user of this machine"), "\(run.stderr)")
        #expect(run.stderr.contains("set REDISAUDIT_PASSWORD_A or REDISAUDIT_PASSWORD instead"))
        #expect(!run.stderr.contains("endpoint B's URL"))
        // The same password from the environment works, and is not printed either.
        let ok = try await Fixtures.run(
            ["compare", "redis://127.0.0.1:\(server.port)", other.url, "--scenario", "blacklist", "--format", "json"],
            environment: ["REDISAUDIT_PASSWORD_A": "the-real-one"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!ok.stdout.contains("the-real-one") && !ok.stderr.contains("the-real-one"))
        #expect(ok.stdout.contains("\"schemaVersion\" : \(AuditReport.currentSchemaVersion)"))
    }

    @Test(.enabled(if: Fixtures.available(.redis62, .redis70)))
    func findingsAboveTheThresholdAreExitOneAndNeverIsExitZero() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let path = try Fixtures.scenarioFile(CompareIntegrationTests.expireNX)
        let failing = try await Fixtures.run(["compare", a.url, b.url, "--scenario", path, "--quiet"])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("**Verdict: FAIL**"))
        #expect(failing.stderr.isEmpty, "--quiet keeps stderr empty: \(failing.stderr)")
        let never = try await Fixtures.run(["compare", a.url, b.url, "--scenario", path, "--fail-on", "never", "--quiet"])
        #expect(never.status == 0)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ra-out-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let md = directory.appendingPathComponent("r.md").path, json = directory.appendingPathComponent("r.json").path
        let files = try await Fixtures.run([
            "compare", a.url, b.url, "--scenario", path, "--output", md, "--json-output", json, "--quiet",
        ])
        #expect(files.status == 1)
        #expect(files.stdout.isEmpty)
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(decoded.findings.first?.severity == .high)
        #expect(try String(contentsOfFile: md, encoding: .utf8).contains("reply-mismatch"))
    }
}
