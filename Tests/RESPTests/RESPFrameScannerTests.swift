import NIOCore
import RESP
import Testing

private func replyLength(_ text: String) throws(RESPFrameError) -> Int? {
    try RESPFrameScanner.replyLength(in: ByteBuffer(string: text))
}

private func request(_ text: String) throws(RESPFrameError) -> RESPRequestFrame? {
    try RESPFrameScanner.request(in: ByteBuffer(string: text))
}

@Suite("RESPFrameScanner: where requests and replies end")
struct RESPFrameScannerTests {
    static let replies = [
        "+OK\r\n", "-ERR wrong number of arguments\r\n", ":42\r\n", ":-1\r\n", "$3\r\nfoo\r\n", "$0\r\n\r\n",
        "$-1\r\n", "*-1\r\n", "*0\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "*2\r\n*1\r\n$-1\r\n*2\r\n+a\r\n*0\r\n",
        "$4\r\na\r\nb\r\n",  // CRLF inside a bulk payload is data
        // RESP3, after HELLO 3
        "_\r\n", "#t\r\n", ",1.5\r\n", "(123\r\n", "=7\r\ntxt:abc\r\n", "!3\r\nERR\r\n",
        "%1\r\n+k\r\n:1\r\n", "~1\r\n+m\r\n", ">2\r\n+message\r\n+x\r\n", "|1\r\n+ttl\r\n:3\r\n+value\r\n",
    ]

    @Test(arguments: replies)
    func everyReplyTypeIsOneWholeFrame(_ reply: String) throws {
        #expect(try replyLength(reply) == reply.utf8.count)
    }

    @Test(arguments: replies)
    func aReplySplitAtAnyByteIsIncompleteUntilItsLastByte(_ reply: String) throws {
        let bytes = Array(reply.utf8)
        for cut in 0..<bytes.count {
            #expect(
                try RESPFrameScanner.replyLength(in: ByteBuffer(bytes: bytes[..<cut])) == nil,
                "cut at \(cut) of \(reply.debugDescription)")
        }
    }

    @Test func pipelinedRepliesAreFramedOneAtATime() throws {
        var buffer = ByteBuffer(string: "+OK\r\n:1\r\n$2\r\nhi\r\n*1\r\n:2\r\n$5\r\nhal")
        var lengths: [Int] = []
        while let length = try RESPFrameScanner.replyLength(in: buffer) {
            lengths.append(length)
            buffer.moveReaderIndex(forwardBy: length)
        }
        #expect(lengths == [5, 4, 8, 8])
        #expect(buffer.readableBytes == 7)
    }

    @Test func deepNestingNeedsNoRecursion() throws {
        let reply = String(repeating: "*1\r\n", count: 100_000) + ":1\r\n"
        #expect(try replyLength(reply) == reply.utf8.count)
    }

    @Test func multibulkRequestsGiveTheUpperCasedNameAndArgumentCount() throws {
        let text = "*3\r\n$6\r\nexpire\r\n$4\r\nsess\r\n$2\r\n60\r\n"
        #expect(try request(text) == RESPRequestFrame(length: text.utf8.count, name: "EXPIRE", argumentCount: 3))
        let bytes = Array(text.utf8)
        for cut in 0..<bytes.count {
            #expect(try RESPFrameScanner.request(in: ByteBuffer(bytes: bytes[..<cut])) == nil, "cut at \(cut)")
        }
    }

    @Test func pipelinedRequestsAreFramedOneAtATime() throws {
        var buffer = ByteBuffer(string: "*1\r\n$4\r\nPING\r\nget k\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*1\r\n$4\r\nPI")
        var frames: [RESPRequestFrame] = []
        while let frame = try RESPFrameScanner.request(in: buffer) {
            frames.append(frame)
            buffer.moveReaderIndex(forwardBy: frame.length)
        }
        #expect(frames.map(\.name) == ["PING", "GET", "DEL"])
        #expect(frames.map(\.argumentCount) == [1, 2, 2])
        #expect(buffer.readableBytes == 10)
    }

    @Test func inlineCommandsSplitOnSpacesAndEndAtLF() throws {
        #expect(try request("set  key value\r\n") == RESPRequestFrame(length: 16, name: "SET", argumentCount: 3))
        #expect(try request("PING\n") == RESPRequestFrame(length: 5, name: "PING", argumentCount: 1))
        #expect(try request("\r\n") == RESPRequestFrame(length: 2, name: "", argumentCount: 0))
        #expect(try request("ping") == nil)
        #expect(try request("*0\r\n") == RESPRequestFrame(length: 4, name: "", argumentCount: 0))
    }

    @Test func malformedRepliesAreErrorsCarryingTheBytes() {
        for garbage in ["?what\r\n", "$x\r\nab\r\n", "$2\r\nabcd\r\n", "*-2\r\n", ":1\nfoo", "$-5\r\n", "+OK\rX"] {
            #expect(throws: RESPFrameError.self, "\(garbage.debugDescription)") { try replyLength(garbage) }
        }
        do {
            _ = try replyLength("*1\r\n?bad\r\n")
            Issue.record("no error")
        } catch {
            #expect(error.bytes == Array("?bad\r\n".utf8))
            #expect(error.description.contains("?bad\\r\\n"))
        }
    }

    @Test func malformedRequestsAreErrors() {
        for garbage in ["*1\r\n:1\r\n", "*x\r\n", "*1\r\n$3\r\nGETX\r\n", "*2\r\n$3\r\nGET\r\n+k\r\n", "*1\r\n$-1\r\n"] {
            #expect(throws: RESPFrameError.self, "\(garbage.debugDescription)") { try request(garbage) }
        }
        let endless = String(repeating: "a", count: RESPFrameScanner.maximumLineLength + 1)
        #expect(throws: RESPFrameError.self) { try request(endless) }
    }
}

@Suite("RESPFrameScanner: announced lengths past a limit")
struct RESPFrameScannerLimitTests {
    @Test("a reply's bulk header past the limit is refused before its payload")
    func reply() {
        let header = Array("*2\r\n$3\r\nfoo\r\n$2147483648\r\n".utf8)
        do {
            _ = try header.withUnsafeBytes { bytes throws(RESPFrameError) in
                try RESPFrameScanner.replyLength(bytes, maximumBulkLength: 1000)
            }
            Issue.record("framed a reply announcing 2147483648 bytes")
        } catch let error as RESPFrameError {
            #expect(error.announcedLength == 2_147_483_648)
            #expect(error.reason == "a bulk string of 2147483648 bytes exceeds the limit of 1000")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("a request's bulk header past the limit is refused before its payload")
    func request() {
        let header = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1001\r\n".utf8)
        do {
            _ = try header.withUnsafeBytes { bytes throws(RESPFrameError) in
                try RESPFrameScanner.request(bytes, maximumBulkLength: 1000)
            }
            Issue.record("framed a request announcing 1001 bytes")
        } catch let error as RESPFrameError {
            #expect(error.announcedLength == 1001)
        } catch {
            Issue.record("\(error)")
        }
        let fits = Array("*2\r\n$3\r\nGET\r\n$4\r\nabcd\r\n".utf8)
        #expect(
            (try? fits.withUnsafeBytes { bytes throws(RESPFrameError) in try RESPFrameScanner.request(bytes, maximumBulkLength: 4)
            })??.length
                == fits.count)
    }
}
