import Testing
@testable import RedisAudit

@Suite("key pattern inference")
struct KeyPatternInferenceTests {
    func pattern(_ key: String) -> String { KeyPatternInference.pattern(of: Array(key.utf8)) }

    @Test func variableSegmentsBecomeNamedPlaceholders() {
        #expect(pattern("rt:user123:9f2c41d0aa77e0b3") == "rt:<id>:<hash>")
        #expect(pattern("rt:user456:1b7e00c3ffee1234") == "rt:<id>:<hash>")
        #expect(pattern("sess:user123") == "sess:<id>")
        #expect(pattern("order:42") == "order:<int>")
        #expect(pattern("user:550e8400-e29b-41d4-a716-446655440000:profile") == "user:<uuid>:profile")
        #expect(pattern("lock:alice.smith@example.com") == "lock:<email>")
        #expect(pattern("stats:2026-12-01") == "stats:<date>")
        #expect(pattern("stats:20261201") == "stats:<date>")
        #expect(pattern("jwt:eyJhbGciOiJIUzI1NiJ9abc") == "jwt:<b64>")
        #expect(pattern("bl:D41D8CD98F00B204E9800998ECF8427E") == "bl:<hash>")
    }

    @Test func wordsAndShortVersionsStayLiteral() {
        #expect(pattern("checkin:prod:participant:stats") == "checkin:prod:participant:stats")
        #expect(pattern("api:v2:config") == "api:v2:config")
        #expect(pattern("feature:deadbeef") == "feature:deadbeef")
        #expect(pattern("md5:x") == "md5:x")
    }

    @Test func everySeparatorSplits() {
        #expect(pattern("a/b/123") == "a/b/<int>")
        #expect(pattern("a|b|123") == "a|b|<int>")
        #expect(pattern("img.42.png") == "img.<int>.png")
        #expect(pattern("user-profile-42") == "user-profile-<int>")
        // A dash at an edge separates nothing.
        #expect(pattern("temp:-5") == "temp:-5")
    }

    @Test func hashTagsKeepTheirBraces() {
        #expect(pattern("rt:{user123}:9f2c41d0aa77e0b3") == "rt:{<id>}:<hash>")
        #expect(pattern("{user123}.following") == "{<id>}.following")
        #expect(pattern("{cart:42}:items") == "{cart:<int>}:items")
        #expect(pattern("{}:x") == "{}:x")
        // Literal angle brackets are escaped, so they never read as a placeholder.
        #expect(pattern("x:<id>") == "x:\\<id\\>")
    }

    @Test func emptySegmentsAreKept() {
        #expect(pattern("a::b") == "a::b")
        #expect(pattern("a:") == "a:")
        #expect(pattern(":a") == ":a")
        #expect(pattern("") == "")
        #expect(KeyPatternInference.tokens(of: Array("a::b".utf8)).count == 3)
    }

    @Test func binarySafeKeys() {
        #expect(pattern("user profile:42") == "user profile:<int>")
        let binary: [UInt8] = Array("bin:".utf8) + [0x00, 0xFF, 0x01] + Array(":x".utf8)
        #expect(KeyPatternInference.pattern(of: binary) == "bin:<blob>:x")
        let latin1: [UInt8] = Array("name:".utf8) + [0xE9, 0x74, 0xE9]  // "été" in Latin-1: not UTF-8
        #expect(KeyPatternInference.pattern(of: latin1) == "name:\\xe9t\\xe9")
        #expect(pattern("name:été") == "name:été")
        #expect(KeyPatternInference.escape([0x0A, 0x5C]) == "\\x0a\\\\")
    }

    @Test func veryLongKeysStayBounded() {
        let long = "doc:" + String(repeating: "abcdefgh", count: 10_000)
        #expect(pattern(long) == "doc:<blob>")
        let deep = (0..<1000).map { _ in "seg" }.joined(separator: ":")
        let tokens = KeyPatternInference.tokens(of: Array(deep.utf8))
        #expect(tokens.count == KeyPatternInference.maxTokens)
        #expect(tokens.last?.kind == .blob)
        #expect(KeyPatternInference.display(Array(long.utf8)).hasSuffix("…(80004 bytes)"))
    }

