import Foundation
import NIOCore
import NIOPosix
import RESP
import Testing
@testable import RedisAudit

/// A proxy in front of a real server, started in-process on a free port.
private struct ProxiedServer {
    let server: TestServer
    let proxy: FaultProxy

    static func start(_ rules: String..., tls: Bool = false) async throws -> ProxiedServer {
        let server = try await TestServer.start(.redis70, tls: tls)
        var options = Fixtures.options
        options.tls = TLSOptions(caFile: server.caFile)
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenPort: 0, upstream: server.endpoint, options: options,
                rules: try rules.map { try FaultRule.parse($0) }))
        return ProxiedServer(server: server, proxy: proxy)
    }

    /// A client connection through the proxy.
    func connect(commandTimeout: TimeAmount = .seconds(3)) async throws -> RedisConnection {
        try await RedisConnection.connect(
            to: Endpoint(address: .tcp(host: "127.0.0.1", port: proxy.port)),
            // No CLIENT SETNAME: the handshake is exactly one PING, the connection's first command.
            options: ConnectionOptions(connectTimeout: .seconds(3), commandTimeout: commandTimeout, clientName: nil))
    }

    func stop() async {
        await proxy.stop()
        server.stop()
    }
}

/// Sends raw bytes to a port (then half-closes, if asked) and returns everything received
/// until the peer closes.
func exchangeUntilClosed(port: Int, sending bytes: String, halfClose: Bool = false) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        if !bytes.isEmpty { try await outbound.write(ByteBuffer(string: bytes)) }
        if halfClose { outbound.finish() }
        var received = ""
        for try await chunk in inbound { received += String(buffer: chunk) }
        return received
    }
}

/// Sends raw bytes to a port and closes at once, without reading anything.
private func sendAndClose(port: Int, sending bytes: String) async throws {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    try await channel.executeThenClose { _, outbound in
        try await outbound.write(ByteBuffer(string: bytes))
    }
}

/// `INCR a`, `INCR b`, `INCR c` as one pipelined write.
private let threeIncrements = ["a", "b", "c"].map { "*2\r\n$4\r\nINCR\r\n$1\r\n\($0)\r\n" }.joined()

