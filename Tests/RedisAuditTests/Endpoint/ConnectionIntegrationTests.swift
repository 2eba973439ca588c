import Foundation
import RESP
import Testing
@testable import RedisAudit

/// RedisConnection against real servers: TLS, AUTH, SELECT, deadlines and pipelined pairing.
@Suite("connections to real servers: TLS, AUTH, deadlines", .timeLimit(.minutes(2)), MachineLoad.light)
struct ConnectionIntegrationTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func tlsEndpointWithTheRightCAWorks() async throws {
        let server = try await TestServer.start(.redis70, tls: true)
        defer { server.stop() }
        let connection = try await RedisConnection.connect(
            to: server.endpoint, options: ConnectionOptions(connectTimeout: .seconds(3), tls: TLSOptions(caFile: server.caFile)))
        #expect(try await connection.execute("PING") == .simpleString("PONG"))
        await connection.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func tlsEndpointWithAWrongCAIsUnreachableWithAClearReason() async throws {
        let server = try await TestServer.start(.redis70, tls: true)
        defer { server.stop() }
        let wrongCA = try TestCertificates.makeUnrelatedCA(in: server.directory)
        do {
            _ = try await RedisConnection.connect(
                to: server.endpoint, options: ConnectionOptions(connectTimeout: .seconds(3), tls: TLSOptions(caFile: wrongCA)))
            Issue.record("connected with an unrelated CA")
        } catch {
            guard case .unreachable(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("TLS handshake failed"), "\(reason)")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aclUserAndDatabaseAreUsed() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        try await server.command("ACL", "SETUSER", "auditor", "on", ">pa55word", "~*", "+@all")
        let endpoint = try Endpoint.parse("redis://auditor:pa55word@127.0.0.1:\(server.port)/4")
        let connection = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
        #expect(try await connection.execute("ACL", "WHOAMI") == .bulk("auditor"))
        #expect(try await connection.execute("SET", "in-db-4", "1") == .simpleString("OK"))
        await connection.close()
        let check = try await server.connect()
        #expect(try await check.execute("EXISTS", "in-db-4") == .integer(0))
        #expect(try await check.execute("SELECT", "4") == .simpleString("OK"))
        #expect(try await check.execute("EXISTS", "in-db-4") == .integer(1))
        await check.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func wrongPasswordIsRefusedWithoutThePassword() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--requirepass", "right-password"])
        defer { server.stop() }
        let endpoint = try Endpoint.parse("redis://:Wr0ngPassw0rd@127.0.0.1:\(server.port)")
        do {
            _ = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
            Issue.record("connected with a wrong password")
        } catch {
            guard case .refused = error else { Issue.record("\(error)"); return }
            #expect(!error.description.contains("Wr0ngPassw0rd"))
            #expect(error.description.contains(":***@"))
        }
        let missing = try Endpoint.parse("redis://127.0.0.1:\(server.port)")
        do {
            _ = try await RedisConnection.connect(to: missing, options: Fixtures.options)
            Issue.record("connected without a password")
        } catch {
            #expect(error.description.contains("requires a password"))
        }
    }

    @Test func nothingListeningIsUnreachable() async throws {
        let refusing = try TestServer.refusingPort()
        defer { refusing.release() }
        let endpoint = try Endpoint.parse("redis://127.0.0.1:\(refusing.port)")
        do {
            _ = try await RedisConnection.connect(to: endpoint, options: Fixtures.options)
            Issue.record("connected to a closed port")
        } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aCommandPastItsDeadlineTimesOutAndTheConnectionCloses() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--enable-debug-command", "yes"])
        defer { server.stop() }
        let connection = try await RedisConnection.connect(
            to: server.endpoint, options: ConnectionOptions(connectTimeout: .seconds(2), commandTimeout: .milliseconds(200)))
        let outcomes = await connection.send([RESPCommand("DEBUG", "SLEEP", "1"), RESPCommand("PING")])
        #expect(outcomes == [.failed(.timeout(milliseconds: 200)), .failed(.timeout(milliseconds: 200))])
        for _ in 0..<500 where connection.isActive { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!connection.isActive)
    }

    /// The connection's one timer stays armed at a long deadline after its batch is answered;
    /// a later batch with a shorter deadline must still time out on its own deadline.
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aShortDeadlineAfterALongOneStillTimesOutOnTime() async throws {
        let server = try await TestServer.start(.redis70, extraArguments: ["--enable-debug-command", "yes"])
        defer { server.stop() }
        let connection = try await RedisConnection.connect(
            to: server.endpoint, options: ConnectionOptions(connectTimeout: .seconds(2), commandTimeout: .seconds(60)))
        #expect(await connection.send([RESPCommand("PING")], timeout: .seconds(60)) == [.reply(.simpleString("PONG"))])
        // Had the short deadline not fired, the server's reply (after 2 s) would be the outcome:
        // the timeout outcome is the proof, whatever the machine's load did to the clock.
        let outcomes = await connection.send([RESPCommand("DEBUG", "SLEEP", "2")], timeout: .milliseconds(200))
        #expect(outcomes == [.failed(.timeout(milliseconds: 200))])
        // Replies answered within their deadlines leave nothing behind to fire later.
        let again = try await server.connect()
        // Deadlines of a second: a loaded machine may stall a reply for a tenth of one.
        for _ in 0..<3 {
            #expect(await again.send([RESPCommand("PING")], timeout: .seconds(1)) == [.reply(.simpleString("PONG"))])
        }
        // A stale 1 s timer would fire while the server holds this reply for 1.5 s.
        #expect(
            await again.send([RESPCommand("DEBUG", "SLEEP", "1.5")], timeout: .seconds(30)) == [.reply(.simpleString("OK"))])
        #expect(again.isActive)
        #expect(try await again.execute("PING") == .simpleString("PONG"))
        await again.close()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func pipelinedRepliesArePairedInOrder() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let connection = try await server.connect()
        let commands = (0..<500).map { _ in RESPCommand("INCR", "n") }
        let outcomes = await connection.send(commands)
        #expect(outcomes == (1...500).map { CommandOutcome.reply(.integer(Int64($0))) })
        await connection.close()
    }
}
