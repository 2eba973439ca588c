import Testing
@testable import RedisAudit

@Suite("KeyGlob: Redis's glob syntax for --key")
struct KeyGlobTests {
    private func matches(_ pattern: String, _ key: String) -> Bool { KeyGlob(pattern).matches(Array(key.utf8)) }

    @Test func starsAndQuestionMarks() {
        #expect(matches("rt:*", "rt:user123:abc"))
        #expect(!matches("rt:*", "sess:user123"))
        #expect(matches("*:user123", "sess:user123"))
        #expect(matches("sess:user1??", "sess:user123"))
        #expect(!matches("sess:user1??", "sess:user1234"))
        #expect(matches("*", ""))
        #expect(matches("a*b*c", "axxbyyc"))
        #expect(!matches("a*b*c", "axxbyy"))
    }

    @Test func classesRangesNegationAndEscapes() {
        #expect(matches("h[ae]llo", "hello"))
        #expect(!matches("h[ae]llo", "hillo"))
        #expect(matches("h[^e]llo", "hallo"))
        #expect(!matches("h[^e]llo", "hello"))
        #expect(matches("key[0-9]", "key7"))
        #expect(!matches("key[0-9]", "keyx"))
        #expect(matches("a\\*b", "a*b"))
        #expect(!matches("a\\*b", "axb"))
    }
}
