import Foundation
import RESP
import Testing
@testable import RedisAudit

/// The HTML reports of a real compare, inject and keyspace run (against a Redis 7.0 with a
/// password and a Valkey 9.1), opened in real headless Chromium: no console message, the script
/// ran, the fault map has one cell per trial with the outcome the JSON report gives, a link to a
/// trial opens its transcript; a screenshot of each is kept in `.build/test-artifacts/html/`.
@Suite("HTML report in a browser", .serialized, MachineLoad.heavy)
struct HTMLBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let password = "html-s3cret-pw"

    /// Where the screenshots stay after the run.
    static let artifacts: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/test-artifacts/html")
    }()

    /// What Chromium made of a page: its DOM after the scripts ran and what it logged.
    struct Page {
        var dom: String
        var log: String
    }

    /// Opens `file` (with `fragment`) in headless Chromium; with `screenshot`, also saves one there.
    static func open(_ file: String, fragment: String = "", screenshot: URL? = nil) async throws -> Page {
        let chromium = try #require(chromium, "chromium is not installed (make deps installs it)")
        let profile = try Fixtures.scratchDirectory("chromium")
        defer { try? FileManager.default.removeItem(at: profile) }
        let common = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
            "--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=1400,1800",
        ]
        let url = URL(fileURLWithPath: file).absoluteString + fragment
        let dump = try await Fixtures.run(common + ["--dump-dom", url], timeout: 120, executable: chromium)
        #expect(dump.status == 0, "\(dump.stderr)")
        if let screenshot {
            // An earlier run's picture must not pass for this one's.
            try? FileManager.default.removeItem(at: screenshot)
            let shot = try await Fixtures.run(
                common + ["--screenshot=\(screenshot.path)", url], timeout: 120, executable: chromium)
            #expect(shot.status == 0, "\(shot.stderr)")
            #expect(FileManager.default.fileExists(atPath: screenshot.path))
        }
        return Page(dom: dump.stdout, log: dump.stderr)
    }

    /// Every check a report page gets: no console message (an error, a CSP refusal), the script
    /// ran to its end, no password, nothing loaded from the network.
    static func checkPage(_ page: Page, html: String) {
        let console = page.log.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Content Security Policy") }
        #expect(console.isEmpty, "\(console)")
        #expect(page.dom.contains("data-ready=\""), "the page's script did not finish")
        #expect(!html.contains(password) && !page.dom.contains(password))
        #expect(html.contains("Content-Security-Policy"))
        let reference = try! Regex(#"(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import"#)
        #expect(html.firstMatch(of: reference) == nil)
    }

    /// The cells of every fault map in a DOM: scenario, endpoint, point, kind and outcome each.
    static func cells(in dom: String) -> [String] {
        var cells: [String] = []
        for table in dom.components(separatedBy: "<table id=\"map-").dropFirst() {
            guard let scenario = table.firstMatch(of: #/data-scenario="([^"]*)"/#)?.1 else { continue }
            let body = table.components(separatedBy: "</table>")[0]
            for row in body.components(separatedBy: "<tr").dropFirst() {
                guard let point = row.firstMatch(of: #/<th class="point" title="([^"]*)"/#)?.1 else { continue }
                for cell in row.matches(of: #/data-endpoint="([^"]*)" data-kind="([^"]*)" data-outcome="([^"]*)"/#) {
                    cells.append("\(scenario)|\(cell.1)|\(unescape(String(point)))|\(cell.2)|\(cell.3)")
                }
            }
        }
        return cells.sorted()
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test(.enabled(if: Fixtures.available(.redis70, .valkey91) && (chromium != nil || TestServer.serversRequired)))
    func realReportsOpenInChromiumWithTheFaultMapMatchingTheJSON() async throws {
        let a = try await TestServer.start(.redis70, extraArguments: ["--requirepass", Self.password])
        defer { a.stop() }
        let b = try await TestServer.start(.valkey91)
        defer { b.stop() }
        let directory = try Fixtures.scratchDirectory("html")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let environment = ["REDISAUDIT_PASSWORD_A": Self.password]
        let urls = ["redis://127.0.0.1:\(a.port)", b.url]
        func outputs(_ name: String) -> [String] {
            ["--html-output", "\(name).html", "--json-output", "\(name).json", "-o", "\(name).md", "-q"]
        }
        /// The report `name`.html opened, checked, and photographed as `name`.png.
        func page(_ name: String) async throws -> Page {
            let file = directory.appendingPathComponent("\(name).html")
            let page = try await Self.open(file.path, screenshot: Self.artifacts.appendingPathComponent("\(name).png"))
            Self.checkPage(page, html: try String(contentsOf: file, encoding: .utf8))
            return page
        }

        // compare: refresh-delifeq differs (DELIFEQ is Valkey's), login does not.
        let compare = try await Fixtures.run(
            ["compare"] + urls + ["--scenario", "login", "--scenario", "refresh-delifeq"] + outputs("compare"),
            environment: environment, directory: directory.path, timeout: 120)
        #expect(compare.status == 1, "\(compare.stderr)")
        let comparePage = try await page("compare")
        #expect(comparePage.dom.contains("<tr class=\"diff\">") && comparePage.dom.contains("DELIFEQ"))
        #expect(comparePage.dom.contains("id=\"profiles\""))

        // inject: every fault point of two scenarios on both endpoints.
        let inject = try await Fixtures.run(
            ["inject"] + urls + ["--scenario", "login", "--scenario", "lockout", "--trial-timeout", "0.5", "--jobs", "4"]
                + outputs("inject"), environment: environment, directory: directory.path, timeout: 300)
        #expect(inject.status == 1, "\(inject.stderr)")
        let injectPage = try await page("inject")
        let report = try JSONDecoder().decode(
            AuditReport.self, from: Data(contentsOf: directory.appendingPathComponent("inject.json")))
        let coverage = try #require(report.coverage)
        var expected: [String] = []
        for table in coverage {
            for row in table.rows {
                for (kind, cell) in zip(table.faults, row.trials ?? []) {
                    guard let cell else { continue }
                    expected.append("\(table.scenario)|\(table.endpoint)|\(row.point)|\(kind)|\(cell.outcome)")
                }
            }
        }
        #expect(expected.count == coverage.reduce(0) { $0 + $1.trials }, "one cell per trial in the JSON")
        #expect(Set(coverage.map(\.endpoint)) == ["A", "B"] && Set(coverage.map(\.scenario)) == ["login", "lockout"])
        let drawn = Self.cells(in: injectPage.dom)
        #expect(drawn.count == expected.count)
        #expect(drawn == expected.sorted())
        #expect(injectPage.dom.contains("data-ready=\"\(expected.count)\""))
        #expect(expected.contains { $0.hasSuffix("|partial-apply") }, "login and lockout stop half-written under kill-after")

        // A link to a trial opens its panel with the transcript, as a click does.
        let failing = try #require(
            injectPage.dom.firstMatch(
                of: #/data-trial="([0-9]+)" data-endpoint="A" data-kind="kill-after" data-outcome="partial-apply"/#))
        let opened = try await Self.open(
            directory.appendingPathComponent("inject.html").path, fragment: "#trial-\(failing.1)",
            screenshot: Self.artifacts.appendingPathComponent("inject-trial.png"))
        #expect(opened.dom.contains("<aside id=\"trial\" tabindex"), "the panel is shown (no hidden attribute)")
        let transcript = try #require(opened.dom.firstMatch(of: #/<pre id="trial-transcript">([^<]*)</#)?.1)
        #expect(transcript.contains("The application stopped at step"))
        let reproducer = try #require(opened.dom.firstMatch(of: #/<pre id="trial-reproducer">([^<]*)</#)?.1)
        #expect(
            reproducer.hasPrefix(
                "REDISAUDIT_PASSWORD=\"$REDIS_PASSWORD\" redisaudit inject redis://127.0.0.1:\(a.port) --scenario ")
                && reproducer.contains("--fault"), "\(reproducer)")

        // It prints, every collapsed part open, on paper-sized pages.
        let pdf = Self.artifacts.appendingPathComponent("inject.pdf")
        try? FileManager.default.removeItem(at: pdf)
        let chromium = try #require(Self.chromium)
        let printed = try await Fixtures.run(
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)",
                directory.appendingPathComponent("inject.html").absoluteString,
            ], timeout: 120, executable: chromium)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(try Data(contentsOf: pdf).prefix(5) == Data("%PDF-".utf8))

        // keyspace: sessions for a week on A, a day on B; lockouts without a TTL on both.
        for (server, ttl) in [(a, 604_800), (b, 86_400)] {
            let endpoint = try Endpoint.parse(server === a ? "redis://:\(Self.password)@127.0.0.1:\(a.port)" : b.url)
            let connection = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
            var commands: [RESPCommand] = []
            for i in 0..<40 { commands.append(RESPCommand(strings: ["SET", "sess:user\(i)", "x", "EX", String(ttl - i * 60)])) }
            for i in 0..<10 { commands.append(RESPCommand(strings: ["SET", "lock:user\(i)@example.com", "3"])) }
            _ = await connection.send(commands)
            await connection.close()
        }
        let keyspace = try await Fixtures.run(
            ["keyspace"] + urls + outputs("keyspace"), environment: environment, directory: directory.path, timeout: 120)
        #expect(keyspace.status == 1, "\(keyspace.stderr)")
        let keyspacePage = try await page("keyspace")
        #expect(keyspacePage.dom.contains("<svg") && keyspacePage.dom.contains("no TTL: 10 keys"))
        #expect(keyspacePage.dom.contains("median TTL"), "the sessions' TTLs differ between A and B")
    }
}
