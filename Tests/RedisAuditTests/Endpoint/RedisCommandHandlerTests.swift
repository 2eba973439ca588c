import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import RESP
import Testing
@testable import RedisAudit

/// The command handler without a socket: replies paired with commands in order, the one timer
/// on the loop's (virtual) clock, out-of-step replies and closes failing everything pending.
@Suite("the command handler on an embedded channel")
struct RedisCommandHandlerTests {
    /// A channel with the handler, and what it recorded as the connection's failure.
    struct Harness {
        let channel = EmbeddedChannel()
        let loop: EmbeddedEventLoop
        let failure = NIOLockedValueBox<String?>(nil)

        init() throws {
            loop = channel.embeddedEventLoop
            try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(failure: failure))
            // Connected, as a socket is once the handshake starts (an embedded channel starts inactive).
            try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        }

        /// Sends a batch and returns the future of its outcomes.
        func send(_ commands: [RESPCommand], timeout: TimeAmount) throws -> EventLoopFuture<[CommandOutcome]> {
            let promise = loop.makePromise(of: [CommandOutcome].self)
            let collector = ReplyCollector(expected: commands.count, promise: promise)
            do {
                try channel.writeOutbound(RedisRequest(commands: commands, collector: collector, timeout: timeout))
            } catch {
                promise.fail(error)
                throw error
            }
            return promise.futureResult
        }

        /// What the handler wrote, as text.
        func written() throws -> String {
            var text = ""
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return text
        }
    }

    /// The outcome of a future the embedded loop has completed.
    static func outcomes(_ future: EventLoopFuture<[CommandOutcome]>) throws -> [CommandOutcome]? {
        let result = NIOLockedValueBox<[CommandOutcome]?>(nil)
        future.whenSuccess { outcomes in result.withLockedValue { $0 = outcomes } }
        return result.withLockedValue { $0 }
    }

    @Test func aBatchIsOneWriteAndItsRepliesComeBackInOrder() throws {
        let h = try Harness()
        let future = try h.send([RESPCommand("SET", "k", "v"), RESPCommand("GET", "k")], timeout: .seconds(5))
        #expect(try h.written() == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        try h.channel.writeInbound(RESPValue.simpleString("OK"))
        #expect(try Self.outcomes(future) == nil, "half a batch answered is not an outcome yet")
        try h.channel.writeInbound(RESPValue.bulk("v"))
        #expect(try Self.outcomes(future) == [.reply(.simpleString("OK")), .reply(.bulk("v"))])
        #expect(h.channel.isActive)
    }

    @Test func aBatchPastItsDeadlineTimesOutOnTheLoopsClockAndCloses() throws {
        let h = try Harness()
        let future = try h.send([RESPCommand("GET", "k")], timeout: .milliseconds(200))
        h.loop.advanceTime(by: .milliseconds(199))
        #expect(try Self.outcomes(future) == nil)
        h.loop.advanceTime(by: .milliseconds(1))
        #expect(try Self.outcomes(future) == [.failed(.timeout(milliseconds: 200))])
        #expect(!h.channel.isActive)
        #expect(h.failure.withLockedValue { $0 } == "command timeout")
    }

    @Test func aShortDeadlineAfterALongAnsweredOneStillFires() throws {
        let h = try Harness()
        let long = try h.send([RESPCommand("PING")], timeout: .seconds(60))
        try h.channel.writeInbound(RESPValue.simpleString("PONG"))
        #expect(try Self.outcomes(long) == [.reply(.simpleString("PONG"))])
        let short = try h.send([RESPCommand("GET", "k")], timeout: .milliseconds(100))
        h.loop.advanceTime(by: .milliseconds(100))
        #expect(try Self.outcomes(short) == [.failed(.timeout(milliseconds: 100))])
    }

    @Test func answeredBatchesLeaveNothingToFireLater() throws {
        let h = try Harness()
        for _ in 0..<3 {
            let future = try h.send([RESPCommand("PING")], timeout: .milliseconds(100))
            try h.channel.writeInbound(RESPValue.simpleString("PONG"))
            #expect(try Self.outcomes(future) == [.reply(.simpleString("PONG"))])
        }
        h.loop.advanceTime(by: .seconds(10))
        #expect(h.channel.isActive)
    }

    @Test func aReplyNobodyAskedForFailsEverythingPendingAndCloses() throws {
        let h = try Harness()
        let future = try h.send([RESPCommand("GET", "k")], timeout: .seconds(5))
        try h.channel.writeInbound(RESPValue.bulk("v"))
        #expect(try Self.outcomes(future) == [.reply(.bulk("v"))])
        let next = try h.send([RESPCommand("GET", "a"), RESPCommand("GET", "b")], timeout: .seconds(5))
        try h.channel.writeInbound(RESPValue.bulk("a"))
        try h.channel.writeInbound(RESPValue.bulk("b"))
        #expect(try Self.outcomes(next) == [.reply(.bulk("a")), .reply(.bulk("b"))])
        // One more reply than commands: the stream is out of step.
        try h.channel.writeInbound(RESPValue.bulk("stray"))
        #expect(!h.channel.isActive)
        #expect(h.failure.withLockedValue { $0 } == "unexpected reply")
    }

    @Test func aCloseFailsWhatIsPendingAndNamesWhy() throws {
        let h = try Harness()
        let future = try h.send([RESPCommand("GET", "a"), RESPCommand("GET", "b")], timeout: .seconds(5))
        try h.channel.writeInbound(RESPValue.bulk("a"))
        h.channel.pipeline.fireChannelInactive()
        #expect(try Self.outcomes(future) == [.reply(.bulk("a")), .failed(.connectionClosed("closed by peer"))])
    }
}
