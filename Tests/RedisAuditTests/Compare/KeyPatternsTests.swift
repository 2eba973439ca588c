import Testing
@testable import RedisAudit

/// Concrete keys read back as the scenario's patterns.
@Suite("Key patterns")
struct KeyPatternsTests {
    @Test func variableValuesBecomeTheirNames() {
        let bindings = ["userId": "user123", "tokenHash": "9f2c11aa"]
        #expect(KeyPatterns.pattern(of: "rt:user123:9f2c11aa", bindings: bindings) == "rt:${userId}:${tokenHash}")
        #expect(KeyPatterns.pattern(of: "other:key", bindings: bindings) == "other:key")
    }

    @Test func aLongerValueIsReplacedBeforeAShorterOneItContains() {
        let bindings = ["short": "user1", "userId": "user1234"]
        #expect(KeyPatterns.pattern(of: "sess:user1234", bindings: bindings) == "sess:${userId}")
        #expect(KeyPatterns.pattern(of: "sess:user1", bindings: bindings) == "sess:${short}")
    }

    @Test func valuesShorterThanThreeCharactersAreLeftAlone() {
        // A TTL digit or a flag would otherwise rewrite parts of unrelated names.
        let bindings = ["n": "1", "ab": "12", "id": "123"]
        #expect(KeyPatterns.pattern(of: "k1:12:123", bindings: bindings) == "k1:12:${id}")
    }

    @Test func summaryMapsEachPatternToItsKeysTypes() {
        let keys = [
            "rt:user1:aaa111": KeyState(type: "string", pttl: -1),
            "sess:user1": KeyState(type: "set", pttl: -1),
            "plain": KeyState(type: "hash", pttl: 10),
        ]
        let summary = KeyPatterns.summarize(keys, bindings: ["userId": "user1", "tokenHash": "aaa111"])
        #expect(summary == ["rt:${userId}:${tokenHash}": ["string"], "sess:${userId}": ["set"], "plain": ["hash"]])
    }

    @Test func twoKeysOfOnePatternContributeBothTypes() {
        // A key named like the pattern itself and the key the variable produced.
        let keys = ["k:user1": KeyState(type: "string", pttl: -1), "k:${userId}": KeyState(type: "set", pttl: -1)]
        #expect(KeyPatterns.summarize(keys, bindings: ["userId": "user1"]) == ["k:${userId}": ["string", "set"]])
    }
}
