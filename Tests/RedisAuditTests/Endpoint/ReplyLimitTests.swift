import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import RedisAudit

/// A hostile peer, the thing under test here: it answers the first command of every connection
/// with a bulk string header announcing 2 GiB, then streams the payload for as long as the
/// connection stays open.
final class EndlessBulkServer: Sendable {
    let port: Int
    private let channel: Channel

    private init(port: Int, channel: Channel) {
        self.port = port
        self.channel = channel
    }

    static func start() async throws -> EndlessBulkServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Streamer()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return EndlessBulkServer(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    func stop() async { try? await channel.close() }

    /// Writes the header once, then 64 KiB pieces, each after the one before has gone out.
    private final class Streamer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var started = false
        private let piece = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !started else { return }
            started = true
            context.write(wrapOutboundOut(ByteBuffer(string: "$2147483648\r\n")), promise: nil)
            pump(context)
        }

        private func pump(_ context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            context.writeAndFlush(wrapOutboundOut(piece)).assumeIsolated().whenComplete { result in
                if case .success = result { self.pump(context) }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}

@Suite("Reply limits", .serialized)
struct ReplyLimitTests {
    @Test("a connection refuses a reply announced past --max-reply-bytes, naming the endpoint")
    func connectionRefuses() async throws {
        let server = try await EndlessBulkServer.start()
        return try await withCleanup {
            let endpoint = Endpoint(address: .tcp(host: "127.0.0.1", port: server.port))
            var options = Fixtures.options
            options.replyLimits = ReplyLimits(maxReplyBytes: 1 << 20)
            do {
                _ = try await RedisConnection.connect(to: endpoint, options: options)
                Issue.record("connected to a server that answers with 2 GiB")
            } catch let error as EndpointError {
                #expect(
                    error.description
                        == "redis://127.0.0.1:\(server.port): a reply of 2147483648 bytes exceeds --max-reply-bytes (1048576); the connection was closed"
                )
            }
        } cleanup: {
            await server.stop()
        }
    }

    @Test("compare and keyspace exit 3 with the message, and stay small")
    func commandLine() async throws {
        let server = try await EndlessBulkServer.start()
        return try await withCleanup {
            let url = "redis://127.0.0.1:\(server.port)"
            let scenario = try Fixtures.scenarioFile("name: ping\nsteps:\n  - command: [PING]\n")
            let message = "a reply of 2147483648 bytes exceeds --max-reply-bytes (1048576); the connection was closed"
            let compare = try await Fixtures.runMeasured(
                ["compare", url, url, "--scenario", scenario, "--max-reply-bytes", "1048576", "--connect-timeout", "5", "-q"])
            #expect(compare.status == 3)
            #expect(compare.stderr.contains("\(url): \(message)"), "\(compare.stderr)")
            let keyspace = try await Fixtures.runMeasured([
                "keyspace", url, "--max-reply-bytes", "1048576", "--connect-timeout", "5", "-q",
            ])
            #expect(keyspace.status == 3)
            #expect(keyspace.stderr.contains("\(url): \(message)"), "\(keyspace.stderr)")
            // Each run's own peak, not the test process's: 2 GiB announced, a few MB held.
            for run in [compare, keyspace] { #expect((run.peakResidentBytes ?? .max) < 200 << 20) }
        } cleanup: {
            await server.stop()
        }
    }
}
