import RESP
import Testing
@testable import RedisAudit

/// How a batch of RESP commands is planned into REST calls, and how responses read back.
@Suite("REST batches and responses")
struct RESTBatchTests {
    static func command(_ arguments: String...) -> [[UInt8]] { arguments.map { Array($0.utf8) } }

    static func describe(_ parts: [RESTBatch.Part]) -> [String] {
        parts.map { part in
            switch part {
            case .local(let value): return "local \(value.redisCLIDescription)"
            case .call(let call): return "\(call.path) \(call.names.joined(separator: ","))"
            }
        }
    }

    @Test func aCommandARunATransactionAndARefusedCommandKeepTheirOrder() {
        let plan = RESTBatch.plan([
            Self.command("GET", "a"), Self.command("BLPOP", "q", "0"), Self.command("SET", "a", "1"), Self.command("INCR", "b"),
            Self.command("MULTI"), Self.command("SET", "t", "1"), Self.command("EXEC"), Self.command("PING"),
        ])
        #expect(
            Self.describe(plan) == [
                "/ GET",
                "local (error) ERR BLPOP is not carried over REST: a blocking command waits on a connection, and a REST request has none",
                "/pipeline SET,INCR", "/multi-exec SET", "/ PING",
            ])
        let replies = plan.reduce(0) { count, part in
            if case .call(let call) = part { return count + call.replyCount }
            return count + 1
        }
        #expect(replies == 8)
    }

    @Test func aTransactionWithACommandRESTCannotCarryIsDiscardedWithoutARequest() {
        let plan = RESTBatch.plan([
            Self.command("MULTI"), Self.command("SET", "a", "1"), Self.command("WATCH", "a"), Self.command("EXEC"),
        ])
        #expect(plan.count == 4)
        guard case .local(.error(let abort)) = plan.last else {
            Issue.record("EXEC should be answered locally: \(plan)")
            return
        }
        #expect(abort.hasPrefix("EXECABORT"))
    }

    @Test func aDiscardedTransactionSendsNothing() {
        let plan = RESTBatch.plan([Self.command("MULTI"), Self.command("SET", "a", "1"), Self.command("DISCARD")])
        #expect(Self.describe(plan) == ["local OK", "local QUEUED", "local OK"])
    }

    @Test func argumentsJSONCannotHoldTravelPathStyleByteForByte() {
        let key: [UInt8] = Array("k".utf8) + [0xFF, 0x2F]
        let value: [UInt8] = [0x00, 0x80]
        let call = RESTCall(kind: .command(Array("SET".utf8)), commands: [[Array("SET".utf8), key, value]], names: ["SET"])
        #expect(call.pathStyle)
        #expect(call.path == "/SET/k%FF%2F")
        #expect(call.body == value)
        let plain = RESTCall(kind: .command(Array("SET".utf8)), commands: [Self.command("SET", "k\"\n", "v")], names: ["SET"])
        #expect(!plain.pathStyle && plain.path == "/")
        #expect(String(decoding: plain.body, as: UTF8.self) == #"["SET","k\"\n","v"]"#)
    }

    @Test func responsesReadAsTheRepliesTCPGives() throws {
        let pipeline = RESTCall(
            kind: .pipeline([]), commands: [Self.command("GET", "a"), Self.command("TYPE", "a"), Self.command("INCR", "s")],
            names: ["GET", "TYPE", "INCR"])
        let body = #"[{"result":"aGk="},{"result":"c3RyaW5n"},{"error":"ERR value is not an integer or out of range"}]"#
        #expect(
            try RESTResponse.replies(to: pipeline, status: 200, body: Array(body.utf8)).get() == [
                .bulk("hi"), .simpleString("string"), .error("ERR value is not an integer or out of range"),
            ])
        let transaction = RESTCall(
            kind: .transaction([]), commands: [Self.command("SET", "a", "1"), Self.command("INCR", "n")], names: ["SET", "INCR"])
        #expect(
            try RESTResponse.replies(
                to: transaction, status: 200, body: Array(#"[{"result":"OK"},{"result":9223372036854775807}]"#.utf8)
            ).get()
                == [
                    .simpleString("OK"), .simpleString("QUEUED"), .simpleString("QUEUED"),
                    .array([.simpleString("OK"), .integer(Int64.max)]),
                ])
        // An error or status holding a line break stays one RESP line.
        let broken = try RESTResponse.replies(to: pipeline, status: 400, body: Array(#"{"error":"ERR a\r\nb"}"#.utf8)).get()
        #expect(broken.first == .error("ERR a b"))
        let refused = try RESTResponse.replies(to: transaction, status: 401, body: Array(#"{"error":"Unauthorized"}"#.utf8)).get()
        #expect(refused.last == .error("NOAUTH HTTP 401: Unauthorized"))
        // A 5xx, or a body that is not Upstash's, ends the connection with the reason.
        guard case .failure(let failure) = RESTResponse.replies(to: pipeline, status: 502, body: Array("<html>bad gateway".utf8))
        else {
            Issue.record("a 502 should fail the connection")
            return
        }
        #expect(failure.reason == "HTTP 502: <html>bad gateway")
        guard case .failure = RESTResponse.replies(to: pipeline, status: 200, body: Array(#"[{"result":1}]"#.utf8)) else {
            Issue.record("too few entries should fail the connection")
            return
        }
    }
}
