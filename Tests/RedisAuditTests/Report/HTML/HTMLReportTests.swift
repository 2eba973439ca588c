import Foundation
import Testing
@testable import RedisAudit

/// The HTML report as text: what it escapes, what it never references, how the fault map draws
/// each trial, and the TTL bands behind the keyspace charts.
@Suite("HTML report")
struct HTMLReportTests {
    /// An inject report with one scenario's map on A: a partial apply that also hung, a clean stop,
    /// a kind that does not apply at one point, and text that must not break out of the page.
    static func injectSample() -> AuditReport {
        var report = ReportRenderingTests.sample()
        report.command = "inject"
        report.findings[0].title = "<script>alert(1)</script> & \"quotes\""
        report.findings[0].evidence = ["> SET k </script><b>"]
        report.findings[0].scenario = "login"
        report.findings[0].step = "step 1 (pipeline), command 2: SADD (login.yaml:15)"
        report.findings[0].endpoints = ["A"]
        let partial = FaultCoverage.Cell(
            outcome: "partial-apply", stopped: true, hang: true, summary: "partial-apply, hang",
            fault: "kill-after at step 1 (pipeline), command 2: SADD (login.yaml:15)",
            reproducer: "redisaudit inject redis://127.0.0.1:6379 --scenario login --fault 'kill-after:SADD:nth=1,scope=run'",
            transcript: ["> SADD sess:user1 </script><script>alert(2)</script>", "A: (no reply) connection closed"])
        let stopped = FaultCoverage.Cell(
            outcome: "survived", stopped: true, hang: false, summary: "stopped, unchanged", fault: "kill-before at step 1",
            reproducer: nil, transcript: ["> SETEX rt:1 60 x"])
        report.coverage = [
            FaultCoverage(
                scenario: "login", endpoint: "A", faults: ["kill-before", "kill-after", "drop-error"],
                rows: [
                    FaultCoverage.Row(
                        point: "step 1 #1: SETEX", outcomes: ["stopped, unchanged", "partial-apply, hang", ""],
                        trials: [stopped, partial, nil]),
                    FaultCoverage.Row(
                        point: "step 1 #2: SADD", outcomes: ["stopped, unchanged", "", ""], trials: [stopped, nil, nil]),
                ], trials: 3, survived: 2, notReached: 0)
        ]
        return report
    }

    @Test func textIsEscapedAndTheTrialsJSONCannotEndItsScript() {
        let html = HTMLReport.render(Self.injectSample())
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(html.contains("&gt; SET k &lt;/script&gt;&lt;b&gt;"))
        // The only script elements are the page's own two.
        #expect(html.components(separatedBy: "<script").count - 1 == 2)
        #expect(html.contains("\\u003c/script>\\u003cscript>alert(2)"))
    }

    @Test func nothingIsLoadedFromAnywhere() {
        for report in [Self.injectSample(), KeyspaceReportRenderingTests.sample(), ReportRenderingTests.sample()] {
            let html = HTMLReport.render(report)
            #expect(html.contains("default-src 'none'"))
            #expect(html.firstMatch(of: #/(?i)(src|href)\s*=\s*"(https?:)?\/\//#) == nil)
            #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("xmlns"))
        }
    }

    @Test func theFaultMapDrawsOneCellPerTrialAndMarksAHangOnAFailure() {
        let html = HTMLReport.render(Self.injectSample())
        let cells = html.matches(
            of: #/<td class="cell o-([a-z-]+)( hung)?" id="cell-([0-9]+)"[^>]*data-outcome="([a-z-]+)"[^>]*>([^<]*)</#)
        #expect(
            cells.map { "\($0.1)\($0.2 ?? "")|\($0.4)|\($0.5)" } == [
                "stopped|survived|stop", "partial-apply hung|partial-apply|partial", "stopped|survived|stop",
            ])
        #expect(cells.map { String($0.3) } == ["0", "1", "2"])
        // The kinds that do not apply are blank, not trials.
        #expect(html.components(separatedBy: "<td class=\"cell none\"></td>").count - 1 == 3)
        #expect(html.contains("data-ready") && html.contains("id=\"trials\""))
        #expect(html.contains("A: 3 trials, 2 survived"))
        // The finding about that point links to its failing trial.
        #expect(html.contains("<a href=\"#trial-1\" data-trial=\"1\">Open its first trial from the fault map</a>"))
    }

