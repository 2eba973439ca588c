import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Testing
@testable import RedisAudit

/// The events a proxy in front of a real server tells its observer.
@Suite("fault proxy events against a real Redis", .timeLimit(.minutes(2)), MachineLoad.light)
struct ProxyEventTests {
    /// A proxy in front of `server` with `rules`, and every event it tells, in order.
    static func observedProxy(_ server: TestServer, rules: [String]) async throws
        -> (proxy: FaultProxy, seen: NIOLockedValueBox<[ProxyEvent]>)
    {
        let seen = NIOLockedValueBox<[ProxyEvent]>([])
        let proxy = try await FaultProxy.start(
            FaultProxyConfiguration(
                listenPort: 0, upstream: server.endpoint, options: Fixtures.options,
                rules: try rules.map { try FaultRule.parse($0) },
                observer: { event in seen.withLockedValue { $0.append(event) } }))
        return (proxy, seen)
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func eachFiringNamesTheCommandItsFirstKeyTheRuleAndWhatTheClientGotButNoValueOrPassword() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let (proxy, seen) = try await Self.observedProxy(
            server, rules: ["drop:SET:nth=2,reply=+OK", "kill-before:EXPIRE", "delay:AUTH:ms=1"])
        try await withCleanup { () async throws in
            let client = try await RedisConnection.connect(
                to: Endpoint(address: .tcp(host: "127.0.0.1", port: proxy.port)),
                options: ConnectionOptions(connectTimeout: .seconds(3), commandTimeout: .seconds(3), clientName: nil))
            // The default user takes any password: AUTH passes, and the delay rule fires on it.
            #expect(try await client.execute("AUTH", "default", "pw-SECRET-1") == .simpleString("OK"))
            #expect(try await client.execute("SET", "events:a", "value-SECRET-2") == .simpleString("OK"))
            #expect(try await client.execute("SET", "events:b", "value-SECRET-3") == .simpleString("OK"))
            #expect(try await client.execute("GET", "events:a") == .bulk("value-SECRET-2"))
            await #expect(throws: TransportFailure.self) { try await client.execute("EXPIRE", "events:a", "100") }
            await client.close()
            #expect(await proxy.settle(timeout: .seconds(10)))
        } cleanup: {
            await proxy.stop()
        }
        // The drop and the kill did what the events say.
        #expect(try await server.command("EXISTS", "events:b") == .integer(0))
        #expect(try await server.command("TTL", "events:a") == .integer(-1))

        let events = seen.withLockedValue { $0 }
        let fired = events.compactMap { event -> FaultEvent? in
            if case .faultFired(let fired) = event { return fired } else { return nil }
        }
        #expect(fired.map(\.command) == ["AUTH", "SET", "EXPIRE"])
        #expect(fired.map(\.key) == [nil, Array("events:b".utf8), Array("events:a".utf8)])
        #expect(fired.map(\.rule) == ["delay:AUTH:ms=1", "drop:SET:nth=2,reply=+OK", "kill-before:EXPIRE"])
        #expect(fired.map(\.ruleIndex) == [2, 0, 1])
        #expect(
            fired.map(\.effects) == [
                [.replyDelayed(.milliseconds(1))], [.answered(.simpleString("OK"))], [.closedBeforeCommand(reset: false)],
            ])
        #expect(Set(fired.map(\.client)).count == 1)
        let client = try #require(fired.first?.client)
        #expect(client.host == "127.0.0.1")
        #expect(client.port > 0)
        #expect(events.first == .connectionOpened(client, at: opened(events)))
        #expect(events.last.map { if case .connectionClosed(client, _) = $0 { true } else { false } } == true)
        #expect(!events.contains { if case .retryingIntoFault = $0 { true } else { false } })