    @Test func manyDistinctWordsFoldIntoName() {
        let index = KeyspaceIndex()
        let names = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
            "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe",
        ]
        for name in names { index.add(side: 0, key: Array("sess:\(name)".utf8), type: .set, pttl: 1000) }
        for prefix in ["rt", "bl", "lock"] {
            for i in 0..<50 { index.add(side: 0, key: Array("\(prefix):\(i)".utf8), type: .string, pttl: -1) }
        }
        index.finish()
        let patterns = index.patterns()
        #expect(patterns.map(\.pattern).sorted() == ["bl:<int>", "lock:<int>", "rt:<int>", "sess:<name>"])
        let sess = patterns.first { $0.pattern == "sess:<name>" }?.stats[0]
        #expect(sess?.keys == names.count)
        #expect(sess?.types[KeyType.set.rawValue] == names.count)
        #expect(sess?.withoutTTL == 0)
    }

    @Test func aFewWellUsedPrefixesDoNotFold() {
        let index = KeyspaceIndex()
        // 30 prefixes, each with many keys: the root keeps them all.
        for round in 0..<20 {
            for p in 0..<30 {
                index.add(
                    side: 0,
                    key: Array("prefix\(String(UnicodeScalar(UInt8(97 + p % 26))))\(p / 26 == 0 ? "" : "x"):\(round)".utf8),
                    type: .string, pttl: -1)
            }
        }
        index.finish()
        #expect(index.patterns().count == 30)
    }

    @Test func usersFollowedByTheSameWordsFold() {
        let index = KeyspaceIndex()
        let users = (0..<20).map { "user" + String(UnicodeScalar(UInt8(97 + $0))) + "name" }
        for user in users {
            for field in ["profile", "settings", "avatar"] {
                index.add(side: 0, key: Array("u:\(user):\(field)".utf8), type: .hash, pttl: -1)
            }
        }
        index.finish()
        #expect(index.patterns().map(\.pattern).sorted() == ["u:<name>:avatar", "u:<name>:profile", "u:<name>:settings"])
    }

    @Test func hugeCardinalityFoldsWhileScanning() {
        let index = KeyspaceIndex()
        for i in 0..<10_000 {
            index.add(
                side: 0,
                key: Array(
                    "sess:w\(String(i, radix: 26).map { Character(UnicodeScalar(UInt8(97 + Int(String($0), radix: 26)!))) }.map(String.init).joined())"
                        .utf8), type: .string, pttl: 1)
        }
        #expect(index.nodeCount < 200, "folded before the end, so memory stays bounded")
        index.finish()
        #expect(index.patterns().map(\.pattern) == ["sess:<name>"])
    }

    @Test func rareLookalikesJoinTheDominantPlaceholder() {
        let index = KeyspaceIndex()
        for i in 0..<1000 {
            index.add(
                side: 0, key: Array("rt:user\(i):9f2c41d0aa77e0\(String(i % 100, radix: 16))".utf8), type: .string, pttl: 5000)
        }
        index.add(side: 0, key: Array("rt:user7:1234567890123456".utf8), type: .string, pttl: -1)
        index.finish()
        let patterns = index.patterns()
        #expect(patterns.map(\.pattern) == ["rt:<id>:<hash>"])
        #expect(patterns[0].stats[0]?.keys == 1001)
        #expect(patterns[0].stats[0]?.withoutTTL == 1)
    }

    @Test func patternCountStaysSmallOnManyKeys() {
        let index = KeyspaceIndex()
        var generator = SystemRandomNumberGenerator()
        let words = (0..<5000).map { _ in
            String((0..<6).map { _ in Character(UnicodeScalar(UInt8.random(in: 97...122, using: &generator))) })
        }
        for i in 0..<100_000 {
            let word = words[i % words.count]
            index.add(side: 0, key: Array("cache:\(word):item:\(i)".utf8), type: .string, pttl: Int64(i))
            index.add(side: 0, key: Array("user:\(word)".utf8), type: .hash, pttl: -1)
        }
        #expect(index.nodeCount < 300)
        index.finish()
        let patterns = index.patterns().map(\.pattern)
        #expect(patterns.sorted() == ["cache:<name>:item:<int>", "user:<name>"])
        #expect(index.nodeCount < 10)
    }
}

