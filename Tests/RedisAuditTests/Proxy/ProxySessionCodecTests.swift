import NIOCore
import NIOEmbedded
import NIOPosix
import RESP
import Testing
@testable import RedisAudit

/// A proxy session between two `EmbeddedChannel`s: bytes in, bytes out, no sockets, so a
/// request or reply can be cut at every byte.
///
/// ```
///   client (EmbeddedChannel) ──▶ ProxySession ──▶ server (EmbeddedChannel)
///                            ◀──              ◀──
/// ```
private final class EmbeddedSession {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let server: EmbeddedChannel
    let counters: FaultCounters

    init(_ rules: String...) throws {
        client = EmbeddedChannel(loop: loop)
        server = EmbeddedChannel(loop: loop)
        let parsed = try rules.map { try FaultRule.parse($0) }
        counters = FaultCounters(rules: parsed)
        let server = self.server
        let endpoint = Endpoint(address: .tcp(host: "127.0.0.1", port: 1))
        let upstream = ProxyUpstream(
            endpoint: endpoint, connector: try EndpointConnector(endpoint: endpoint, options: ConnectionOptions()),
            counters: parsed.isEmpty ? nil : counters,
            openChannel: { _, handler in
                try server.pipeline.syncOperations.addHandler(handler)
                return server
            })
        let sessions = ProxySessions()
        let listener = ProxyListener(
            host: "127.0.0.1", sessions: sessions, eventLoop: loop,
            bootstrap: { _ in ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton) })
        let session = ProxySession(client: client, upstream: upstream, sessions: sessions, listener: listener)
        let handler = ProxySideHandler(session: session, side: .client)
        session.clientHandler = handler
        try client.pipeline.syncOperations.addHandler(handler)
        try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
    }

    /// Feeds bytes to one side whole and returns each write the other side got.
    func writes(_ text: String, to side: ProxySide) throws -> [String] {
        let (input, output) = side == .client ? (client, server) : (server, client)
        try input.writeInbound(ByteBuffer(string: text))
        loop.run()
        var received: [String] = []
        while let buffer = try output.readOutbound(as: ByteBuffer.self) { received.append(String(buffer: buffer)) }
        return received
    }

    /// Feeds bytes to one side one at a time (or whole) and returns what the other side got.
    func feed(_ text: String, to side: ProxySide, byteByByte: Bool) throws -> String {
        let bytes = Array(text.utf8)
        let (input, output) = side == .client ? (client, server) : (server, client)
        let chunks = byteByByte ? bytes.map { [$0] } : [bytes]
        for chunk in chunks {
            try input.writeInbound(ByteBuffer(bytes: chunk))
        }
        loop.run()
        var received = ""
        while let buffer = try output.readOutbound(as: ByteBuffer.self) {
            received += String(buffer: buffer)
        }
        return received
    }
}

@Suite("proxy session between embedded channels")
struct ProxySessionCodecTests {
    static let pipeline = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nINCR b\r\n*1\r\n$4\r\nPING\r\n"

    @Test(arguments: [false, true])
    func pipelinedAndInlineRequestsPassWhateverWayTheyAreCut(byteByByte: Bool) throws {
        for rules in [[], ["latency:ms=0"]] {
            let session = rules.isEmpty ? try EmbeddedSession() : try EmbeddedSession(rules[0])
            // Only whole commands are forwarded, so a byte at a time arrives complete, in order.
            #expect(try session.feed(Self.pipeline, to: .client, byteByByte: byteByByte) == Self.pipeline, "rules: \(rules)")
        }
    }

    @Test(arguments: [false, true])
    func repliesArePairedWithTheirCommandsInPipelineOrder(byteByByte: Bool) throws {
        // GET is dropped with a fake reply: it must come back second, between SET's and INCR's.
        let session = try EmbeddedSession("drop:GET:reply=+FAKE")
        let forwarded = try session.feed(Self.pipeline, to: .client, byteByByte: byteByByte)
        #expect(forwarded == "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\nINCR b\r\n*1\r\n$4\r\nPING\r\n")
        let replies = "+OK\r\n:1\r\n+PONG\r\n"
        #expect(try session.feed(replies, to: .server, byteByByte: byteByByte) == "+OK\r\n+FAKE\r\n:1\r\n+PONG\r\n")
        #expect(session.counters.snapshot.map(\.fired) == [1])
    }

    @Test func commandsAndRepliesNoFaultTouchesGoOutInOneWriteEachWay() throws {
        let session = try EmbeddedSession("drop:FLUSHALL")
        #expect(try session.writes(Self.pipeline, to: .client) == [Self.pipeline])
        #expect(try session.writes("+OK\r\n$1\r\n1\r\n:1\r\n+PONG\r\n", to: .server) == ["+OK\r\n$1\r\n1\r\n:1\r\n+PONG\r\n"])
        // A fault in the middle splits the run around its own reply, in order.
        let dropping = try EmbeddedSession("drop:GET:reply=+FAKE")
        #expect(
            try dropping.writes(Self.pipeline, to: .client) == [
                "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n", "INCR b\r\n*1\r\n$4\r\nPING\r\n",
            ])
        #expect(try dropping.writes("+OK\r\n:1\r\n+PONG\r\n", to: .server) == ["+OK\r\n", "+FAKE\r\n", ":1\r\n+PONG\r\n"])
    }

    @Test func aReplySplitAtEveryByteIsHeldUntilWholeWhenFaultsArePaired() throws {
        let session = try EmbeddedSession("delay:ECHO:ms=0")
        _ = try session.feed("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n", to: .client, byteByByte: false)
        let reply = "$5\r\nhello\r\n"
        var seen = ""
        for (i, byte) in reply.utf8.enumerated() {
            seen += try session.feed(String(decoding: [byte], as: UTF8.self), to: .server, byteByByte: false)
            if i < reply.utf8.count - 1 { #expect(seen.isEmpty, "nothing before the reply is whole (byte \(i))") }
        }
        #expect(seen == reply)
    }

    @Test func garbageFromTheClientIsAnsweredWithAProtocolErrorAndNotForwarded() throws {
        let session = try EmbeddedSession()
        #expect(try session.feed("*1\r\n:oops\r\n", to: .client, byteByByte: false) == "")
        var answer = ""
        while let buffer = try session.client.readOutbound(as: ByteBuffer.self) { answer += String(buffer: buffer) }
        #expect(answer.hasPrefix("-ERR redisaudit proxy: protocol error"), "\(answer)")
    }
}