@Suite("fault proxy against a real Redis", .timeLimit(.minutes(2)), MachineLoad.light)
struct FaultProxyTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func forwardsAThousandPipelinedCommandsWithRepliesInOrder() async throws {
        let proxied = try await ProxiedServer.start()
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            let commands = (0..<1000).map { i in i % 2 == 0 ? RESPCommand("ECHO", "value-\(i)") : RESPCommand("INCR", "counter") }
            let outcomes = await client.send(commands)
            for (i, outcome) in outcomes.enumerated() {
                let expected: RESPValue = i % 2 == 0 ? .bulk("value-\(i)") : .integer(Int64(i / 2 + 1))
                #expect(outcome == .reply(expected), "command \(i)")
            }
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func speaksTLSToARedissUpstreamWithFaultsApplied() async throws {
        let proxied = try await ProxiedServer.start("drop:DEL:reply=-ERR lost", tls: true)
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            #expect(try await client.execute("SET", "k", "v") == .simpleString("OK"))
            #expect(try await client.execute("DEL", "k") == .error("ERR lost"))
            #expect(try await client.execute("GET", "k") == .bulk("v"))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func killAfterLetsTheServerApplyTheCommandButTheClientGetsNoReply() async throws {
        let proxied = try await ProxiedServer.start("kill-after:INCR")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            #expect(try await client.execute("GET", "counter") == .null)
            await #expect(throws: TransportFailure.self) { try await client.execute("INCR", "counter") }
            #expect(try await proxied.server.command("GET", "counter") == .bulk("1"))
            #expect(proxied.proxy.counters.snapshot.map(\.fired) == [1])
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func killBeforeKeepsTheCommandFromTheServer() async throws {
        let proxied = try await ProxiedServer.start("kill-before:INCR")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            await #expect(throws: TransportFailure.self) { try await client.execute("INCR", "counter") }
            // The reply fails as soon as the reset is seen; the channel finishes closing just after.
            for _ in 0..<100 where client.isActive { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!client.isActive)
            #expect(try await proxied.server.command("GET", "counter") == .null)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func resetEndsTheConnectionBeforeTheCommandRuns() async throws {
        let proxied = try await ProxiedServer.start("reset:INCR")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            await #expect(throws: TransportFailure.self) { try await client.execute("INCR", "counter") }
            #expect(try await proxied.server.command("GET", "counter") == .null)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func dropWithAFakeSuccessLeavesTheKey() async throws {
        let proxied = try await ProxiedServer.start("drop:DEL:reply=:1")
        return try await withCleanup { () async throws in
            try await proxied.server.command("SET", "rt:old", "token")
            let client = try await proxied.connect()
            let outcomes = await client.send([
                RESPCommand("GET", "rt:old"), RESPCommand("DEL", "rt:old"), RESPCommand("EXISTS", "rt:old"),
            ])
            #expect(outcomes == [.reply(.bulk("token")), .reply(.integer(1)), .reply(.integer(1))])
            #expect(try await proxied.server.command("EXISTS", "rt:old") == .integer(1))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func dropWithAnErrorIsAVisibleLoss() async throws {
        let proxied = try await ProxiedServer.start("drop:DEL:reply=-ERR lost")
        return try await withCleanup { () async throws in
            try await proxied.server.command("SET", "rt:old", "token")
            let client = try await proxied.connect()
            #expect(try await client.execute("DEL", "rt:old") == .error("ERR lost"))
            #expect(try await client.execute("EXISTS", "rt:old") == .integer(1))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func dropWithoutAReplyLeavesTheClientWaitingUntilItsTimeout() async throws {
        let proxied = try await ProxiedServer.start("drop:DEL")
        return try await withCleanup { () async throws in
            try await proxied.server.command("SET", "rt:old", "token")
            let client = try await proxied.connect(commandTimeout: .milliseconds(300))
            do {
                _ = try await client.execute("DEL", "rt:old")
                Issue.record("DEL got a reply")
            } catch let error as TransportFailure {
                #expect(error == .timeout(milliseconds: 300))
            }
            #expect(try await proxied.server.command("EXISTS", "rt:old") == .integer(1))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func delayHoldsTheReply() async throws {
        let proxied = try await ProxiedServer.start("delay:GET:ms=300")
        return try await withCleanup { () async throws in
            try await proxied.server.command("SET", "k", "v")
            let client = try await proxied.connect()
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await client.execute("GET", "k") == .bulk("v"))
            #expect(clock.now - start >= .milliseconds(300))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func delayedRequestReachesTheServerLate() async throws {
        let proxied = try await ProxiedServer.start("delay:SET:ms=300,direction=request")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await client.execute("SET", "k", "v") == .simpleString("OK"))
            #expect(clock.now - start >= .milliseconds(300))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func nthHitsExactlyTheThirdCommandOfTheConnection() async throws {
        let proxied = try await ProxiedServer.start("drop:nth=3,reply=+DROPPED")
        return try await withCleanup { () async throws in
            // The connection's handshake PING is its first command.
            let client = try await proxied.connect()
            let outcomes = await client.send((2...6).map { RESPCommand("ECHO", "command-\($0)") })
            #expect(
                outcomes.map(\.reply) == [
                    .bulk("command-2"), .simpleString("DROPPED"), .bulk("command-4"), .bulk("command-5"), .bulk("command-6"),
                ])
            #expect(proxied.proxy.counters.snapshot.map(\.fired) == [1])
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func garbageClosesOnlyTheClientThatSentIt() async throws {
        let proxied = try await ProxiedServer.start()
        return try await withCleanup { () async throws in
            let healthy = try await proxied.connect()
            let answer = try await exchangeUntilClosed(port: proxied.proxy.port, sending: "*1\r\n:oops\r\n")
            #expect(answer.hasPrefix("-ERR redisaudit proxy: protocol error"), "\(answer)")
            #expect(try await healthy.execute("PING") == .simpleString("PONG"))
            await healthy.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aClientThatHalfClosesAtOnceStillGetsEveryReply() async throws {
        let proxied = try await ProxiedServer.start()
        return try await withCleanup { () async throws in
            let answer = try await exchangeUntilClosed(port: proxied.proxy.port, sending: "PING\r\nECHO a\r\n", halfClose: true)
            #expect(answer == "+PONG\r\n$1\r\na\r\n")
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func killAfterInAPipelineForwardsNothingAfterTheCommand() async throws {
        let proxied = try await ProxiedServer.start("kill-after:INCR:nth=2")
        return try await withCleanup { () async throws in
            let answer = try await exchangeUntilClosed(port: proxied.proxy.port, sending: threeIncrements)
            #expect(answer == ":1\r\n")
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
            #expect(try await proxied.server.command("GET", "a") == .bulk("1"))
            #expect(try await proxied.server.command("GET", "b") == .bulk("1"))
            #expect(try await proxied.server.command("GET", "c") == .null)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)), arguments: ["kill-before:INCR:nth=2", "reset:INCR:nth=2"])
    func killBeforeInAPipelineForwardsOnlyWhatCameBefore(rule: String) async throws {
        let proxied = try await ProxiedServer.start(rule)
        return try await withCleanup { () async throws in
            // A reset may surface as an error instead of an end of stream.
            _ = try? await exchangeUntilClosed(port: proxied.proxy.port, sending: threeIncrements)
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
            let a = try await proxied.server.command("GET", "a")
            if rule.hasPrefix("reset") {
                // An RST also discards what the server received but had not read yet: INCR a may be lost.
                #expect(a == .bulk("1") || a == .null)
            } else {
                #expect(a == .bulk("1"))
            }
            #expect(try await proxied.server.command("GET", "b") == .null)
            #expect(try await proxied.server.command("GET", "c") == .null)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func anErrorDropInsideMultiAbortsTheTransaction() async throws {
        let proxied = try await ProxiedServer.start("drop:INCR:nth=1,reply=-ERR lost")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            let outcomes = await client.send([
                RESPCommand("MULTI"), RESPCommand("INCR", "a"), RESPCommand("INCR", "b"), RESPCommand("EXEC"),
            ])
            #expect(
                outcomes.map(\.reply) == [
                    .simpleString("OK"), .error("ERR lost"), .simpleString("QUEUED"),
                    .error("EXECABORT Transaction discarded because of previous errors."),
                ])
            #expect(try await client.execute("PING") == .simpleString("PONG"))
            #expect(try await proxied.server.command("GET", "a") == .null)
            #expect(try await proxied.server.command("GET", "b") == .null)
            // The connection is out of the transaction: the next one runs.
            #expect(
                await client.send([RESPCommand("MULTI"), RESPCommand("INCR", "b"), RESPCommand("EXEC")]).last?.reply
                    == .array([.integer(1)]))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aSilentDropInsideMultiLeavesTheRestOfTheTransactionToRun() async throws {
        let proxied = try await ProxiedServer.start("drop:INCR:nth=1,reply=+QUEUED")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            let outcomes = await client.send([
                RESPCommand("MULTI"), RESPCommand("INCR", "a"), RESPCommand("INCR", "b"), RESPCommand("EXEC"),
            ])
            #expect(
                outcomes.map(\.reply) == [
                    .simpleString("OK"), .simpleString("QUEUED"), .simpleString("QUEUED"), .array([.integer(1)]),
                ])
            #expect(try await proxied.server.command("GET", "a") == .null)
            #expect(try await proxied.server.command("GET", "b") == .bulk("1"))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func nthWithRunScopeCountsOverEveryConnection() async throws {
        let proxied = try await ProxiedServer.start("drop:INCR:nth=2,scope=run,reply=+DROPPED")
        return try await withCleanup { () async throws in
            let first = try await proxied.connect()
            let second = try await proxied.connect()
            #expect(try await first.execute("INCR", "x") == .integer(1))
            #expect(try await second.execute("INCR", "x") == .simpleString("DROPPED"))
            #expect(try await first.execute("INCR", "x") == .integer(2))
            #expect(try await second.execute("INCR", "x") == .integer(3))
            #expect(proxied.proxy.counters.snapshot.map(\.fired) == [1])
            await first.close()
            await second.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func settleWaitsForEveryClientToClose() async throws {
        let proxied = try await ProxiedServer.start()
        return try await withCleanup { () async throws in
            let client = try await proxied.connect()
            #expect(proxied.proxy.openSessions == 1)
            #expect(await proxied.proxy.settle(timeout: .milliseconds(100)) == false)
            await client.close()
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
            #expect(proxied.proxy.openSessions == 0)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func stopClosesTheOpenSessions() async throws {
        let proxied = try await ProxiedServer.start("delay:GET:ms=60000")
        let client = try await proxied.connect()
        #expect(try await client.execute("SET", "k", "v") == .simpleString("OK"))
        async let held = client.send([RESPCommand("GET", "k")])
        for _ in 0..<500 where proxied.proxy.counters.snapshot[0].fired == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await proxied.proxy.stop()
        #expect(proxied.proxy.openSessions == 0)
        #expect(await held.first?.reply == nil)
        proxied.server.stop()
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func requestBytesHeldWhenTheClientClosesStillReachTheServer() async throws {
        let proxied = try await ProxiedServer.start("delay:SET:ms=300,direction=request")
        return try await withCleanup { () async throws in
            try await sendAndClose(port: proxied.proxy.port, sending: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
            // Settled means nothing until the proxy has the session: wait for the delay to have fired.
            for _ in 0..<2000 where proxied.proxy.counters.snapshot[0].fired == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
            #expect(try await proxied.server.command("GET", "k") == .bulk("v"))
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test func aDeadUpstreamGetsAnErrorAndTheProxyKeepsServing() async throws {
        let refusing = try TestServer.refusingPort()
        defer { refusing.release() }
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenPort: 0,
                upstream: Endpoint(address: .tcp(host: "127.0.0.1", port: refusing.port)),
                options: Fixtures.options))
        return try await withCleanup { () async throws in
            for _ in 0..<2 {
                let answer = try await exchangeUntilClosed(port: proxy.port, sending: "")
                #expect(answer == "-ERR redisaudit proxy: upstream unreachable\r\n")
            }
        } cleanup: {
            await proxy.stop()
        }
    }
}

/// Sends raw bytes to a port and returns the chunks received, as read, until `total` bytes came.
private func chunksReceived(port: Int, sending bytes: String, until total: Int) async throws -> [String] {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: bytes))
        var chunks: [String] = []
        var received = 0
        for try await chunk in inbound {
            chunks.append(String(buffer: chunk))
            received += chunk.readableBytes
            if received >= total { break }
        }
        return chunks
    }
}

/// Encodes one command as a RESP array of bulk strings.
private func encoded(_ arguments: String...) -> String {
    "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
}

@Suite("stream faults and down against a real Redis", .timeLimit(.minutes(2)), MachineLoad.light)
struct StreamFaultProxyTests {
    @Test(.enabled(if: Fixtures.available(.redis70)))
    func downClosesEveryConnectionAndRefusesNewOnesForAWhile() async throws {
        let proxied = try await ProxiedServer.start("down:INCR:nth=1,scope=run,ms=3000")
        return try await withCleanup { () async throws in
            let bystander = try await proxied.connect()
            let client = try await proxied.connect()
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TransportFailure.self) { try await client.execute("INCR", "a") }
            // Refused while down (a busy machine may take a moment to close the socket: poll).
            var refused = false
            for _ in 0..<100 where !refused {
                do {
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connect(host: "127.0.0.1", port: proxied.proxy.port).get()
                    try await channel.close()
                    try await Task.sleep(for: .milliseconds(20))
                } catch {
                    refused = true
                }
            }
            #expect(refused)
            for _ in 0..<1000 where bystander.isActive { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!bystander.isActive)
            #expect(try await proxied.server.command("GET", "a") == .null)
            #expect(await proxied.proxy.settle(timeout: .seconds(10)))
            #expect(clock.now - start >= .milliseconds(3000))
            #expect(proxied.proxy.openSessions == 0)
            let again = try await proxied.connect()
            #expect(try await again.execute("INCR", "a") == .integer(1))
            #expect(proxied.proxy.counters.snapshot.map(\.fired) == [1])
            await again.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func bandwidthThrottlesRepliesFromTheTargetedCommandOn() async throws {
        let proxied = try await ProxiedServer.start("bandwidth:GET:rate=20")
        return try await withCleanup { () async throws in
            let value = String(repeating: "x", count: 10_000)
            try await proxied.server.command("SET", "big", value)
            let client = try await proxied.connect()
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await client.execute("GET", "big") == .bulk(value))
            // 10 KB at 20 KB a second.
            #expect(clock.now - start >= .milliseconds(450))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func bandwidthOnRequestsThrottlesWhatTheServerReceives() async throws {
        let proxied = try await ProxiedServer.start("bandwidth:SET:rate=20,direction=request")
        return try await withCleanup { () async throws in
            let value = String(repeating: "y", count: 10_000)
            let client = try await proxied.connect()
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await client.execute("SET", "big", value) == .simpleString("OK"))
            #expect(clock.now - start >= .milliseconds(450))
            #expect(try await proxied.server.command("GET", "big") == .bulk(value))
            await client.close()
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func slicerDeliversTheReplyInSmallChunks() async throws {
        let proxied = try await ProxiedServer.start("slicer:size=10,delay_us=100000")
        return try await withCleanup { () async throws in
            let payload = String(repeating: "z", count: 60)
            let expected = "$60\r\n\(payload)\r\n"
            let chunks = try await chunksReceived(
                port: proxied.proxy.port, sending: encoded("ECHO", payload), until: expected.utf8.count)
            #expect(chunks.joined() == expected)
            // Seven slices 100 ms apart: even a busy reader cannot merge them all.
            #expect(chunks.count >= 3, "\(chunks)")
            #expect(chunks.allSatisfy { $0.utf8.count <= 60 }, "\(chunks)")
            #expect(proxied.proxy.counters.snapshot.map(\.fired) == [1])
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func limitDataClosesOnceTheBytesHavePassed() async throws {
        let proxied = try await ProxiedServer.start("limit-data:bytes=10")
        return try await withCleanup { () async throws in
            let answer = try await exchangeUntilClosed(
                port: proxied.proxy.port, sending: encoded("ECHO", String(repeating: "a", count: 20)))
            #expect(answer == "$20\r\naaaaa")
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func limitDataOnRequestsCutsWhatTheServerReceives() async throws {
        let proxied = try await ProxiedServer.start("limit-data:bytes=40,direction=request")
        return try await withCleanup { () async throws in
            // 27 bytes each: the first arrives whole, the second cut after 13 bytes.
            _ = try? await exchangeUntilClosed(
                port: proxied.proxy.port, sending: encoded("SET", "a", "1") + encoded("SET", "b", "2"))
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
            #expect(try await proxied.server.command("GET", "a") == .bulk("1"))
            #expect(try await proxied.server.command("GET", "b") == .null)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func timeoutSwallowsEverythingThenCloses() async throws {
        let proxied = try await ProxiedServer.start("timeout:INCR:ms=300")
        return try await withCleanup { () async throws in
            let client = try await proxied.connect(commandTimeout: .seconds(20))
            #expect(try await client.execute("SET", "k", "v") == .simpleString("OK"))
            do {
                _ = try await client.execute("INCR", "a")
                Issue.record("INCR got a reply")
            } catch let error as TransportFailure {
                #expect(error != .timeout(milliseconds: 20000), "the proxy closes before the client gives up")
            }
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
            #expect(try await proxied.server.command("GET", "a") == .null)
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func timeoutWithoutADeadlineIsABlackHole() async throws {
        let proxied = try await ProxiedServer.start("timeout:INCR:ms=0")
        return try await withCleanup { () async throws in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: proxied.proxy.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(string: encoded("INCR", "a")))
                for _ in 0..<500 where proxied.proxy.counters.snapshot[0].fired == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(proxied.proxy.counters.snapshot[0].fired == 1)
                #expect(await proxied.proxy.settle(timeout: .milliseconds(300)) == false)
                #expect(proxied.proxy.openSessions == 1)
                #expect(try await proxied.server.command("GET", "a") == .null)
            }
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
        } cleanup: {
            await proxied.stop()
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func slowCloseKeepsTheOtherSideOpenForAWhile() async throws {
        let proxied = try await ProxiedServer.start("slow-close:ms=600")
        return try await withCleanup { () async throws in
            // The server closes after QUIT: the client sees the close only later.
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await exchangeUntilClosed(port: proxied.proxy.port, sending: "QUIT\r\n") == "+OK\r\n")
            #expect(clock.now - start >= .milliseconds(600))
            // The client closes: the upstream connection stays open a while.
            let client = try await proxied.connect()
            let closed = clock.now
            await client.close()
            // Settled within 200 ms is a failure only if it came before the 600 ms the fault holds
            // the upstream open (a loaded machine may run this task again only after that).
            if await proxied.proxy.settle(timeout: .milliseconds(200)) {
                #expect(clock.now - closed >= .milliseconds(600))
            }
            #expect(await proxied.proxy.settle(timeout: .seconds(20)))
        } cleanup: {
            await proxied.stop()
        }
    }
}
