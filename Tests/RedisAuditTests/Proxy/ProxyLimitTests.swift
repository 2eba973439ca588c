import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import RedisAudit

/// An upstream that accepts connections and never answers anything (or, with `firstReply`,
/// answers the first read of each connection with it, then nothing more).
final class SilentServer: Sendable {
    let port: Int
    private let channel: Channel

    private init(port: Int, channel: Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(firstReply: String? = nil) async throws -> SilentServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let firstReply { try channel.pipeline.syncOperations.addHandler(AnswerOnce(reply: firstReply)) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentServer(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    var endpoint: Endpoint { Endpoint(address: .tcp(host: "127.0.0.1", port: port)) }

    /// Writes its reply on the connection's first read, then stays silent.
    private final class AnswerOnce: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: String
        private var answered = false

        init(reply: String) { self.reply = reply }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered else { return }
            answered = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
        }
    }

    func stop() async { try? await channel.close() }
}

@Suite("proxy command timeout and frame limits", .timeLimit(.minutes(2)), MachineLoad.light)
struct ProxyLimitTests {
    private func proxy(
        upstream: Endpoint, rules: [String] = [], commandTimeout: TimeAmount? = nil, maxReplyBytes: Int? = nil,
        options: ConnectionOptions = Fixtures.options
    ) async throws -> FaultProxy {
        var options = options
        if let maxReplyBytes { options.replyLimits = ReplyLimits(maxReplyBytes: maxReplyBytes) }
        return try await FaultProxy.start(
            FaultProxyConfiguration(
                listenPort: 0, upstream: upstream, options: options, rules: try rules.map { try FaultRule.parse($0) },
                commandTimeout: commandTimeout))
    }

    @Test(
        "a client behind a silent upstream gets the timeout error after about the timeout", arguments: [[], ["delay:GET:ms=1"]])
    func silentUpstream(rules: [String]) async throws {
        let upstream = try await SilentServer.start()
        let proxy = try await proxy(upstream: upstream.endpoint, rules: rules, commandTimeout: .milliseconds(500))
        defer {
            Task {
                await proxy.stop()
                await upstream.stop()
            }
        }
        let start = DispatchTime.now()
        let received = try await exchangeUntilClosed(port: proxy.port, sending: "*1\r\n$4\r\nPING\r\n")
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        #expect(received == "-ERR redisaudit proxy: upstream did not reply within 0.5s\r\n")
        #expect(seconds >= 0.45)
        #expect(seconds < 10)
    }

    @Test("the timeout runs again for a command still owed after an earlier one was answered")
    func secondCommandOwed() async throws {
        let upstream = try await SilentServer.start(firstReply: "+PONG\r\n")
        let proxy = try await proxy(upstream: upstream.endpoint, commandTimeout: .milliseconds(500))
        defer {
            Task {
                await proxy.stop()
                await upstream.stop()
            }
        }
        let received = try await exchangeUntilClosed(port: proxy.port, sending: "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n")
        #expect(received == "+PONG\r\n-ERR redisaudit proxy: upstream did not reply within 0.5s\r\n")
    }

    @Test("without --command-timeout a slow reply is waited for", .enabled(if: Fixtures.available(.redis70)))
    func noTimeoutByDefault() async throws {
        let server = try await TestServer.start(.redis70)
        // The connection options' command timeout is for the proxy's own lookups, not for clients.
        let proxy = try await proxy(
            upstream: server.endpoint, options: ConnectionOptions(connectTimeout: .seconds(3), commandTimeout: .milliseconds(300))
        )
        defer {
            Task {
                await proxy.stop()
                server.stop()
            }
        }
        let connection = try await RedisConnection.connect(
            to: Endpoint(address: .tcp(host: "127.0.0.1", port: proxy.port)),
            options: ConnectionOptions(connectTimeout: .seconds(3), commandTimeout: .seconds(5), clientName: nil))
        // BLPOP waits a second on the server: longer than the timeout the other test uses.
        let reply = try await connection.execute("BLPOP", "redisaudit:none", "1")
        #expect(reply == .nullArray)
        await connection.close()
    }

    @Test(
        "an upstream reply announced past --max-reply-bytes ends the session with an error",
        .enabled(if: Fixtures.available(.redis70)))
    func oversizedReply() async throws {
        let server = try await TestServer.start(.redis70)
        _ = try await server.command("SET", "redisaudit:big", String(repeating: "v", count: 2000))
        let proxy = try await proxy(upstream: server.endpoint, rules: ["delay:PING:ms=1"], maxReplyBytes: 1000)
        defer {
            Task {
                await proxy.stop()
                server.stop()
            }
        }
        let received = try await exchangeUntilClosed(port: proxy.port, sending: "*2\r\n$3\r\nGET\r\n$14\r\nredisaudit:big\r\n")
        #expect(
            received
                == "-ERR redisaudit proxy: upstream reply: a bulk string of 2000 bytes exceeds the limit of 1000 (--max-reply-bytes)\r\n"
        )
    }

    @Test("a request announced past --max-reply-bytes is refused before its payload arrives")
    func oversizedRequest() async throws {
        let upstream = try await SilentServer.start()
        let proxy = try await proxy(upstream: upstream.endpoint, maxReplyBytes: 1000)
        defer {
            Task {
                await proxy.stop()
                await upstream.stop()
            }
        }
        let received = try await exchangeUntilClosed(port: proxy.port, sending: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2147483648\r\n")
        #expect(
            received
                == "-ERR redisaudit proxy: request: a bulk string of 2147483648 bytes exceeds the limit of 1000 (--max-reply-bytes)\r\n"
        )
    }
}
