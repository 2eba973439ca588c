import NIOCore
import RESP
import Testing

/// Every reply that `bytes` holds, fed in one piece.
private func replies(_ bytes: [UInt8]) throws(RESPDecodingError) -> [RESPValue] {
    let reader = RESPReader()
    reader.feed(bytes)
    var values: [RESPValue] = []
    while let value = try reader.next() { values.append(value) }
    return values
}

private func replies(_ text: String) throws(RESPDecodingError) -> [RESPValue] {
    try replies(Array(text.utf8))
}

/// Every reply that `bytes` holds, fed in pieces of `chunkSize` bytes, draining after each piece.
private func replies(_ bytes: [UInt8], chunkSize: Int) throws(RESPDecodingError) -> [RESPValue] {
    let reader = RESPReader()
    var values: [RESPValue] = []
    var start = 0
    while start < bytes.count {
        let end = min(start + chunkSize, bytes.count)
        reader.feed(Array(bytes[start..<end]))
        while let value = try reader.next() { values.append(value) }
        start = end
    }
    return values
}

/// `depth` arrays of one element each, around `leaf`.
private func nested(_ depth: Int, around leaf: String) -> String {
    String(repeating: "*1\r\n", count: depth) + leaf
}

private func nestedValue(_ depth: Int, around leaf: RESPValue) -> RESPValue {
    (0..<depth).reduce(leaf) { inner, _ in .array([inner]) }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct RESPReaderTests {
    @Test(arguments: [
        ("+OK\r\n", RESPValue.simpleString("OK")),
        ("+\r\n", .simpleString("")),
        ("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
        ("-WRONGTYPE Operation against a key\r\n", .error("WRONGTYPE Operation against a key")),
        (":0\r\n", .integer(0)),
        (":-42\r\n", .integer(-42)),
        (":9223372036854775807\r\n", .integer(.max)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$3\r\nfoo\r\n", .bulk("foo")),
        ("$0\r\n\r\n", .bulkString([])),
        ("$-1\r\n", .null),
        ("*-1\r\n", .nullArray),
        ("*0\r\n", .array([])),
        ("*3\r\n:1\r\n$1\r\na\r\n+b\r\n", .array([.integer(1), .bulk("a"), .simpleString("b")])),
    ])
    func decodesEachReplyType(input: String, expected: RESPValue) throws {
        #expect(try replies(input) == [expected])
        #expect(try replies(bytes(input), chunkSize: 1) == [expected])
    }

    @Test func keepsTheFourEmptyAndNullFormsApart() throws {
        let decoded = try replies("$-1\r\n*-1\r\n$0\r\n\r\n*0\r\n")
        #expect(decoded == [.null, .nullArray, .bulkString([]), .array([])])
    }

    @Test func tellsNullKindsApartInsideArrays() throws {
        // The nil inside an array goes through hiredis's read tasks at depth > 0.
        let decoded = try replies("*4\r\n$-1\r\n*-1\r\n*2\r\n*-1\r\n$-1\r\n$0\r\n\r\n")
        #expect(decoded == [.array([.null, .nullArray, .array([.nullArray, .null]), .bulkString([])])])
    }

    @Test func bulkStringsAreBinarySafe() throws {
        let payload: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0xC3, 0x28, 0x0D, 0x0A, 0x24, 0x2D, 0x31, 0x0D, 0x0A, 0x00]
        let input = bytes("$\(payload.count)\r\n") + payload + bytes("\r\n")
        #expect(try replies(input) == [.bulkString(payload)])
        #expect(try replies(input, chunkSize: 1) == [.bulkString(payload)])
    }

    @Test func decodesNestedArrays() throws {
        let input = "*3\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n-ERR inner\r\n*0\r\n"
        let expected = RESPValue.array([
            .array([.integer(1), .array([.bulk("x")])]),
            .error("ERR inner"),
            .array([]),
        ])
        #expect(try replies(input) == [expected])
    }

    @Test func acceptsArraysNestedEightDeep() throws {
        // hiredis 0.14.1 says "depth > 7" counting the outermost array as depth 0: eight
        // nested arrays are the most it reads.
        #expect(try replies(nested(8, around: ":1\r\n")) == [nestedValue(8, around: .integer(1))])
        #expect(try replies(nested(8, around: "$-1\r\n")) == [nestedValue(8, around: .null)])
        #expect(try replies(bytes(nested(8, around: "+x\r\n")), chunkSize: 1) == [nestedValue(8, around: .simpleString("x"))])
    }

    @Test(arguments: ["*1\r\n:1\r\n", "*0\r\n", "*-1\r\n"])
    func refusesANinthNestedArray(ninth: String) throws {
        // Any array header at depth 8 is refused, even an empty or a null one.
        #expect(throws: RESPDecodingError.nestingTooDeep) { try replies(nested(8, around: ninth)) }
        #expect(throws: RESPDecodingError.nestingTooDeep) { try replies(bytes(nested(8, around: ninth)), chunkSize: 1) }
    }

    @Test func refusesArraysAnnouncingMoreElementsThanItWillAllocate() throws {
        // hiredis would reserve 16 GiB of element pointers for this header before any element arrives.
        do {
            _ = try replies("*2147483647\r\n:1\r\n")
            Issue.record("a 2^31-1 element array header was accepted")
        } catch {
            guard case .protocolError(let message, _) = error else { Issue.record("\(error)"); return }
            #expect(message == "Array of 2147483647 elements exceeds the limit of 16777216")
        }
        #expect(throws: RESPDecodingError.self) { try replies("*16777217\r\n") }
        // Below it, an array header just waits for its elements.
        let reader = RESPReader()
        reader.feed(Array("*1000\r\n:1\r\n".utf8))
        #expect(try reader.next() == nil)
    }

    @Test func refusesDeepNestingInsideWideArrays() throws {
        let deep = nested(8, around: "*1\r\n:1\r\n")
        #expect(throws: RESPDecodingError.nestingTooDeep) { try replies("*2\r\n:1\r\n" + deep) }
    }

    @Test(arguments: [
        ("!x\r\n", "Protocol error, got \"!\" as reply type byte"),
        ("$abc\r\nfoo\r\n", "Bad bulk string length"),
        ("$-5\r\n", "Bulk string length out of range"),
        ("$+3\r\nfoo\r\n", "Bad bulk string length"),
        (":12a\r\n", "Bad integer value"),
        (":\r\n", "Bad integer value"),
        (":9223372036854775808\r\n", "Bad integer value"),
        ("*x\r\n", "Bad multi-bulk length"),
        ("*-2\r\n", "Multi-bulk length out of range"),
    ])
    func reportsMalformedInputWithItsBytes(input: String, message: String) throws {
        #expect(throws: RESPDecodingError.protocolError(message: message, bytes: bytes(input))) {
            try replies(input)
        }
        // Fed byte by byte the message stays the same; the bytes are where parsing resumed.
        let error = try #require(throws: RESPDecodingError.self) { try replies(bytes(input), chunkSize: 1) }
        guard case .protocolError(let actualMessage, let actualBytes) = error else {
            Issue.record("expected a protocol error, got \(error)")
            return
        }
        #expect(actualMessage == message)
        #expect(!actualBytes.isEmpty && bytes(input).contains(run: actualBytes))
    }

    @Test func reportsABulkStringWithoutItsCRLF() throws {
        // hiredis skips the two bytes after the payload unread; the reader checks them.
        #expect(
            throws: RESPDecodingError.protocolError(
                message: "Bulk string of 3 bytes not followed by CRLF",
                bytes: bytes("fooXY")
            )
        ) { try replies("$3\r\nfooXY:1\r\n") }
        #expect(throws: RESPDecodingError.self) { try replies(bytes("*2\r\n$1\r\na\r\n$1\r\nb\n\r"), chunkSize: 1) }
    }

    @Test func reportsWhereAnHTTPServerAnswered() throws {
        let input = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
        #expect(
            throws: RESPDecodingError.protocolError(
                message: "Protocol error, got \"H\" as reply type byte",
                bytes: Array(bytes(input).prefix(32))
            )
        ) { try replies(input) }
    }

    @Test func reportsTheBytesOfTheFailingReplyNotOfEarlierOnes() throws {
        let reader = RESPReader()
        reader.feed(bytes("+OK\r\n:1\r\n:x\r\n"))
        #expect(try reader.next() == .simpleString("OK"))
        #expect(try reader.next() == .integer(1))
        #expect(throws: RESPDecodingError.protocolError(message: "Bad integer value", bytes: bytes(":x\r\n"))) {
            try reader.next()
        }
    }

    @Test func returnsNilUntilAReplyIsComplete() throws {
        let input = bytes("*3\r\n$5\r\nhello\r\n:-7\r\n*1\r\n+ok\r\n")
        let reader = RESPReader()
        for byte in input.dropLast() {
            reader.feed([byte])
            #expect(try reader.next() == nil)
            #expect(reader.hasPartialReply)
        }
        reader.feed([input.last!])
        #expect(try reader.next() == .array([.bulk("hello"), .integer(-7), .array([.simpleString("ok")])]))
        #expect(try reader.next() == nil)
        #expect(!reader.hasPartialReply)
    }

    @Test func decodesTheSameWhereverTheInputIsSplit() throws {
        let payload: [UInt8] = [0x0D, 0x0A, 0x00, 0xFE]
        let input = bytes("+OK\r\n*2\r\n$4\r\n") + payload + bytes("\r\n*-1\r\n:12\r\n$-1\r\n-ERR x\r\n")
        let expected: [RESPValue] = [
            .simpleString("OK"), .array([.bulkString(payload), .nullArray]), .integer(12), .null, .error("ERR x"),
        ]
        for split in 0...input.count {
            let reader = RESPReader()
            var values: [RESPValue] = []
            reader.feed(Array(input[..<split]))
            while let value = try reader.next() { values.append(value) }
            reader.feed(Array(input[split...]))
            while let value = try reader.next() { values.append(value) }
            #expect(values == expected, "split at \(split)")
        }
    }

    @Test func readsLongStreamsPastHiredissBufferTrimming() throws {
        // hiredis drops parsed bytes from its buffer once 1 KiB is consumed; replies that straddle
        // that point must come out whole.
        var input: [UInt8] = []
        var expected: [RESPValue] = []
        for index in 0..<300 {
            let payload = (0..<(index % 37)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            input += bytes(":\(index)\r\n$\(payload.count)\r\n") + payload + bytes("\r\n")
            expected += [.integer(Int64(index)), .bulkString(payload)]
        }
        let big = (0..<20_000).map { UInt8(truncatingIfNeeded: $0) }
        input += bytes("$\(big.count)\r\n") + big + bytes("\r\n")
        expected.append(.bulkString(big))
        #expect(try replies(input) == expected)
        #expect(try replies(input, chunkSize: 7) == expected)
        #expect(try replies(input, chunkSize: 1000) == expected)
    }

    @Test func errorsAreStickyUntilReset() throws {
        let reader = RESPReader()
        reader.feed(bytes("?\r\n"))
        let failure = RESPDecodingError.protocolError(
            message: "Protocol error, got \"?\" as reply type byte", bytes: bytes("?\r\n"))
        #expect(throws: failure) { try reader.next() }
        reader.feed(bytes("+OK\r\n"))
        #expect(throws: failure) { try reader.next() }
        #expect(!reader.hasPartialReply)

        reader.reset()
        #expect(try reader.next() == nil)
        reader.feed(bytes("+OK\r\n"))
        #expect(try reader.next() == .simpleString("OK"))
    }

    @Test func recoversFromTooDeepNestingAfterReset() throws {
        let reader = RESPReader()
        reader.feed(bytes(nested(9, around: ":1\r\n")))
        #expect(throws: RESPDecodingError.nestingTooDeep) { try reader.next() }
        reader.reset()
        reader.feed(bytes(nested(8, around: ":1\r\n")))
        #expect(try reader.next() == nestedValue(8, around: .integer(1)))
    }

    @Test func resetDropsAHalfReadReply() throws {
        let reader = RESPReader()
        reader.feed(bytes("*2\r\n:1\r\n"))
        #expect(try reader.next() == nil)
        #expect(reader.hasPartialReply)
        #expect(reader.unparsedPrefix.isEmpty)  // the header and first element are parsed already
        reader.reset()
        #expect(!reader.hasPartialReply)
        reader.feed(bytes(":2\r\n"))
        #expect(try reader.next() == .integer(2))
    }

    @Test func reportsUnparsedBytesOfAPartialReply() throws {
        let reader = RESPReader()
        reader.feed(bytes(":12"))
        #expect(reader.hasPartialReply)
        #expect(reader.unparsedPrefix == bytes(":12"))
        #expect(try reader.next() == nil)
        #expect(bytes(":12").contains(run: reader.unparsedPrefix))
    }

    @Test func readsTheReadableBytesOfAByteBuffer() throws {
        var buffer = ByteBuffer(string: "junk+OK\r\n:")
        buffer.moveReaderIndex(forwardBy: 4)
        let reader = RESPReader()
        reader.feed(buffer)
        #expect(buffer.readerIndex == 4)
        #expect(try reader.next() == .simpleString("OK"))
        reader.feed(ByteBuffer(string: "5\r\n"))
        #expect(try reader.next() == .integer(5))
    }

    @Test func describesErrorsWithEscapedBytes() {
        let error = RESPDecodingError.protocolError(message: "Bad integer value", bytes: bytes(":1x\r\n") + [0xFF])
        #expect(error.description == #"RESP protocol error: Bad integer value (at ":1x\r\n\xff")"#)
        #expect(RESPDecodingError.nestingTooDeep.description.contains("nested more than 8 deep"))
    }
}

