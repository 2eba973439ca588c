import RESP
import Testing

private func decoded(_ text: String) -> RESPValue? {
    RESPFrameDecoder.value(Array(text.utf8))
}

private func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

@Suite("RESPFrameDecoder: a RESP2 or RESP3 frame read as RESP2 would give it")
struct RESPFrameDecoderTests {
    @Test func resp2ValuesDecodeAsTheyAre() {
        #expect(decoded("+OK\r\n") == .simpleString("OK"))
        #expect(decoded("-ERR wrong type\r\n") == .error("ERR wrong type"))
        #expect(decoded(":-42\r\n") == .integer(-42))
        #expect(decoded("$4\r\na\r\nb\r\n") == bulk("a\r\nb"), "CRLF inside a payload is data")
        #expect(decoded("$0\r\n\r\n") == bulk(""))
        #expect(decoded("$-1\r\n") == .null)
        #expect(decoded("*-1\r\n") == .nullArray)
        #expect(decoded("*-01\r\n") == .nullArray, "the scanner reads the count as a number")
        #expect(decoded("$-01\r\n") == .null)
        #expect(decoded("*2\r\n$1\r\na\r\n*1\r\n:1\r\n") == .array([bulk("a"), .array([.integer(1)])]))
    }

    @Test func resp3TypesTakeTheirResp2Shape() {
        // HGETALL over RESP3 is a map: over RESP2 the same pairs, flat.
        #expect(
            decoded("%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n")
                == .array([bulk("a"), bulk("1"), bulk("b"), bulk("2")]))
        #expect(decoded("~2\r\n$1\r\nx\r\n$1\r\ny\r\n") == .array([bulk("x"), bulk("y")]))
        // ZSCORE: a double over RESP3, the same number as a bulk string over RESP2.
        #expect(decoded(",1.5\r\n") == bulk("1.5"))
        #expect(decoded(",inf\r\n") == bulk("inf"))
        #expect(
            decoded("(3492890328409238509324850943850943825024385\r\n") == bulk("3492890328409238509324850943850943825024385"))
        #expect(decoded("#t\r\n") == .integer(1))
        #expect(decoded("#f\r\n") == .integer(0))
        #expect(decoded("_\r\n") == .null)
        #expect(decoded("=9\r\ntxt:hello\r\n") == bulk("hello"), "a verbatim string without its format")
        #expect(decoded("!10\r\nERR failed\r\n") == .error("ERR failed"))
        #expect(decoded(">2\r\n+message\r\n+x\r\n") == .array([.simpleString("message"), .simpleString("x")]))
        #expect(decoded("|1\r\n+ttl\r\n:3\r\n:7\r\n") == .integer(7), "attributes are dropped, their value kept")
    }

    @Test func requestsDecodeToTheirArguments() {
        let request = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nx\r\n".utf8)
        #expect(request.withUnsafeBytes(RESPFrameDecoder.arguments) == [Array("SET".utf8), [0x6B], Array("v\r\nx".utf8)])
        let inline = Array("GET  key\r\n".utf8)
        #expect(inline.withUnsafeBytes(RESPFrameDecoder.arguments) == [Array("GET".utf8), Array("key".utf8)])
        for empty in ["*0\r\n", "*-1\r\n", "*-3\r\n"] {
            #expect(Array(empty.utf8).withUnsafeBytes(RESPFrameDecoder.arguments) == [], "\(empty) has no command")
        }
        let notStrings = Array("*1\r\n:1\r\n".utf8)
        #expect(notStrings.withUnsafeBytes(RESPFrameDecoder.arguments) == nil)
    }

    @Test(arguments: ["", "+OK", "$5\r\nab\r\n", "*2\r\n:1\r\n", "?x\r\n", "*x\r\n"])
    func aTruncatedOrMalformedFrameIsNil(_ text: String) {
        #expect(decoded(text) == nil)
    }

    @Test func anIntegerLineThatIsNoIntegerIsKeptAsItsBytes() {
        // The scanner frames it (it only looks for the line's end), so a recording must decode it.
        #expect(decoded(":abc\r\n") == bulk("abc"))
        #expect(RESPFrameDecoder.value([0x3A, 0xC8, 0xC1, 0x0D, 0x0A]) == .bulkString([0xC8, 0xC1]))
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let deep = String(repeating: "*1\r\n", count: 10_000) + ":1\r\n"
        #expect(decoded(deep) == nil)
        let shallow = String(repeating: "*1\r\n", count: 10) + ":1\r\n"
        #expect(decoded(shallow) != nil)
    }
}