@Suite("pattern statistics")
struct PatternStatisticsTests {
    @Test func ttlQuantilesAreWithinTheHistogramError() {
        var stats = PatternStatistics()
        for i in 1...10_000 {
            Array("k".utf8).withUnsafeBufferPointer { stats.add(key: $0, type: .string, pttl: Int64(i) * 1000, memory: nil) }
        }
        let row = stats.row(pattern: "k")
        #expect(row.ttlMinSeconds == 1)
        #expect(row.ttlMaxSeconds == 10_000)
        let median = try! #require(row.ttlMedianSeconds), p95 = try! #require(row.ttlP95Seconds)
        #expect(abs(median - 5000) / 5000 < 0.045, "\(median)")
        #expect(abs(p95 - 9500) / 9500 < 0.045, "\(p95)")
    }

    @Test func mergeAddsEverything() {
        var a = PatternStatistics(), b = PatternStatistics()
        Array("x".utf8).withUnsafeBufferPointer { key in
            a.add(key: key, type: .string, pttl: -1, memory: 50, outsidePrefix: true)
            b.add(key: key, type: .hash, pttl: 2000, memory: 70)
        }
        a.merge(b)
        #expect(a.keys == 2)
        #expect(a.withoutTTL == 1)
        #expect(a.memoryBytes == 120)
        #expect(a.outsidePrefix == 1)
        #expect(a.ttl.count == 1 && a.ttl.minimum == 2000)
        #expect(a.types[KeyType.hash.rawValue] == 1 && a.types[KeyType.string.rawValue] == 1)
    }

    @Test func expiryHintsComeFromLiteralWordsOnly() {
        #expect(KeyspaceFindings.expiryHints("sess:<id>") == ["sess"])
        #expect(KeyspaceFindings.expiryHints("locktime:<email>") == ["locktime"])
        #expect(KeyspaceFindings.expiryHints("user:<id>:profile").isEmpty)
        #expect(KeyspaceFindings.expiryHints("x:\\<token\\>").isEmpty == false)
        #expect(KeyspaceFindings.expiryHints("user:<hash>").isEmpty)
    }
}

@Suite("key pattern inference on random bytes")
struct KeyPatternInferenceFuzzTests {
    @Test func anyBytesSplitWithoutLosingOrInventingSeparators() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array(":/|.-{}<>\\ @aZ09fF\u{0}".utf8) + [0xC3, 0xA9, 0xFF, 0x80]
        let index = KeyspaceIndex(foldThreshold: 4, hardLimit: 8)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let key = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let tokens = KeyPatternInference.tokens(of: key)
            #expect(!tokens.isEmpty)
            // Every primary separator of the key is some token's separator, up to the token cap.
            let separators = key.filter { $0 == 0x3A || $0 == 0x2F || $0 == 0x7C }.count
            let seen = tokens.filter { $0.separator == 0x3A || $0.separator == 0x2F || $0.separator == 0x7C }.count
            #expect(seen == separators || tokens.last?.kind == .blob, "\(key)")
            index.add(side: 0, key: key, type: .string, pttl: Int64.random(in: -1...100_000, using: &generator))
        }
        index.finish()
        let patterns = index.patterns()
        #expect(patterns.reduce(0) { $0 + ($1.stats[0]?.keys ?? 0) } == 20_000)
    }
}
