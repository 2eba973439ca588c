import RESP
import Testing

@testable import RedisAudit

/// The `expect:` a recorded reply becomes: the reply where it recurs on a replay (values through
/// the variables, TTLs as ranges, unordered replies as sets), its type where only that recurs,
/// nothing where not even that does, and only types with `--redact-values`.
@Suite("reply expectations")
struct ReplyExpectationTests {
    static let token = RecordedFlows.token
    static let key = "rt:user123:\(token)"
    static let json = RecordedFlows.tokenJSON(token)

    /// The inference of a flow that writes the token's key and session entry.
    static func inference(redact: Bool = false) -> ParameterInference {
        ParameterInference(
            steps: [
                .command(RecordedFlows.command(["SETEX", key, "604800", json], nil)),
                .command(RecordedFlows.command(["SADD", "sess:user123", token], nil)),
            ], redact: redact)
    }

    /// The expectation of `arguments` -> `reply` in a context (by default: keys the same as
    /// recorded, nothing predicted, the flow's arguments sent before).
    static func text(
        _ arguments: [String], _ reply: RESPValue?, predicted: RESPValue? = nil, same: Bool = true,
        ttl: TTLFact = .unknown, written: [String] = [key, json, token, "sess:user123", "604800"], redact: Bool = false
    ) -> String? {
        let context = ReplyExpectation.Context(
            predicted: predicted, keysSameAsRecorded: same, ttl: ttl, written: Set(written.map { Array($0.utf8) }))
        return ReplyExpectation(
            command: RecordedFlows.command(arguments, reply), context: context, inference: inference(redact: redact)
        ).text
    }

    @Test func statusIntegerNilErrorsAndNoReply() {
        #expect(Self.text(["SET", "k", "v"], .simpleString("OK")) == #"{ type: status, value: "OK" }"#)
        #expect(Self.text(["SADD", "s", "m"], .integer(1)) == "{ integer: 1 }")
        #expect(Self.text(["GET", "k"], .null) == "{ type: nil }")
        #expect(Self.text(["BLPOP", "l", "1"], .nullArray) == "{ type: nil-array }")
        #expect(Self.text(["INCR", "k"], .error("WRONGTYPE Operation against a key")) == #"{ error: "WRONGTYPE" }"#)
        #expect(Self.text(["GET", "k"], nil) == nil, "a MONITOR capture has no reply")
    }