        let lines = events.map(\.description)
        #expect(
            lines[2].hasSuffix(
                #"conn \#(client.id) (127.0.0.1:\#(client.port)) SET "events:b" hit drop:SET:nth=2,reply=+OK: the command never reached the server; the client got +OK"#
            ), "\(lines)")
        #expect(
            lines[3].hasSuffix(
                #" EXPIRE "events:a" hit kill-before:EXPIRE: connection closed before the command reached the server"#),
            "\(lines)")
        #expect(lines[1].hasSuffix(" AUTH hit delay:AUTH:ms=1: reply delayed 1 ms"), "\(lines)")
        for line in lines {
            #expect(!line.contains("SECRET"), "\(line)")
            // 2026-12-06T17:58:01.123Z: UTC, with milliseconds.
            #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test(.enabled(if: Fixtures.available(.redis70)))
    func aRuleFiringOnTheSameCommandAndKeyThreeTimesInARowIsARetryStreakToldOnce() async throws {
        let server = try await TestServer.start(.redis70)
        defer { server.stop() }
        let (proxy, seen) = try await Self.observedProxy(server, rules: ["drop:INCR:reply=-ERR lost"])
        try await withCleanup { () async throws in
            let client = try await RedisConnection.connect(
                to: Endpoint(address: .tcp(host: "127.0.0.1", port: proxy.port)),
                options: ConnectionOptions(connectTimeout: .seconds(3), commandTimeout: .seconds(3), clientName: nil))
            // Another key breaks the streak; then five in a row on one key: one warning, at the third.
            for key in ["r:a", "r:a", "r:b"] + Array(repeating: "r:c", count: 5) {
                #expect(try await client.execute("INCR", key) == .error("ERR lost"))
            }
            await client.close()
        } cleanup: {
            await proxy.stop()
        }
        let events = seen.withLockedValue { $0 }.filter {
            switch $0 {
            case .faultFired, .retryingIntoFault: true
            default: false
            }
        }
        #expect(events.count == 9)
        guard case .retryingIntoFault(let event, let times) = events[6] else {
            Issue.record("no warning after the third firing in a row: \(events)")
            return
        }
        #expect(times == ProxyEvent.retryStreak)
        #expect(event.key == Array("r:c".utf8))
        #expect(events[6].description.contains(#"drop:INCR:reply=-ERR lost fired on INCR "r:c" 3 times in a row"#))
        #expect(events[6].description.contains("nth=") && events[6].description.contains("scope=run"))
        #expect(events.filter { if case .faultFired = $0 { false } else { true } }.count == 1)
    }

    private func opened(_ events: [ProxyEvent]) -> Date {
        if case .connectionOpened(_, let time)? = events.first { return time }
        return .distantPast
    }
}

/// Where the first key of a request is, as the proxy's events name it.
@Suite("request first key")
struct RequestFirstKeyTests {
    private func key(_ arguments: String...) -> String? {
        var frame = ByteBuffer(string: "*\(arguments.count)\r\n")
        for argument in arguments { frame.writeString("$\(argument.utf8.count)\r\n\(argument)\r\n") }
        return RequestFirstKey.of(frame, named: arguments[0].uppercased()).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func theCommandTableLocatesTheKeyNotTheFirstArgument() {
        #expect(key("SET", "k", "secret") == "k")
        #expect(key("MSET", "k1", "v1", "k2", "v2") == "k1")
        #expect(key("EVAL", "return 1", "1", "k") == "k")
        #expect(key("XREAD", "COUNT", "2", "STREAMS", "s1", "0") == "s1")
        #expect(key("OBJECT", "ENCODING", "k") == "k")
    }

    @Test func noKeyForSecretsUnknownCommandsOrCommandsWithoutKeys() {
        #expect(key("AUTH", "user", "password") == nil)
        #expect(key("HELLO", "3", "AUTH", "user", "password") == nil)
        #expect(key("ECHO", "message") == nil)
        #expect(key("PING") == nil)
        #expect(key("KEYS", "user:*") == nil)
        #expect(key("MADEUP", "argument") == nil)
    }

    @Test func anInlineRequestIsReadToo() {
        #expect(RequestFirstKey.of(ByteBuffer(string: "get  k1\r\n"), named: "GET") == Array("k1".utf8))
    }
}
