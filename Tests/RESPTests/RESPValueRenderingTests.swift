import RESP
import Testing

@Suite struct RESPValueRenderingTests {
    @Test(arguments: [
        (RESPValue.simpleString("OK"), "OK"),
        (.error("ERR wrong number of arguments for 'get' command"), "(error) ERR wrong number of arguments for 'get' command"),
        (.integer(1), "(integer) 1"),
        (.integer(-9_223_372_036_854_775_808), "(integer) -9223372036854775808"),
        (.bulk("value"), #""value""#),
        (.bulkString([]), #""""#),
        (.null, "(nil)"),
        (.nullArray, "(nil array)"),
        (.array([]), "(empty array)"),
    ])
    func rendersScalarsLikeRedisCLI(value: RESPValue, expected: String) {
        #expect(value.redisCLIDescription == expected)
    }

    @Test func escapesBulkBytesLikeRedisCLI() {
        let value = RESPValue.bulkString([
            0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x07, 0x08, 0x00, 0x1B, 0x7F, 0xFF, 0xC3, 0xA9, 0x41, 0x20, 0x7E,
        ])
        #expect(value.redisCLIDescription == #""\"\\\n\r\t\a\b\x00\x1b\x7f\xff\xc3\xa9A ~""#)
    }

    @Test func rendersArraysAsNumberedLines() {
        let value = RESPValue.array([.bulk("a"), .integer(2), .null, .array([]), .error("ERR x")])
        #expect(
            value.redisCLIDescription == """
                1) "a"
                2) (integer) 2
                3) (nil)
                4) (empty array)
                5) (error) ERR x
                """
        )
    }

    @Test func indentsNestedArraysUnderTheirIndex() {
        let value = RESPValue.array([
            .array([.bulk("a"), .array([.bulk("b"), .nullArray])]),
            .bulk("c"),
        ])
        #expect(
            value.redisCLIDescription == """
                1) 1) "a"
                   2) 1) "b"
                      2) (nil array)
                2) "c"
                """
        )
    }

    @Test func rightAlignsIndicesOfLongArrays() {
        let value = RESPValue.array((1...10).map { .integer(Int64($0)) } + [.array([.bulk("x"), .bulk("y")])])
        let expected = (1...9).map { " \($0)) (integer) \($0)" } + ["10) (integer) 10", "11) 1) \"x\"", "    2) \"y\""]
        #expect(value.redisCLIDescription == expected.joined(separator: "\n"))
    }

    @Test func cutsLongBulkStringsAndTellsTheirLength() {
        let exactly200 = RESPValue.bulkString(Array(repeating: 0x61, count: 200))
        #expect(exactly200.redisCLIDescription == "\"" + String(repeating: "a", count: 200) + "\"")

        let long = RESPValue.bulkString(Array(repeating: 0x62, count: 199) + [0x0A] + Array(repeating: 0x63, count: 800))
        #expect(long.redisCLIDescription == "\"" + String(repeating: "b", count: 199) + "\\n\"...(1000 bytes)")

        let inArray = RESPValue.array([.bulkString(Array(repeating: 0x7A, count: 201))])
        #expect(inArray.redisCLIDescription == "1) \"" + String(repeating: "z", count: 200) + "\"...(201 bytes)")
    }
}