extension Array where Element: Equatable {
    /// True when `run` appears in the array as consecutive elements.
    func contains(run: [Element]) -> Bool {
        guard run.count <= count else { return false }
        return (0...(count - run.count)).contains { Array(self[$0..<($0 + run.count)]) == run }
    }
}

/// Replies past the reader's limits are refused as their headers arrive, never buffered whole.
@Suite("RESPReader: reply limits")
struct RESPReaderLimitTests {
    private func drain(_ reader: RESPReader) throws(RESPDecodingError) -> [RESPValue] {
        var values: [RESPValue] = []
        while let value = try reader.next() { values.append(value) }
        return values
    }

    @Test("a bulk string announcing more than the limit is refused at its header")
    func announcedBulk() {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 1 << 20))
        reader.feed(Array("$2147483648\r\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 1000))
        #expect(throws: RESPDecodingError.replyTooLarge(bytes: 2_147_483_648, limit: 1 << 20)) { try drain(reader) }
        // Sticky: later input is dropped, the same error comes back.
        reader.feed(Array(repeating: UInt8(ascii: "x"), count: 1000))
        #expect(throws: RESPDecodingError.replyTooLarge(bytes: 2_147_483_648, limit: 1 << 20)) { try drain(reader) }
        #expect(
            RESPDecodingError.replyTooLarge(bytes: 2_147_483_648, limit: 1 << 20).description
                == "a reply of 2147483648 bytes exceeds --max-reply-bytes (1048576); the connection was closed")
    }

    @Test("a header arriving a byte at a time is refused once complete, not before")
    func headerInPieces() throws {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 300))
        for byte in Array("*2\r\n$5\r\nhello\r\n$200".utf8) {
            reader.feed([byte])
            #expect(try drain(reader).isEmpty)
        }
        reader.feed(Array("\r\n".utf8))
        // What the reply weighs so far counts too: 2 elements × 64, 5 bytes, then 200 announced.
        #expect(throws: RESPDecodingError.replyTooLarge(bytes: 333, limit: 300)) { try drain(reader) }
    }

    @Test("an array whose strings add up past the limit is refused, even when it arrives whole")
    func arrayTotal() {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 200))
        let element = "$60\r\n" + String(repeating: "a", count: 60) + "\r\n"
        reader.feed(Array(("*2\r\n" + element + element).utf8))
        #expect(throws: RESPDecodingError.replyTooLarge(bytes: 248, limit: 200)) { try drain(reader) }
    }

    @Test("an array header announcing more elements than the limit allows is refused before its elements arrive")
    func arrayHeader() {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 1 << 20))
        reader.feed(Array("*16000000\r\n:1\r\n".utf8))
        #expect(throws: RESPDecodingError.replyTooLarge(bytes: 16_000_000 * 64, limit: 1 << 20)) { try drain(reader) }
    }

    @Test("a bulk string past the limit that arrives whole is refused too")
    func wholeBulk() {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 10))
        reader.feed(Array("$11\r\nhello world\r\n".utf8))
        #expect(throws: RESPDecodingError.replyTooLarge(bytes: 11, limit: 10)) { try drain(reader) }
    }

    @Test("replies within the limit are read, one after another, each counted on its own")
    func withinLimit() throws {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 200))
        let element = "$60\r\n" + String(repeating: "a", count: 60) + "\r\n"
        reader.feed(Array((element + element + "*1\r\n" + element).utf8))
        #expect(try drain(reader).count == 3)
    }

    @Test("input piling up past the buffered limit is refused")
    func buffered() {
        let reader = RESPReader(limits: RESPReplyLimits(maxReplyBytes: 100, maxBufferedBytes: 1000))
        reader.feed(Array("+".utf8) + Array(repeating: UInt8(ascii: "s"), count: 1500))
        #expect(throws: RESPDecodingError.bufferTooLarge(bytes: 1501, limit: 1000)) { try drain(reader) }
    }
}
