import NIOCore
import NIOEmbedded
import NIOTestUtils
import RESP
import Testing

private func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
private func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

private func decodingChannel() -> EmbeddedChannel {
    EmbeddedChannel(handler: ByteToMessageHandler(RESPValueDecoder()))
}

@Suite struct RESPChannelHandlerTests {
    @Test func passesTheDecoderVerifier() throws {
        let binary: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x2A]
        let pairs: [(ByteBuffer, [RESPValue])] = [
            (buffer("+OK\r\n"), [.simpleString("OK")]),
            (buffer("-ERR unknown\r\n"), [.error("ERR unknown")]),
            (buffer(":-12\r\n"), [.integer(-12)]),
            (buffer("$3\r\nfoo\r\n"), [.bulk("foo")]),
            (buffer(Array("$5\r\n".utf8) + binary + Array("\r\n".utf8)), [.bulkString(binary)]),
            (buffer("$-1\r\n"), [.null]),
            (buffer("*-1\r\n"), [.nullArray]),
            (buffer("$0\r\n\r\n"), [.bulkString([])]),
            (buffer("*0\r\n"), [.array([])]),
            (buffer("*2\r\n*1\r\n:1\r\n$-1\r\n"), [.array([.array([.integer(1)]), .null])]),
            // Pipelined replies in one buffer.
            (buffer("+A\r\n:2\r\n*1\r\n+C\r\n"), [.simpleString("A"), .integer(2), .array([.simpleString("C")])]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RESPValueDecoder() }
    }

    @Test func passesTheVerifierWithRepliesItWroteItself() throws {
        let values: [RESPValue] = [
            .array((0..<50).map { .bulk(String(repeating: "v", count: $0 * 11)) }),
            .array([.array([.array([.array([.array([.array([.array([.array([.integer(8)])])])])])])])]),
            .error("MOVED 3999 127.0.0.1:6381"),
        ]
        let pairs = values.map { (buffer(RESPReplyEncoding.bytes($0)), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RESPValueDecoder() }
    }

    @Test func firesEveryPipelinedReplyFromOneRead() throws {
        let channel = decodingChannel()
        try channel.writeInbound(buffer("+OK\r\n$3\r\nbar\r\n*2\r\n:1\r\n:2\r\n:4"))
        #expect(try channel.readInbound(as: RESPValue.self) == .simpleString("OK"))
        #expect(try channel.readInbound(as: RESPValue.self) == .bulk("bar"))
        #expect(try channel.readInbound(as: RESPValue.self) == .array([.integer(1), .integer(2)]))
        #expect(try channel.readInbound(as: RESPValue.self) == nil)
        try channel.writeInbound(buffer("2\r\n"))
        #expect(try channel.readInbound(as: RESPValue.self) == .integer(42))
        #expect(try channel.finish().isClean)
    }

    @Test func throwsProtocolErrorsAfterTheGoodReplies() throws {
        let channel = decodingChannel()
        // The bytes start where hiredis resumed parsing: at the failing reply, up to 32 bytes.
        #expect(throws: RESPDecodingError.protocolError(message: "Bad integer value", bytes: Array(":x\r\n+later\r\n".utf8))) {
            try channel.writeInbound(buffer("+OK\r\n:x\r\n+later\r\n"))
        }
        #expect(try channel.readInbound(as: RESPValue.self) == .simpleString("OK"))
        #expect(try channel.readInbound(as: RESPValue.self) == nil)
        _ = try? channel.finish()
    }

    @Test func throwsTooDeepNesting() throws {
        let channel = decodingChannel()
        #expect(throws: RESPDecodingError.nestingTooDeep) {
            try channel.writeInbound(buffer(String(repeating: "*1\r\n", count: 9) + ":1\r\n"))
        }
        _ = try? channel.finish()
    }

    @Test func reportsAReplyCutOffByTheEndOfInput() throws {
        let channel = decodingChannel()
        try channel.writeInbound(buffer("+OK\r\n$5\r\nhel"))
        #expect(try channel.readInbound(as: RESPValue.self) == .simpleString("OK"))
        let error = try #require(throws: RESPDecodingError.self) { try channel.finish() }
        guard case .truncated(let unparsed) = error else {
            Issue.record("expected .truncated, got \(error)")
            return
        }
        #expect(!unparsed.isEmpty && Array("$5\r\nhel".utf8).contains(run: unparsed))
    }

    @Test func reportsAnArrayCutOffBetweenElements() throws {
        let channel = decodingChannel()
        try channel.writeInbound(buffer("*2\r\n:1\r\n"))
        #expect(try channel.readInbound(as: RESPValue.self) == nil)
        #expect(throws: RESPDecodingError.truncated(bytes: [])) { try channel.finish() }
    }

    @Test func encodesCommandsOnWrite() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(RESPCommandEncoder()))
        try channel.writeOutbound(RESPCommand("GET", "k"))
        try channel.writeOutbound(RESPCommand(arguments: [Array("SET".utf8), [0x00, 0x0D, 0x0A], []]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == buffer("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
        #expect(
            try channel.readOutbound(as: ByteBuffer.self)
                == buffer(Array("*3\r\n$3\r\nSET\r\n$3\r\n".utf8) + [0x00, 0x0D, 0x0A] + Array("\r\n$0\r\n\r\n".utf8))
        )
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func failsTheWriteOfAnEmptyCommand() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(RESPCommandEncoder()))
        #expect(throws: RESPEncodingError.emptyCommand) { try channel.writeOutbound(RESPCommand(arguments: [])) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
    }

    @Test func decodesWhatTheEncoderWrote() throws {
        // The request format is RESP too: a server-side decoder reads commands as arrays of bulks.
        let client = EmbeddedChannel(handler: MessageToByteHandler(RESPCommandEncoder()))
        let server = decodingChannel()
        let command = RESPCommand(arguments: [Array("SET".utf8), [0xFF, 0x00], Array("\r\n".utf8)])
        try client.writeOutbound(command)
        let wire = try #require(try client.readOutbound(as: ByteBuffer.self))
        try server.writeInbound(wire)
        #expect(try server.readInbound(as: RESPValue.self) == .array(command.arguments.map(RESPValue.bulkString)))
        #expect(try client.finish().isClean)
        #expect(try server.finish().isClean)
    }
}
