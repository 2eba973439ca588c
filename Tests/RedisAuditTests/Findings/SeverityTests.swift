import Foundation
import Testing
@testable import RedisAudit

/// Severities order from critical down to info, and read and write as their names.
@Suite("Severity")
struct SeverityTests {
    @Test func criticalIsWorstAndInfoLeast() {
        #expect(Severity.allCases == [.critical, .high, .medium, .low, .info])
        for (worse, better) in zip(Severity.allCases, Severity.allCases.dropFirst()) {
            #expect(worse > better)
            #expect(!(better > worse))
        }
        #expect(Severity.allCases.max() == .critical)
        #expect([Severity.low, .high, .info].sorted() == [.info, .low, .high])
    }

    @Test func severitiesAreWrittenAsTheirNames() throws {
        let data = try JSONEncoder().encode(Severity.allCases)
        #expect(String(decoding: data, as: UTF8.self) == #"["critical","high","medium","low","info"]"#)
        #expect(Severity(rawValue: "HIGH") == nil)
    }
}
