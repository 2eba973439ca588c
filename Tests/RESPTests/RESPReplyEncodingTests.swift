import NIOCore
import RESP
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct RESPReplyEncodingTests {
    @Test(arguments: [
        (RESPValue.simpleString("OK"), "+OK\r\n"),
        (.error("ERR lost"), "-ERR lost\r\n"),
        (.integer(1), ":1\r\n"),
        (.integer(.min), ":-9223372036854775808\r\n"),
        (.bulk("foo"), "$3\r\nfoo\r\n"),
        (.bulkString([]), "$0\r\n\r\n"),
        (.null, "$-1\r\n"),
        (.nullArray, "*-1\r\n"),
        (.array([]), "*0\r\n"),
        (.array([.integer(1), .array([.bulk("a"), .null]), .simpleString("x")]), "*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n"),
    ])
    func writesEachReplyType(value: RESPValue, expected: String) {
        #expect(RESPReplyEncoding.bytes(value) == bytes(expected))
    }

    @Test func writesBinaryBulkStringsAsTheyAre() {
        let payload: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF]
        #expect(RESPReplyEncoding.bytes(.bulkString(payload)) == bytes("$4\r\n") + payload + bytes("\r\n"))
    }

    @Test func keepsSimpleStringsAndErrorsOnOneLine() {
        #expect(RESPReplyEncoding.bytes(.simpleString("a\r\nb")) == bytes("+a  b\r\n"))
        #expect(RESPReplyEncoding.bytes(.error("ERR\nx\r")) == bytes("-ERR x \r\n"))
    }

    @Test func appendsToWhatTheBufferHolds() {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeString("XX")
        RESPReplyEncoding.write(.integer(7), into: &buffer)
        RESPReplyEncoding.write(.simpleString("OK"), into: &buffer)
        #expect(buffer.readString(length: buffer.readableBytes) == "XX:7\r\n+OK\r\n")
    }

    @Test func readsBackAsTheSameValues() throws {
        let values: [RESPValue] = [
            .simpleString("OK"), .error("WRONGTYPE no"), .integer(-5), .bulkString([0x00, 0xFF, 0x0D, 0x0A]),
            .null, .nullArray, .array([]), .array([.nullArray, .null, .array([.integer(0), .bulkString([])])]),
        ]
        let reader = RESPReader()
        for value in values { reader.feed(RESPReplyEncoding.bytes(value)) }
        for value in values { #expect(try reader.next() == value) }
        #expect(try reader.next() == nil)
    }

    @Test(arguments: [
        ("+OK", RESPValue.simpleString("OK")),
        ("+", .simpleString("")),
        ("-ERR lost", .error("ERR lost")),
        ("-", .error("")),
        (":1", .integer(1)),
        (":-42", .integer(-42)),
        (":1x", .bulk(":1x")),
        (":", .bulk(":")),
        ("$-1", .null),
        ("nil", .null),
        ("*-1", .nullArray),
        ("*0", .array([])),
        ("hello world", .bulk("hello world")),
        ("", .bulk("")),
        ("NIL", .bulk("NIL")),
        ("$3", .bulk("$3")),
    ])
    func parsesTheCommandLineShortForm(text: String, expected: RESPValue) {
        #expect(RESPValue(shortForm: text) == expected)
    }
}
