import Testing
@testable import RedisAudit

/// Parsing `redis+sentinel://` URLs: several Sentinels, IPv6, the master name, redaction.
@Suite("Sentinel endpoint URLs")
struct SentinelURLTests {
    @Test func severalSentinelsAndTheMasterName() throws {
        let e = try Endpoint.parse("redis+sentinel://s1.internal:26379,s2.internal,10.0.0.7:26380/mymaster")
        #expect(
            e.address
                == .sentinel(
                    nodes: [
                        Endpoint.Node(host: "s1.internal", port: 26379), Endpoint.Node(host: "s2.internal", port: 26379),
                        Endpoint.Node(host: "10.0.0.7", port: 26380),
                    ], master: "mymaster"))
        #expect(e.database == 0)
        #expect(e.description == "redis+sentinel://s1.internal:26379,s2.internal:26379,10.0.0.7:26380/mymaster")
    }

    @Test func ipv6SentinelsAndADatabase() throws {
        let e = try Endpoint.parse("redis+sentinel://[::1]:26379,[fe80::2]/cache/2")
        #expect(
            e.address
                == .sentinel(
                    nodes: [Endpoint.Node(host: "::1", port: 26379), Endpoint.Node(host: "fe80::2", port: 26379)], master: "cache"
                ))
        #expect(e.database == 2)
        #expect(e.description == "redis+sentinel://[::1]:26379,[fe80::2]:26379/cache/2")
    }

    @Test func theDataNodePasswordIsRedactedAndTheSentinelOneComesFromItsOwnVariable() throws {
        let e = try Endpoint.parse(
            "redis+sentinel://app:hunter2@127.0.0.1:26379/mymaster",
            environment: [Endpoint.sentinelPasswordVariable: "sentinel-secret"])
        #expect(e.username == "app")
        #expect(e.password == "hunter2")
        #expect(e.sentinelPassword == "sentinel-secret")
        #expect(e.description == "redis+sentinel://app:***@127.0.0.1:26379/mymaster")
        let fromEnvironment = try Endpoint.parse(
            "redis+sentinel://app@127.0.0.1:26379/mymaster", passwordEnvironment: ["REDISAUDIT_PASSWORD"],
            environment: ["REDISAUDIT_PASSWORD": "data-node"])
        #expect(fromEnvironment.password == "data-node")
        #expect(fromEnvironment.sentinelPassword == nil)
    }

    @Test func aMissingMasterNameIsAClearErrorWithoutThePassword() {
        for url in ["redis+sentinel://u:hunter2@127.0.0.1:26379", "redis+sentinel://u:hunter2@127.0.0.1:26379/"] {
            #expect {
                try Endpoint.parse(url)
            } throws: { error in
                guard case .invalidURL(let shown, let reason) = error as? EndpointError else { return false }
                return reason.contains("missing the master name") && !shown.contains("hunter2") && shown.contains("***")
            }
        }
    }

    @Test func badSentinelListsAreRejected() {
        for (url, reason) in [
            ("redis+sentinel://127.0.0.1:26379,,h:1/m", "empty Sentinel address"),
            ("redis+sentinel://127.0.0.1:99999/m", "port must be a number from 1 to 65535"),
            ("redis+sentinel://[::1/m", "unterminated IPv6 address"),
            ("redis+sentinel://h:1/m/x", "only a database number"),
        ] {
            #expect(throws: EndpointError.self) { try Endpoint.parse(url) }
            do {
                _ = try Endpoint.parse(url)
            } catch {
                #expect(error.description.contains(reason), "\(url): \(error)")
            }
        }
    }
}