    @Test func aTTLIsARangeFromTheTTLTheKeyWasGiven() {
        let week = TTLFact.milliseconds(604_800_000)
        #expect(Self.text(["TTL", Self.key], .integer(604_799), ttl: week) == "{ integer: { min: 604790, max: 604800 } }")
        // A slow application read it lower than the window: the range reaches down to what it read.
        #expect(Self.text(["TTL", Self.key], .integer(604_700), ttl: week) == "{ integer: { min: 604700, max: 604800 } }")
        #expect(
            Self.text(["PTTL", Self.key], .integer(604_799_123), ttl: week)
                == "{ integer: { min: 604790000, max: 604800000 } }")
        #expect(Self.text(["TTL", "k"], .integer(3), ttl: .milliseconds(5000)) == "{ integer: { min: 0, max: 5 } }")
        #expect(Self.text(["TTL", "k"], .integer(-1), ttl: .none) == "{ integer: -1 }")
        #expect(Self.text(["TTL", "k"], .integer(-2)) == "{ integer: -2 }")
        // An expiry time, or a TTL of an EXPIREAT, depends on the clock: only that there is one.
        #expect(Self.text(["EXPIRETIME", "k"], .integer(1_900_000_000)) == "{ integer: { min: 1 } }")
        #expect(Self.text(["TTL", "k"], .integer(80), ttl: .pointInTime) == "{ integer: { min: 1 } }")
        #expect(Self.text(["OBJECT", "IDLETIME", "k"], .integer(12)) == "{ type: integer }")
    }

    @Test func aValueTheFlowWroteIsWrittenWithItsVariablesAnyOtherAsItsType() {
        #expect(
            Self.text(["GET", Self.key], .bulk(Self.json)) == #"{ value: '{"userId":"${userId}","tokenHash":"${tokenHash}"}' }"#)
        #expect(Self.text(["GET", "other"], .bulk("written elsewhere")) == "{ type: bulk }")
    }

    @Test func arraysAsSetsOrInOrderWhenEveryElementIsKnown() {
        #expect(Self.text(["SMEMBERS", "sess:user123"], .array([.bulk(Self.token)])) == #"{ set: ["${tokenHash}"] }"#)
        #expect(
            Self.text(["LRANGE", "l", "0", "-1"], .array([.bulk(Self.token), .bulk("604800")]))
                == #"{ array: ["${tokenHash}", "604800"] }"#)
        #expect(Self.text(["SMISMEMBER", "s", "a", "b"], .array([.integer(1), .integer(0)])) == #"{ array: ["1", "0"] }"#)
        #expect(Self.text(["SMEMBERS", "s"], .array([.bulk(Self.token), .bulk("unseen")])) == "{ type: array }")
        #expect(
            Self.text(["HVALS", "h"], .array([.bulk("604800"), .bulk("604800")])) == "{ type: array }", "a set cannot repeat")
        #expect(Self.text(["MGET", "a", "b"], .array([.bulk(Self.token), .null])) == "{ type: array }")
        #expect(Self.text(["SSCAN", "s", "0"], .array([.bulk("0"), .array([])])) == "{ type: array }")
        // Equal scores sort by member, and a generated member may sort either way.
        #expect(
            Self.text(["ZRANGE", "z", "0", "-1"], .array([.bulk(Self.token), .bulk("604800")]))
                == #"{ set: ["${tokenHash}", "604800"] }"#)
        #expect(
            Self.text(["ZRANGE", "z", "0", "-1"], .array([.bulk("sess:user123"), .bulk("604800")]))
                == #"{ array: ["sess:${userId}", "604800"] }"#)
    }

    @Test func aReplyThatDoesNotRecurKeepsOnlyAStableType() {
        // The prediction differs: the keys held more before the flow than its replies showed.
        #expect(Self.text(["SCARD", "s"], .integer(3), predicted: .integer(1), same: false) == "{ type: integer }")
        #expect(Self.text(["GET", "k"], .bulk(Self.token), predicted: .null, same: false) == nil)
        // Nothing predicted and the keys may hold something else: a type only where it cannot change.
        #expect(Self.text(["LLEN", "l"], .integer(4), same: false) == "{ type: integer }")
        #expect(Self.text(["LPOP", "l"], .bulk(Self.token), same: false) == nil)
        // A command on no key answers about the server.
        #expect(Self.text(["CONFIG", "GET", "maxmemory"], .array([.bulk("maxmemory"), .bulk("0")])) == "{ type: array }")
        #expect(Self.text(["WAIT", "1", "100"], .integer(0)) == "{ type: integer }")
        #expect(Self.text(["ECHO", "604800"], .bulk("604800")) == #"{ value: "604800" }"#)
        #expect(Self.text(["EVAL", "return 1", "0"], .integer(1)) == "{ integer: 1 }")
        // Chance: a random member.
        #expect(Self.text(["SRANDMEMBER", "s"], .bulk(Self.token)) == nil)
        #expect(Self.text(["SRANDMEMBER", "s", "2"], .array([.bulk(Self.token)])) == "{ type: array }")
        // A prediction that agrees, TTLs when both are positive, sets in any order.
        #expect(Self.text(["TTL", "k"], .integer(59), predicted: .integer(60), same: false) == "{ integer: { min: 1 } }")
        #expect(
            Self.text(
                ["SMEMBERS", "sess:user123"], .array([.bulk(Self.token), .bulk(Self.key)]),
                predicted: .array([.bulk(Self.key), .bulk(Self.token)]), same: false)
                == #"{ set: ["${tokenHash}", "rt:${userId}:${tokenHash}"] }"#)
    }

    @Test func redactedRepliesAreTypesOnly() {
        #expect(Self.text(["SET", "k", "v"], .simpleString("OK"), redact: true) == "{ type: status }")
        #expect(Self.text(["INCR", "k"], .integer(41), redact: true) == "{ type: integer }")
        #expect(Self.text(["GET", Self.key], .bulk(Self.json), redact: true) == "{ type: bulk }")
        #expect(Self.text(["INCR", "k"], .error("ERR value is not an integer"), redact: true) == "{ type: error }")
        #expect(Self.text(["SMEMBERS", "s"], .array([.bulk(Self.token)]), redact: true) == "{ type: array }")
        #expect(
            Self.text(["TTL", Self.key], .integer(604_799), ttl: .milliseconds(604_800_000), redact: true) == "{ type: integer }")
    }
}