    @Test func aGridOfManyFaultPointsIsDrawnDenseWithEveryRow() {
        var report = Self.injectSample()
        let row = report.coverage![0].rows[0]
        report.coverage![0].rows = (1...HTMLFaultMap.denseAbove + 1).map { index in
            FaultCoverage.Row(point: "step \(index) #1: SETEX", outcomes: row.outcomes, trials: row.trials)
        }
        let html = HTMLReport.render(report)
        #expect(html.contains("<div class=\"faultmap dense\">"))
        #expect(html.components(separatedBy: "<th class=\"point\"").count - 1 == HTMLFaultMap.denseAbove + 1)
        #expect(!HTMLReport.render(Self.injectSample()).contains("faultmap dense"))
    }

    @Test func aReportWrittenBeforeTheTrialsWereKeptShowsTheWordsAlone() throws {
        var report = Self.injectSample()
        report.coverage![0].rows = report.coverage![0].rows.map { FaultCoverage.Row(point: $0.point, outcomes: $0.outcomes) }
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(JSONReport.render(report).utf8))
        let html = HTMLReport.render(decoded)
        #expect(!html.contains("data-trial="))
        #expect(html.contains("<td class=\"cell\">partial-apply, hang</td>"))
        #expect(!html.contains("id=\"trials\""))
    }

    @Test func keyspaceChartsDrawEveryBandAndTwoEndpointsShareRows() throws {
        var report = KeyspaceReportRenderingTests.sample()
        let keyspace = try #require(report.keyspace)
        var first = try #require(keyspace.endpoints.first)
        first.patterns[0].ttlBands = [0, 0, 0, 0, 5, 0, 0, 0]
        var second = first
        second.role = "B"
        second.patterns[0].ttlBands = [0, 0, 0, 0, 0, 0, 5, 0]
        second.patterns[0].ttlMedianSeconds = (first.patterns[0].ttlMedianSeconds ?? 1) * 10
        report.keyspace?.endpoints = [first, second]
        let html = HTMLReport.render(report)
        #expect(html.contains("<th class=\"num\">keys A</th><th class=\"num\">keys B</th>"))
        #expect(html.contains("≤ 1 d: 5 keys") && html.contains("≤ 30 d: 5 keys"))
        #expect(html.contains("<td>median TTL</td>"))
        // Nine bars per chart: no TTL and eight bands.
        let chart = try #require(html.firstMatch(of: #/<svg[^>]*>.*?</svg>/#))
        #expect(chart.0.components(separatedBy: "<title>").count - 1 == 9)
    }

    @Test func ttlBandsCountEachKeyOnceAndAWeekJustUnderAWeek() {
        var histogram = TTLHistogram()
        for ms: Int64 in [1_000, 59_000, 63_000, 3_000_000, 90_000_000, 4_000_000_000] { histogram.add(ms) }
        let bands = histogram.bands(KeyspacePatternRow.ttlBandLimits.map { $0.seconds * 1000 })
        #expect(bands == [2, 1, 1, 0, 0, 1, 0, 1])
        #expect(bands.reduce(0, +) == histogram.count)
        var week = TTLHistogram()
        for seconds: Int64 in [604_800, 604_797, 604_000] { week.add(seconds * 1000) }
        #expect(week.bands(KeyspacePatternRow.ttlBandLimits.map { $0.seconds * 1000 }) == [0, 0, 0, 0, 0, 3, 0, 0])
    }
}
