import Testing

@testable import RedisAudit

@Suite struct CommandTableTests {
    func spec(_ arguments: String...) throws -> CommandSpec {
        try CommandTable.check(strings: arguments)
    }

    @Test func replyFlags() throws {
        #expect(try spec("SMEMBERS", "s").flags.contains(.setReply))
        #expect(try spec("SINTER", "a", "b").flags.contains(.setReply))
        #expect(try spec("HGETALL", "h").flags.isSuperset(of: [.setReply, .pairReply]))
        #expect(try spec("KEYS", "*").flags.contains(.setReply))
        #expect(try spec("SCAN", "0", "MATCH", "*").flags.isSuperset(of: [.setReply, .scanReply]))
        #expect(try spec("LRANGE", "l", "0", "-1").flags.contains(.setReply) == false)
        for ttl in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            #expect(try CommandTable.check(strings: [ttl, "k"]).flags.contains(.ttlReply), "\(ttl)")
        }
        #expect(try spec("OBJECT", "IDLETIME", "k").flags.contains(.ttlReply))
        #expect(try spec("GET", "k").flags.contains(.ttlReply) == false)
    }

    @Test func behaviourFlags() throws {
        for name in ["SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER"] {
            #expect(try CommandTable.check(strings: [name, "k"]).flags.contains(.nondeterministic), "\(name)")
        }
        #expect(try spec("TIME").flags.contains(.nondeterministic))
        #expect(try spec("INFO").flags.contains(.nondeterministic))
        #expect(try spec("CLIENT", "ID").flags.contains(.nondeterministic))
        #expect(try spec("GET", "k").flags.contains(.nondeterministic) == false)

        for args in [
            ["INCR", "k"], ["INCRBY", "k", "2"], ["DECR", "k"], ["LPUSH", "l", "a"], ["RPUSH", "l", "a"], ["APPEND", "k", "a"],
            ["HINCRBY", "h", "f", "1"], ["ZINCRBY", "z", "1", "m"],
        ] {
            #expect(try CommandTable.check(strings: args).flags.contains(.nonIdempotent), "\(args)")
        }
        for args in [["SET", "k", "v"], ["SETEX", "k", "1", "v"], ["SADD", "s", "m"], ["EXPIRE", "k", "1"], ["DEL", "k"]] {
            #expect(try CommandTable.check(strings: args).flags.contains(.nonIdempotent) == false, "\(args)")
        }
        #expect(try spec("SETEX", "k", "1", "v").flags.contains(.write))
        #expect(try spec("GET", "k").flags.contains(.readonly))
        #expect(try spec("DBSIZE").flags.contains(.readonly))
        #expect(try spec("DBSIZE").keys == .none)
    }

    @Test func expireOptionsAreExtraArguments() throws {
        #expect(try spec("EXPIRE", "k", "10", "NX").name == "EXPIRE")
        #expect(try spec("EXPIRE", "k", "10", "GT").name == "EXPIRE")
        #expect(throws: CommandRefusal.self) { try spec("EXPIRE", "k") }
    }

    @Test func subcommandsAreLookedUpWithTheirName() throws {
        #expect(try spec("object", "encoding", "k").name == "OBJECT ENCODING")
        #expect(try spec("CONFIG", "GET", "maxmemory").name == "CONFIG GET")
        #expect(try spec("CLIENT", "SETNAME", "me").name == "CLIENT SETNAME")
        #expect(try spec("SCRIPT", "EXISTS", "abc").name == "SCRIPT EXISTS")
        #expect(throws: CommandRefusal.self) { try spec("CLIENT", "LIST") }
        #expect(throws: CommandRefusal.self) { try spec("FUNCTION", "FLUSH") }
        #expect(try spec("FCALL", "f", "1", "k").keys == .numkeys(fixed: [], countAt: 2))
    }

    /// WAIT and WAITAOF touch no key; CLIENT NO-EVICT and NO-TOUCH act on the caller's own
    /// connection; every other CLIENT subcommand acts on other connections and stays refused.
    @Test func ownConnectionAndReplicationCommands() throws {
        #expect(try spec("WAIT", "0", "0").keys == .none)
        #expect(try spec("WAIT", "0", "0").flags.contains(.blocking))
        #expect(try spec("WAITAOF", "0", "0", "0").keys == .none)
        #expect(throws: CommandRefusal.self) { try spec("WAIT", "0") }
        #expect(try spec("CLIENT", "NO-EVICT", "on").name == "CLIENT NO-EVICT")
        #expect(try spec("client", "no-touch", "off").name == "CLIENT NO-TOUCH")
        for subcommand in ["KILL", "PAUSE", "UNPAUSE", "UNBLOCK", "LIST", "REPLY", "TRACKING"] {
            do {
                _ = try CommandTable.check(strings: ["CLIENT", subcommand, "x"])
                Issue.record("CLIENT \(subcommand) is accepted")
            } catch {
                #expect(error.message.contains("act on other connections or the whole server"), "\(subcommand)")
                #expect(error.message.contains("NO-EVICT"))
            }
        }
    }

    @Test func refusalsSayWhy() {
        func message(_ arguments: String...) -> String? {
            do {
                _ = try CommandTable.check(strings: arguments)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message("FLUSHDB") == "FLUSHDB is refused: it acts on every key of the server, not just the run's namespace")
        #expect(message("RANDOMKEY") == "RANDOMKEY is refused: it returns keys outside the run's namespace")
        #expect(message("SUBSCRIBE", "ch") == "SUBSCRIBE is refused: it turns the connection into a pub/sub connection")
        #expect(message("MONITOR")?.hasPrefix("MONITOR is refused") == true)
        #expect(message("SHUTDOWN")?.hasPrefix("SHUTDOWN is refused") == true)
        #expect(message("SCRIPT", "FLUSH")?.hasPrefix("SCRIPT FLUSH is refused") == true)
        #expect(message("OBJECT")?.hasPrefix("OBJECT is refused") == true)
        #expect(message("GETX", "k") == "unknown command GETX: redisaudit cannot locate its keys, so it will not send it")
        #expect(message("") == "empty command")
        #expect(message("GET", "k", "extra") == "wrong number of arguments for GET: it takes exactly 1 argument, got 2")
        #expect(message("CONFIG", "GET") == "wrong number of arguments for CONFIG GET: it takes at least 1 argument, got 0")
    }

    @Test func everyEntryIsConsistent() {
        for spec in CommandTable.all {
            #expect(spec.arity != 0, "\(spec.name)")
            #expect(abs(spec.arity) >= spec.nameWords, "\(spec.name)")
            #expect(!(spec.flags.contains(.write) && spec.flags.contains(.readonly)), "\(spec.name)")
            if case .supported(let found) = CommandTable.lookup(spec.name.split(separator: " ").map(String.init)) {
                #expect(found == spec)
            } else {
                Issue.record("\(spec.name) is in the table but not found by lookup")
            }
        }
        #expect(CommandTable.all.count > 150)
    }
}
