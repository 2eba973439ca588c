import Testing
@testable import RedisAudit

/// Flows: per client, split at idle gaps, without the connection's set-up.
@Suite("captured flows")
struct CapturedFlowTests {
    static func command(_ time: Double, _ client: String, _ arguments: String...) -> CapturedCommand {
        CapturedCommand(
            time: time, client: client, arguments: arguments.map { Array($0.utf8) }, location: SourceLocation(file: "c", line: 1))
    }

    @Test func splitsPerClientAndAtGapsLeavingOutSetUp() {
        let c = Self.command
        let commands = [
            c(10.0, "a:1", "HELLO", "3", "AUTH", "(redacted)", "(redacted)"),
            c(10.0, "a:1", "CLIENT", "SETNAME", "app"),
            c(10.1, "a:1", "GET", "x"),
            c(10.2, "b:2", "GET", "y"),
            c(10.9, "a:1", "SET", "x", "1"),
            c(12.5, "a:1", "DEL", "x"),
            c(12.6, "a:1", "PING"),
        ]
        let flows = CapturedFlow.split(commands, gap: 1.0)
        #expect(flows.map(\.client) == ["a:1", "b:2", "a:1"])
        #expect(flows.map { $0.commands.map(\.name) } == [["GET", "SET"], ["GET"], ["DEL"]])
        #expect(!flows.flatMap(\.commands).contains { ["HELLO", "CLIENT", "AUTH", "PING"].contains($0.name) })
        #expect(CapturedFlow.split(commands, gap: 5).count == 2)
        #expect(CapturedFlow.split(commands, clients: ["b:2"]).map(\.client) == ["b:2"])
    }

    @Test func aTransactionIsNeverSplit() {
        let c = Self.command
        let flows = CapturedFlow.split(
            [c(1, "a", "MULTI"), c(3, "a", "SET", "k", "v"), c(5, "a", "EXEC"), c(9, "a", "GET", "k")], gap: 1.0)
        #expect(flows.map { $0.commands.map(\.name) } == [["MULTI", "SET", "EXEC"], ["GET"]])
    }
}
