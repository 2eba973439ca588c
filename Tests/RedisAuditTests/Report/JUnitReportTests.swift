import Foundation
import Testing
@testable import RedisAudit

/// JUnit reports validated against `Report/Fixtures/junit.xsd` with the `xmlschema` package of the
/// project's venv (`make deps`), then read back with Python's XML parser as a CI server reads them.
@Suite("JUnit reports", .timeLimit(.minutes(2)), MachineLoad.light)
struct JUnitReportTests {
    static var schema: String {
        ReportSchemaTests.root.appendingPathComponent("Tests/RedisAuditTests/Report/Fixtures/junit.xsd").path
    }

    /// What a CI server reads from a JUnit document: the schema's complaints and every test case.
    struct Read: Decodable {
        /// One `<failure>` of a test case.
        struct Failure: Decodable {
            var message: String
            var type: String
            var text: String
        }

        /// One `<testcase>`.
        struct Case: Decodable {
            var classname: String
            var name: String
            var failures: [Failure]
            var systemOut: String
        }

        var errors: [String]
        var root: [String: String]
        var suite: [String: String]
        var cases: [Case]
        var suiteOut: String

        func testCase(_ name: String) -> Case? { cases.first { $0.name == name } }
    }

    /// Validates `xml` against the XSD and parses it; a document that is not well-formed has errors and no cases.
    static func read(_ xml: String) async throws -> Read {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-junit-\(UUID().uuidString.prefix(8)).xml")
        try xml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import json, sys, xmlschema, xml.etree.ElementTree as ET
            schema = xmlschema.XMLSchema(sys.argv[1])
            empty = {"root": {}, "suite": {}, "cases": [], "suiteOut": ""}
            try:
                document = ET.parse(sys.argv[2])
            except ET.ParseError as error:
                print(json.dumps(dict(empty, errors=[f"not well-formed: {error}"]))); sys.exit(0)
            errors = [f"{e.path}: {e.reason}" for e in schema.iter_errors(sys.argv[2])]
            root = document.getroot()
            suite = root.find("testsuite")
            if suite is None:
                print(json.dumps(dict(empty, errors=errors or ["no testsuite"], root=dict(root.attrib)))); sys.exit(0)
            text = lambda elements: "".join(e.text or "" for e in elements)
            cases = [{
                "classname": c.get("classname", ""), "name": c.get("name", ""),
                "failures": [{"message": f.get("message", ""), "type": f.get("type", ""), "text": f.text or ""} for f in c.findall("failure")],
                "systemOut": text(c.findall("system-out")),
            } for c in suite.findall("testcase")]
            print(json.dumps({"errors": errors, "root": dict(root.attrib), "suite": dict(suite.attrib), "cases": cases,
                              "suiteOut": text(suite.findall("system-out"))}))
            """
        let process = try ChildProcess(ReportSchemaTests.python, ["-c", script, schema, file.path])
        let status = await process.finish(timeout: 60)
        #expect(status == 0, "the validator ran: \(process.stderr)")
        return try JSONDecoder().decode(Read.self, from: Data(process.stdout.utf8))
    }

    /// Checks that every finding the threshold counts is a failure of exactly one case (with its
    /// id in the text) and every other finding is only in a case's output.
    static func expectFailuresFollowTheThreshold(
        _ report: AuditReport, _ read: Read, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let policy = report.summary.policy
        for finding in report.findings {
            let failing = read.cases.flatMap { $0.failures.filter { $0.text.contains("\n\(finding.id) · ") } }
            let shown = read.cases.filter { $0.systemOut.contains(finding.id) }
            if policy.isMet(by: finding) {
                #expect(failing.count == 1, "\(finding.id) fails one case", sourceLocation: sourceLocation)
                let message = "[\(finding.severity.rawValue.uppercased())] \(finding.title)"
                #expect(failing.first?.message == message, sourceLocation: sourceLocation)
                #expect(
                    failing.first?.text.hasPrefix(message + "\n") == true, "the text opens with it",
                    sourceLocation: sourceLocation)
                #expect(failing.first?.type == finding.category.rawValue, sourceLocation: sourceLocation)
                #expect(shown.isEmpty, sourceLocation: sourceLocation)
            } else {
                #expect(failing.isEmpty, "\(finding.id) does not fail the run under \(policy)", sourceLocation: sourceLocation)
                #expect(shown.count == 1, "\(finding.id) is in one case's system-out", sourceLocation: sourceLocation)
            }
        }
        let failed = read.cases.filter { !$0.failures.isEmpty }.count
        #expect(read.suite["failures"] == String(failed), sourceLocation: sourceLocation)
        #expect(read.root["failures"] == String(failed), sourceLocation: sourceLocation)
        #expect(read.suite["tests"] == String(read.cases.count), sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: ReportSchemaTests.available && Fixtures.available(.redis62, .redis70)))
    func aRealCompareReportValidatesAndFailsExactlyTheFindingsAtTheThreshold() async throws {
        let a = try await TestServer.start(.redis62)
        let b = try await TestServer.start(.redis70)
        defer { a.stop(); b.stop() }
        let expireNX = try ScenarioLoader.load(contentsOf: try Fixtures.scenarioFile(CompareIntegrationTests.expireNX))
        var report = try await Fixtures.compare(a, b, scenarios: [expireNX, try #require(try BuiltinScenarios.named("login"))])
        let threshold = report.summary.failOn
        try #require(
            report.findings.contains { threshold.isMet(by: $0) } && report.findings.contains { !threshold.isMet(by: $0) })

        let read = try await Self.read(JUnitReport.render(report))
        #expect(read.errors == [])
        #expect(read.root["name"] == "redisaudit compare" && read.suite["name"] == "redisaudit compare")
        #expect(read.suite["timestamp"] == report.summary.startedAt)
        #expect(read.suite["errors"] == "0")
        #expect(read.cases.map(\.name).prefix(2) == ["expire-nx", "login"])
        #expect(read.cases.allSatisfy { $0.classname == "redisaudit.compare" })
        #expect(read.testCase("expire-nx")?.failures.isEmpty == false)
        #expect(read.testCase("login")?.failures.isEmpty == true, "login behaves the same on both")
        let profile = try #require(read.testCase("server-profile"), "findings without a scenario are grouped by category")
        #expect(profile.failures.isEmpty && profile.systemOut.contains("Redis 6.2"))
        let mismatch = try #require(read.testCase("expire-nx")?.failures.first { $0.type == "reply-mismatch" })
        #expect(mismatch.text.contains("> EXPIRE sess:user42 60 NX"), "the evidence: \(mismatch.text)")
        #expect(mismatch.text.contains("Why it matters: ") && mismatch.text.contains("Fix: "))
        Self.expectFailuresFollowTheThreshold(report, read)

        // The same report judged against other thresholds: everything fails, nothing fails.
        report.summary.failOn = .severity(.info)
        report.summary.failOnShared = .severity(.info)
        let all = try await Self.read(JUnitReport.render(report))
        #expect(all.cases.flatMap(\.failures).count == report.findings.count)
        Self.expectFailuresFollowTheThreshold(report, all)
        report.summary.failOn = .never
        report.summary.failOnShared = .never
        let none = try await Self.read(JUnitReport.render(report))
        #expect(none.errors == [] && none.cases.flatMap(\.failures).isEmpty)
        #expect(none.cases.count == read.cases.count, "the same test cases pass")
        Self.expectFailuresFollowTheThreshold(report, none)
    }

    @Test(.enabled(if: ReportSchemaTests.available))
    func everySeverityAtOrAboveTheThresholdFailsAndTheRestIsOutput() async throws {
        let findings = FindingRanking.rank(
            Severity.allCases.map { severity in
                Finding(
                    identity: severity.rawValue, severity: severity, category: .replyMismatch,
                    title: "\(severity.rawValue) finding",
                    endpoints: ["A", "B"], scenario: "login", step: "step 1 (command): GET", why: "why", fix: "fix")
            })
        let summary = ReportSummary(
            findings: findings, failOn: .severity(.medium), endpoints: [], scenarios: ["login"],
            startedAt: "2026-01-01T00:00:00Z", durationSeconds: 0.5)
        let report = AuditReport(tool: ToolInfo(), command: "compare", summary: summary, findings: findings, profiles: [])
        let read = try await Self.read(JUnitReport.render(report))
        #expect(read.errors == [])
        let login = try #require(read.testCase("login"))
        #expect(
            login.failures.map(\.message) == ["[CRITICAL] critical finding", "[HIGH] high finding", "[MEDIUM] medium finding"])
        #expect(login.systemOut.contains("[LOW] low finding") && login.systemOut.contains("[INFO] info finding"))
        #expect(read.suite["failures"] == "1" && read.suite["tests"] == "1", "one test case, failed")
        Self.expectFailuresFollowTheThreshold(report, read)
    }

    /// A baselined finding at the threshold is output, saying it is accepted; an expired one fails again.
    @Test(.enabled(if: ReportSchemaTests.available))
    func acceptedFindingsAreOutputAndExpiredOnesFailAgain() async throws {
        let accepted = BaselineTests.finding("accepted", .high), expired = BaselineTests.finding("expired", .high)
        let report = BaselineTests.report([accepted, expired])
        let baseline = Baseline(entries: [
            BaselineEntry(accepted, command: "compare", reason: "staging differs", expires: nil),
            BaselineEntry(expired, command: "compare", reason: "until the cut-over", expires: CalendarDate.parse("2020-01-31")),
        ])
        let checked = BaselineCheck.apply(baseline, file: "bl.yaml", to: report)
        let read = try await Self.read(JUnitReport.render(checked))
        #expect(read.errors == [])
        let login = try #require(read.testCase("login"))
        #expect(login.failures.map(\.message) == ["[HIGH] title of expired"])
        #expect(login.failures.first?.text.contains("Acceptance expired 2020-01-31: until the cut-over") == true)
        #expect(
            login.systemOut.contains("[HIGH] title of accepted (accepted in the baseline: staging differs)"), "\(login.systemOut)"
        )
        let xml = JUnitReport.render(checked)
        #expect(xml.contains(#"<property name="baseline.accepted" value="1"/>"#))
        #expect(xml.contains(#"<property name="baseline.expired" value="1"/>"#))
        Self.expectFailuresFollowTheThreshold(checked, read)
    }

    @Test(.enabled(if: ReportSchemaTests.available))
    func markupQuotesAndControlBytesAreEscapedOrDroppedAndStillValidate() async throws {
        let hostile = "a < b && c > \"d\" 'e' ]]> \u{01}\u{1B}[31m\u{7}\u{FFFE}end"
        let clean = "a < b && c > \"d\" 'e' ]]> [31mend"
        let finding = Finding(
            identity: "hostile", severity: .high, category: .replyMismatch, title: "GET \(hostile)\ttab\nline", endpoints: ["A"],
            scenario: "odd <&> \"name\"", step: "step 1 (command): GET \(hostile)",
            evidence: ["> GET k", "A: \(hostile)", "B: \u{0}\u{8}bytes"], why: "why \(hostile)", fix: "fix &amp; not an entity")
        let below = Finding(
            identity: "below", severity: .low, category: .serverProfile, title: "low \(hostile)", endpoints: ["A"],
            evidence: [hostile], why: "why", fix: "fix")
        let summary = ReportSummary(
            findings: [finding, below], failOn: .severity(.high), endpoints: [], scenarios: [],
            startedAt: "2026-01-01T00:00:00Z", durationSeconds: 1, notes: ["note \(hostile)"])
        let report = AuditReport(
            tool: ToolInfo(), command: "compare", summary: summary, findings: [finding, below], profiles: [])
        let xml = JUnitReport.render(report)
        #expect(
            !xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }, "no control byte reaches the document")

        let read = try await Self.read(xml)
        #expect(read.errors == [])
        let testCase = try #require(read.testCase("odd <&> \"name\""), "\(read.cases.map(\.name))")
        let failure = try #require(testCase.failures.first)
        #expect(failure.message == "[HIGH] GET \(clean)\ttab\nline", "tabs and line breaks survive in attributes")
        #expect(failure.text.contains("A: \(clean)\n"))
        #expect(failure.text.contains("B: bytes"))
        #expect(failure.text.contains("Why it matters: why \(clean)"))
        #expect(failure.text.contains("Fix: fix &amp; not an entity"))
        #expect(read.testCase("server-profile")?.systemOut.contains("[LOW] low \(clean)") == true)
        #expect(read.suiteOut == "note \(clean)")
    }

    @Test(.enabled(if: ReportSchemaTests.available))
    func everyFindingLandsInExactlyOneNamedCase() async throws {
        func finding(_ identity: String, scenario: String?, category: FindingCategory = .invariant) -> Finding {
            Finding(
                identity: identity, severity: .high, category: category, title: identity, endpoints: ["A"], scenario: scenario,
                why: "why", fix: "fix")
        }
        let findings = [
            finding("unnamed", scenario: ""), finding("unlisted", scenario: "not-in-summary"),
            finding("scenario-named-like-a-category", scenario: "server-profile"),
            finding("no-scenario", scenario: nil, category: .serverProfile),
        ]
        let summary = ReportSummary(
            findings: findings, failOn: .severity(.high), endpoints: [], scenarios: ["server-profile"],
            startedAt: "2026-01-01T00:00:00Z", durationSeconds: 0)
        let report = AuditReport(tool: ToolInfo(), command: "compare", summary: summary, findings: findings, profiles: [])
        let read = try await Self.read(JUnitReport.render(report))
        #expect(read.errors == [])
        #expect(
            read.cases.map(\.name) == ["server-profile", "(unnamed scenario)", "not-in-summary", "server-profile (no scenario)"])
        #expect(
            read.cases.map { $0.failures.map(\.message) } == [
                ["[HIGH] scenario-named-like-a-category"], ["[HIGH] unnamed"], ["[HIGH] unlisted"], ["[HIGH] no-scenario"],
            ])
        Self.expectFailuresFollowTheThreshold(report, read)
    }

    @Test(.enabled(if: ReportSchemaTests.available))
    func theSchemaRejectsWhatCIServersWouldNotRead() async throws {
        let stray = try await Self.read(
            """
            <testsuites><testsuite name="s" tests="1"><failure message="m"/><testcase name="c"/></testsuite></testsuites>
            """)
        #expect(!stray.errors.isEmpty, "a failure outside a test case")
        let count = try await Self.read(
            #"<testsuites><testsuite name="s" tests="many"><testcase name="c"/></testsuite></testsuites>"#)
        #expect(!count.errors.isEmpty, "a count that is not a number")
        let unnamed = try await Self.read(
            #"<testsuites><testsuite name="s" tests="1"><testcase classname="c"/></testsuite></testsuites>"#)
        #expect(!unnamed.errors.isEmpty, "a test case without a name")
        let broken = try await Self.read(
            "<testsuites><testsuite name=\"s\" tests=\"1\"><testcase name=\"\u{1}\"/></testsuite></testsuites>")
        #expect(broken.errors.first?.hasPrefix("not well-formed") == true, "a control byte: \(broken.errors)")
    }

    @Test(.enabled(if: ReportSchemaTests.available))
    func aKeyspaceReportHasAPassingKeyspaceCaseAndOneCasePerCategory() async throws {
        let findings = FindingRanking.rank([
            Finding(
                identity: "p1", severity: .medium, category: .ttlMissing, title: "rt:<id> keys without TTL", endpoints: ["A"],
                why: "why", fix: "fix"),
            Finding(
                identity: "p2", severity: .medium, category: .ttlMissing, title: "sess:<id> keys without TTL", endpoints: ["A"],
                why: "why", fix: "fix"),
            Finding(
                identity: "x", severity: .low, category: .keyPrefix, title: "keys outside app:", endpoints: ["A"], why: "why",
                fix: "fix"),
        ])
        let table = KeyspaceEndpointTable(
            role: "A", dbsize: 1200, keysScanned: 1200, vanished: 0, complete: true, seconds: 0.2,
            memoryRefused: nil, patterns: [])
        let keyspace = KeyspaceSection(
            match: nil, count: 1000, sample: nil, memory: false, expectPrefixes: ["app:"], endpoints: [table])
        let summary = ReportSummary(
            findings: findings, failOn: .severity(.medium), endpoints: [], scenarios: [],
            startedAt: "2026-01-01T00:00:00Z", durationSeconds: 0.3)
        let report = AuditReport(
            tool: ToolInfo(), command: "keyspace", summary: summary, findings: findings, profiles: [],
            keyspace: keyspace)
        let read = try await Self.read(JUnitReport.render(report))
        #expect(read.errors == [])
        #expect(read.cases.map(\.name) == ["keyspace", "ttl-missing", "key-prefix"])
        #expect(read.cases.allSatisfy { $0.classname == "redisaudit.keyspace" })
        #expect(read.testCase("keyspace")?.failures.isEmpty == true)
        #expect(read.testCase("keyspace")?.systemOut == "A: 1,200 keys scanned (DBSIZE 1,200), 0 patterns in 200 ms")
        #expect(read.testCase("ttl-missing")?.failures.count == 2)
        Self.expectFailuresFollowTheThreshold(report, read)
    }
}
