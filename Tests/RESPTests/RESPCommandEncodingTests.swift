import NIOCore
@testable import RESP
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct RESPCommandEncodingTests {
    @Test(arguments: [
        (RESPCommand("SET", "k", "v"), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        (RESPCommand("PING"), "*1\r\n$4\r\nPING\r\n"),
        (RESPCommand("CONFIG", "GET", "maxmemory"), "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$9\r\nmaxmemory\r\n"),
        (RESPCommand("SET", "k", ""), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"),
        (RESPCommand(arguments: [[]]), "*1\r\n$0\r\n\r\n"),
        (RESPCommand(arguments: [[], [], []]), "*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n"),
    ])
    func encodesKnownCommands(command: RESPCommand, expected: String) throws {
        #expect(try RESPCommandEncoding.encode(command) == bytes(expected))
    }

    @Test func encodesBinaryArguments() throws {
        let value: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x24, 0x2A]
        let command = RESPCommand(arguments: [bytes("SET"), [0xC3, 0x28], value])
        let expected = bytes("*3\r\n$3\r\nSET\r\n$2\r\n") + [0xC3, 0x28] + bytes("\r\n$6\r\n") + value + bytes("\r\n")
        #expect(try RESPCommandEncoding.encode(command) == expected)
    }

    @Test func appendsToWhatTheBufferHolds() throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeString("XX")
        try RESPCommandEncoding.encode(RESPCommand("GET", "k"), into: &buffer)
        try RESPCommandEncoding.encode(RESPCommand("DEL", "k"), into: &buffer)
        #expect(
            buffer.readString(length: buffer.readableBytes) == "XX*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n")
    }

    @Test func refusesAnEmptyCommand() {
        #expect(throws: RESPEncodingError.emptyCommand) { try RESPCommandEncoding.encode(RESPCommand(arguments: [])) }
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        #expect(throws: RESPEncodingError.emptyCommand) {
            try RESPCommandEncoding.encode(RESPCommand(arguments: []), into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test func encodesLongArgumentsAndManyOfThem() throws {
        let long = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let many = (0..<1_000).map { bytes("member\($0)") }
        let command = RESPCommand(arguments: [bytes("SADD"), long] + many)
        let encoded = try RESPCommandEncoding.encode(command)
        var expected = bytes("*1002\r\n$4\r\nSADD\r\n$100000\r\n") + long + bytes("\r\n")
        for member in many { expected += bytes("$\(member.count)\r\n") + member + bytes("\r\n") }
        #expect(encoded == expected)
    }

    @Test func readsBackAsTheSameArguments() throws {
        let commands = [
            RESPCommand("SET", "key", "value", "EX", "10"),
            RESPCommand(arguments: [bytes("HSET"), [0x00, 0xFF], [], bytes("\r\n$-1\r\n")]),
            RESPCommand(arguments: [bytes("ECHO"), (0..<3000).map { UInt8(truncatingIfNeeded: $0) }]),
        ]
        let reader = RESPReader()
        for command in commands {
            reader.feed(try RESPCommandEncoding.encode(command))
        }
        for command in commands {
            #expect(try reader.next() == .array(command.arguments.map(RESPValue.bulkString)))
        }
        #expect(try reader.next() == nil)
    }

    @Test func predictsTheFormattedLengthItGuardsWith() throws {
        // The 2 GiB guard for hiredis's `int` length relies on this count being exact.
        let commands = [
            RESPCommand("PING"),
            RESPCommand(arguments: [[], []]),
            RESPCommand(arguments: [bytes("SET"), Array(repeating: 0x61, count: 9), Array(repeating: 0x62, count: 10)]),
            RESPCommand(arguments: (0..<12).map { Array(repeating: 0x78, count: $0 * 97) }),
        ]
        for command in commands {
            let encoded = try RESPCommandEncoding.encode(command)
            #expect(RESPCommandEncoding.formattedLength(of: command.arguments) == encoded.count)
        }
    }

    @Test func describesErrors() {
        #expect(RESPEncodingError.emptyCommand.description == "cannot encode an empty command")
        #expect(RESPEncodingError.commandTooLarge(byteCount: 3_000_000_000).description.contains("3000000000 bytes"))
    }
}

/// The pure-Swift writer used for batches must produce hiredis's bytes exactly.
@Suite struct RESPCommandWriterTests {
    static func swiftBytes(_ command: RESPCommand) throws -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        try RESPCommandEncoding.write(command, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func matchesHiredisOnAssortedCommands() throws {
        var generator = SystemRandomNumberGenerator()
        var commands = [
            RESPCommand("PING"), RESPCommand("SET", "k", ""), RESPCommand(arguments: [[]]),
            RESPCommand(arguments: [Array("SET".utf8), [0x00, 0x0D, 0x0A, 0xFF], Array(repeating: 0x61, count: 12_345)]),
            RESPCommand(strings: (0..<123).map { String($0) }),
        ]
        for _ in 0..<200 {
            let count = Int.random(in: 1...12, using: &generator)
            commands.append(
                RESPCommand(
                    arguments: (0..<count).map { _ in
                        (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    }))
        }
        for command in commands {
            #expect(try Self.swiftBytes(command) == RESPCommandEncoding.encode(command))
        }
    }

    @Test func refusesAnEmptyCommand() {
        #expect(throws: RESPEncodingError.emptyCommand) { try Self.swiftBytes(RESPCommand(arguments: [])) }
    }
}

/// A pre-encoded head plus one last argument must equal the whole command encoded at once.
@Suite struct RESPCommandHeadTests {
    @Test(arguments: [
        (["TYPE"], ""), (["PTTL"], "rt:user123:9f2c"), (["MEMORY", "USAGE"], String(repeating: "k", count: 12_345)),
    ])
    func headAndLastArgumentEqualTheWholeCommand(head: [String], last: String) throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        RESPCommandEncoding.write(
            head: RESPCommandEncoding.head(head.map { Array($0.utf8) }), last: Array(last.utf8), into: &buffer)
        #expect(Array(buffer.readableBytesView) == (try RESPCommandEncoding.encode(RESPCommand(strings: head + [last]))))
    }
}
