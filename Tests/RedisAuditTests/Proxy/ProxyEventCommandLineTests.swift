import Foundation
import RESP
import Testing
@testable import RedisAudit

/// `redisaudit proxy` telling on standard error what its faults do, as they fire.
@Suite("redisaudit proxy fault lines", .timeLimit(.minutes(2)), MachineLoad.light)
struct ProxyEventCommandLineTests {
    /// A line the proxy prints for a firing: `redisaudit: 2026-12-06T17:58:01.123Z conn 1 (127.0.0.1:PORT) ...`.
    static let firingLine = #"^redisaudit: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z conn \d+ \(127\.0\.0\.1:\d+\) "#

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func printsALinePerFiringAsItHappens() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path,
            [
                "proxy", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--fault", "drop:SET:nth=2,reply=+OK",
                "--fault", "kill-before:EXPIRE",
            ])
        defer { process.stop(grace: 0) }
        let client = try await ProxyCommandLineTests.connectOnceListening(port)
        #expect(try await client.execute("SET", "a", "SECRET-1") == .simpleString("OK"))
        #expect(try await client.execute("SET", "b", "SECRET-2") == .simpleString("OK"))
        // The line comes while the proxy runs, before anything else fires.
        let drop = await process.stderrLines(timeout: 10) { $0.contains(" hit ") }
        #expect(drop.count == 1, "\(process.stderr)")
        #expect(
            drop.first?.hasSuffix(
                #" SET "b" hit drop:SET:nth=2,reply=+OK: the command never reached the server; the client got +OK"#)
                == true, "\(drop)")
        #expect(drop.first.map { $0.range(of: Self.firingLine, options: .regularExpression) != nil } == true, "\(drop)")

        await #expect(throws: TransportFailure.self) { try await client.execute("EXPIRE", "a", "100") }
        let both = await process.stderrLines(count: 2, timeout: 10) { $0.contains(" hit ") }
        #expect(
            both.last?.hasSuffix(#" EXPIRE "a" hit kill-before:EXPIRE: connection closed before the command reached the server"#)
                == true, "\(both)")
        #expect(try await server.command("TTL", "a") == .integer(-1))

        kill(process.pid, SIGTERM)
        #expect(await process.finish(timeout: 30) == 0)
        let stderr = process.stderr
        #expect(!stderr.contains("SECRET"), "\(stderr)")
        // Connections are told only with -v.
        #expect(!stderr.contains(") opened"), "\(stderr)")
        #expect(stderr.contains("redisaudit: drop:SET:nth=2,reply=+OK: fired 1 time"), "\(stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func quietPrintsNothingButErrors() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["proxy", "-q", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--fault", "drop:SET:reply=+OK"])
        defer { process.stop(grace: 0) }
        let client = try await ProxyCommandLineTests.connectOnceListening(port)
        #expect(try await client.execute("SET", "a", "1") == .simpleString("OK"))
        #expect(try await server.command("EXISTS", "a") == .integer(0))
        await client.close()
        // Lines still on their way are written before the proxy exits: none may be there.
        kill(process.pid, SIGTERM)
        #expect(await process.finish(timeout: 30) == 0)
        #expect(process.stderr.isEmpty, "\(process.stderr)")
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func warnsOnceWhenAClientRetriesIntoAKillAndVerboseTellsTheConnections() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let port = try TestServer.freePort()
        let process = try ChildProcess(
            Fixtures.binary.path,
            ["proxy", "-v", "--listen", "127.0.0.1:\(port)", "--upstream", server.url, "--fault", "kill-before:EXPIRE"])
        defer { process.stop(grace: 0) }
        // A client retrying after each kill, as redis-py does: a new connection, the same command.
        for attempt in 1...4 {
            let client = try await ProxyCommandLineTests.connectOnceListening(port)
            await #expect(throws: TransportFailure.self) { try await client.execute("EXPIRE", "job:7", "60") }
            await client.close()
            if attempt == 3 {
                let warning = await process.stderrLines(timeout: 10) { $0.contains("warning:") }
                #expect(warning.count == 1, "\(process.stderr)")
                #expect(
                    warning.first?.contains(
                        #"kill-before:EXPIRE fired on EXPIRE "job:7" 3 times in a row for clients at 127.0.0.1"#)
                        == true, "\(warning)")
                #expect(warning.first?.contains("retrying into the fault") == true, "\(warning)")
                #expect(warning.first?.contains("scope=run") == true, "\(warning)")
            }
        }
        let closed = await process.stderrLines(count: 4, timeout: 10) { $0.hasSuffix(") closed") }
        #expect(closed.count == 4, "\(process.stderr)")
        kill(process.pid, SIGTERM)
        #expect(await process.finish(timeout: 30) == 0)
        let lines = process.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains(" hit kill-before:EXPIRE") }.count == 4, "\(process.stderr)")
        #expect(lines.filter { $0.contains("warning:") }.count == 1, "\(process.stderr)")
        let opened = lines.filter { $0.hasSuffix(") opened") }
        #expect(opened.count == 4, "\(process.stderr)")
        #expect(opened.first.map { $0.range(of: Self.firingLine, options: .regularExpression) != nil } == true, "\(opened)")
    }
}
