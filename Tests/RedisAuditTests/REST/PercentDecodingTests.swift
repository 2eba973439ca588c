import Testing
@testable import RedisAuditREST

/// Percent-decoding of path segments and query parameters to bytes.
@Suite("Percent-decoding to bytes")
struct PercentDecodingTests {
    @Test func escapesBecomeTheirBytesWhetherOrNotTheyAreUTF8() {
        #expect(PercentDecoding.bytes(Array("%00%80%FF%fe".utf8)) == [0x00, 0x80, 0xff, 0xfe])
        #expect(PercentDecoding.bytes(Array("h%C3%A9llo".utf8)) == Array("héllo".utf8))
        #expect(PercentDecoding.bytes(Array("a+b".utf8)) == Array("a+b".utf8))
    }

    @Test func aPercentWithoutTwoHexDigitsStaysAsItIs() {
        #expect(PercentDecoding.bytes(Array("100%".utf8)) == Array("100%".utf8))
        #expect(PercentDecoding.bytes(Array("%4".utf8)) == Array("%4".utf8))
        #expect(PercentDecoding.bytes(Array("%zz%41".utf8)) == Array("%zzA".utf8))
    }
}
