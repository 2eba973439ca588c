import RESP
import Testing

@testable import RedisAudit

@Suite struct NamespaceTests {
    let ns = Namespace(runID: "0123abcd4567")!
    let p = "redisaudit:0123abcd4567:"

    /// A key as the namespace sends it: the prefix, the tag of the key's slot, the key.
    func n(_ key: String) -> String {
        p + "{" + String(decoding: HashSlot.tag(for: HashSlot.of(key)), as: UTF8.self) + "}:" + key
    }

    /// A KEYS or SCAN MATCH glob as the namespace sends it.
    func glob(_ pattern: String) -> String { p + "{????}:" + pattern }

    func rewrite(_ arguments: String...) throws -> NamespacedCommand {
        try ns.rewrite(RESPCommand(strings: arguments))
    }

    func texts(_ command: NamespacedCommand) -> [String] {
        command.command.arguments.map { String(decoding: $0, as: UTF8.self) }
    }

    func keys(_ command: NamespacedCommand) -> [String] {
        command.keys.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func prefixHasTheRunID() {
        #expect(ns.prefix == "redisaudit:0123abcd4567:")
        #expect(ns.runID == "0123abcd4567")
    }

    @Test func generatedNamespaces() {
        var generator = SeededGenerator(seed: 9)
        let fixed = Namespace.generate(seconds: 0x6789_ABCD, using: &generator)
        #expect(fixed.runID.hasPrefix("6789abcd"))
        #expect(fixed.runID.count == 12)

        let live = Namespace.generate()
        #expect(live.runID.count == 12)
        #expect(live.runID.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(live.prefix == "redisaudit:\(live.runID):")
        #expect(!live.prefix.contains("{") && !live.prefix.contains("}"))

        var a = SeededGenerator(seed: 1)
        var b = SeededGenerator(seed: 2)
        #expect(Namespace.generate(seconds: 5, using: &a) != Namespace.generate(seconds: 5, using: &b))
    }

    @Test func runIDsThatWouldBreakKeysAreRejected() {
        #expect(Namespace(runID: "") == nil)
        #expect(Namespace(runID: "a{b}") == nil)
        #expect(Namespace(runID: "a*") == nil)
        #expect(Namespace(runID: "a:b") == nil)
        #expect(Namespace(runID: "a b") == nil)
        #expect(Namespace(runID: String(repeating: "a", count: 65)) == nil)
        #expect(Namespace(runID: "ci-run_1.2") != nil)
    }

    @Test func singleKey() throws {
        let c = try rewrite("SET", "rt:user123:h1", "value", "EX", "10")
        #expect(texts(c) == ["SET", n("rt:user123:h1"), "value", "EX", "10"])
        #expect(keys(c) == [n("rt:user123:h1")])
        #expect(c.spec.name == "SET")
    }

    @Test func lowercaseCommandNames() throws {
        let c = try rewrite("setex", "k", "10", "v")
        #expect(texts(c) == ["setex", n("k"), "10", "v"])
    }

    @Test func msetEverySecondArgument() throws {
        let c = try rewrite("MSET", "a", "1", "b", "2", "c", "3")
        #expect(texts(c) == ["MSET", n("a"), "1", n("b"), "2", n("c"), "3"])
        #expect(keys(c) == [n("a"), n("b"), n("c")])
        #expect(throws: CommandRefusal.self) { try rewrite("MSET", "a", "1", "b") }
    }

    @Test func delManyKeys() throws {
        let c = try rewrite("DEL", "a", "b", "c")
        #expect(texts(c) == ["DEL", n("a"), n("b"), n("c")])
        #expect(keys(c).count == 3)
    }

    @Test func blockingPopKeysButNotTimeout() throws {
        let c = try rewrite("BLPOP", "q1", "q2", "5")
        #expect(texts(c) == ["BLPOP", n("q1"), n("q2"), "5"])
    }

    @Test func evalNumkeys() throws {
        let c = try rewrite("EVAL", "return redis.call('GET', KEYS[1])", "2", "k1", "k2", "arg1", "k3")
        #expect(texts(c) == ["EVAL", "return redis.call('GET', KEYS[1])", "2", n("k1"), n("k2"), "arg1", "k3"])
        #expect(keys(c) == [n("k1"), n("k2")])

        let none = try rewrite("EVALSHA", "abc", "0", "arg")
        #expect(texts(none) == ["EVALSHA", "abc", "0", "arg"])
        #expect(none.keys.isEmpty)

        #expect(throws: CommandRefusal.self) { try rewrite("EVAL", "return 1", "3", "a") }
        #expect(throws: CommandRefusal.self) { try rewrite("EVAL", "return 1", "x", "a") }
        #expect(throws: CommandRefusal.self) { try rewrite("EVAL", "return 1", "-1", "a") }
    }

    @Test func zunionstoreDestinationAndSources() throws {
        let c = try rewrite("ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2")
        #expect(texts(c) == ["ZUNIONSTORE", n("dst"), "2", n("z1"), n("z2"), "WEIGHTS", "1", "2"])
        #expect(keys(c) == [n("dst"), n("z1"), n("z2")])

        let zinter = try rewrite("ZINTER", "2", "a", "b", "WITHSCORES")
        #expect(texts(zinter) == ["ZINTER", "2", n("a"), n("b"), "WITHSCORES"])

        let lmpop = try rewrite("LMPOP", "1", "l", "LEFT")
        #expect(texts(lmpop) == ["LMPOP", "1", n("l"), "LEFT"])
    }

    @Test func xreadStreams() throws {
        let c = try rewrite("XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "s1", "s2", "0-0", "$")
        #expect(texts(c) == ["XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", n("s1"), n("s2"), "0-0", "$"])
        #expect(keys(c) == [n("s1"), n("s2")])

        // A group or consumer named STREAMS is not the keyword.
        let group = try rewrite("XREADGROUP", "GROUP", "STREAMS", "c1", "NOACK", "STREAMS", "s", ">")
        #expect(texts(group) == ["XREADGROUP", "GROUP", "STREAMS", "c1", "NOACK", "STREAMS", n("s"), ">"])

        #expect(throws: CommandRefusal.self) { try rewrite("XREAD", "STREAMS", "s1", "s2", "0") }
        #expect(throws: CommandRefusal.self) { try rewrite("XREAD", "COUNT", "1", "s1", "0") }
    }

    @Test func subcommandKeys() throws {
        let idle = try rewrite("OBJECT", "IDLETIME", "k")
        #expect(texts(idle) == ["OBJECT", "IDLETIME", n("k")])
        #expect(idle.spec.flags.contains(.ttlReply))

        let usage = try rewrite("MEMORY", "USAGE", "k", "SAMPLES", "0")
        #expect(texts(usage) == ["MEMORY", "USAGE", n("k"), "SAMPLES", "0"])

        let group = try rewrite("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        #expect(texts(group) == ["XGROUP", "CREATE", n("s"), "g", "$", "MKSTREAM"])

        #expect(throws: CommandRefusal.self) { try rewrite("OBJECT", "HELP") }
        #expect(throws: CommandRefusal.self) { try rewrite("OBJECT") }
    }

    @Test func keysPattern() throws {
        let c = try rewrite("KEYS", "rt:*")
        #expect(texts(c) == ["KEYS", glob("rt:*")])
        #expect(c.keys.isEmpty)
    }

    @Test func scanMatch() throws {
        let c = try rewrite("SCAN", "0", "MATCH", "sess:*", "COUNT", "100")
        #expect(texts(c) == ["SCAN", "0", "MATCH", glob("sess:*"), "COUNT", "100"])
        #expect(c.keys.isEmpty)

        let typed = try rewrite("SCAN", "17", "COUNT", "10", "match", "rt:?", "TYPE", "string")
        #expect(texts(typed) == ["SCAN", "17", "COUNT", "10", "match", glob("rt:?"), "TYPE", "string"])

        #expect(throws: CommandRefusal.self) { try rewrite("SCAN", "0") }
        #expect(throws: CommandRefusal.self) { try rewrite("SCAN", "0", "COUNT", "10") }
    }

    @Test func hashScanKeepsItsFieldPattern() throws {
        let c = try rewrite("HSCAN", "h", "0", "MATCH", "f*")
        #expect(texts(c) == ["HSCAN", n("h"), "0", "MATCH", "f*"])
    }

    @Test func keylessCommandsPassThrough() throws {
        for command in [
            ["PING"], ["ECHO", "hi"], ["TIME"], ["MULTI"], ["EXEC"], ["CONFIG", "GET", "maxmemory"],
            ["SCRIPT", "LOAD", "return 1"],
        ] {
            let c = try ns.rewrite(RESPCommand(strings: command))
            #expect(texts(c) == command)
            #expect(c.keys.isEmpty)
        }
    }

    @Test func refusedCommandsAreNotRewritten() {
        for command in [
            ["FLUSHALL"], ["FLUSHDB", "ASYNC"], ["SELECT", "1"], ["RANDOMKEY"], ["CONFIG", "SET", "a", "b"],
            ["CLIENT", "KILL", "ID", "1"], ["SCRIPT", "FLUSH"], ["FUNCTION", "LOAD", "x"], ["NOPE", "k"],
        ] {
            #expect(throws: CommandRefusal.self, "\(command)") { try ns.rewrite(RESPCommand(strings: command)) }
        }
    }

    @Test func stripKeys() {
        #expect(ns.strip(Array((n("rt:user123:h1")).utf8)) == Array("rt:user123:h1".utf8))
        #expect(ns.strip(Array("rt:user123:h1".utf8)) == Array("rt:user123:h1".utf8))
        let other = "redisaudit:ffffffffffff:k"
        #expect(ns.strip(Array(other.utf8)) == Array(other.utf8))
        #expect(ns.strip(ns.namespaced(Array("{user123}:a".utf8))) == Array("{user123}:a".utf8))
        #expect(ns.namespaced("k") == n("k"))
    }

    @Test func stripReplies() {
        let reply = RESPValue.array([
            .bulk(n("rt:user123:h1")),
            .array([.bulk("plain"), .bulk("{\"key\":\"\(n("sess:user123"))\",\"also\":\"\(n("x"))\"}")]),
            .integer(7),
            .null,
            .simpleString(n("status")),
            .error("ERR bad key \(n("k"))"),
        ])
        #expect(
            ns.strip(reply)
                == .array([
                    .bulk("rt:user123:h1"),
                    .array([.bulk("plain"), .bulk("{\"key\":\"sess:user123\",\"also\":\"x\"}")]),
                    .integer(7),
                    .null,
                    .simpleString("status"),
                    .error("ERR bad key k"),
                ]))
        #expect(ns.strip(.nullArray) == .nullArray)
        #expect(ns.strip(.bulk("redisaudit:0123")) == .bulk("redisaudit:0123"))
    }

    @Test func hashSlotMatchesRedis() {
        // CRC16/XMODEM check value.
        #expect(HashSlot.crc16(Array("123456789".utf8)[...]) == 0x31C3)
        // Slots Redis Cluster reports for these keys.
        #expect(HashSlot.of("foo") == 12182)
        #expect(HashSlot.of("hello") == 866)
        #expect(HashSlot.of("somekey") == 11058)
        #expect(HashSlot.of("foo{hash_tag}") == 2515)
        #expect(HashSlot.of("user:{42}:profile") == 8000)
        #expect(HashSlot.of("{user1}:myset") == 8106)
        // Hash tags: the first {...} decides; an empty {} does not count.
        #expect(HashSlot.of("{user1000}.following") == HashSlot.of("user1000"))
        #expect(HashSlot.of("foo{}{bar}") == Int(HashSlot.crc16(Array("foo{}{bar}".utf8)[...]) % 16384))
        #expect(HashSlot.of("foo{}{bar}") != HashSlot.of("bar"))
        #expect(HashSlot.of("foo{{bar}}zap") == HashSlot.of("{bar"))
        #expect(HashSlot.of("foo{bar}{zap}") == HashSlot.of("bar"))
    }

    @Test func everySlotHasAFourCharacterTagThatLandsInIt() {
        for slot in 0..<HashSlot.count {
            let tag = HashSlot.tag(for: slot)
            #expect(tag.count == HashSlot.tagLength)
            #expect(HashSlot.of(tag) == slot, "slot \(slot)")
            #expect(tag.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) })
        }
    }

    @Test func namespacedKeysKeepTheSlotOfTheKeyTheyStandFor() throws {
        var generator = SeededGenerator(seed: 3)
        let keys =
            ["foo", "rt:user123:h1", "sess:user123", "{user123}:a", "rt:{user123}:h1", "foo{}{bar}", "a{b", "", "{}"]
            + (0..<200).map { _ in "k:" + RandomValue.hex(count: 8, using: &generator) }
        for key in keys {
            #expect(HashSlot.of(ns.namespaced(Array(key.utf8))) == HashSlot.of(key), "\(key)")
            #expect(ns.strip(ns.namespaced(Array(key.utf8))) == Array(key.utf8), "\(key)")
        }
        // The same key lands in the same slot in another run: findings and ids do not move.
        let other = Namespace(runID: "ffffffffffff-2")!
        #expect(HashSlot.of(other.namespaced(Array("foo".utf8))) == HashSlot.of(ns.namespaced(Array("foo".utf8))))
        // Keys that share a tag still share a slot through a multi-key command; keys that do not, still do not.
        let tagged = try rewrite("SUNIONSTORE", "{user123}:dst", "{user123}:a", "{user123}:b")
        #expect(Set(tagged.keys.map(HashSlot.of)) == [HashSlot.of("user123")])
        let untagged = try rewrite("MSET", "rt:user123:h1", "1", "sess:user123", "2")
        #expect(Set(untagged.keys.map(HashSlot.of)) == [HashSlot.of("rt:user123:h1"), HashSlot.of("sess:user123")])
    }
}
