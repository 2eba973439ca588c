import Testing
@testable import RedisAudit

/// Parsing endpoint URLs: schemes, credentials, databases, and errors that never carry a password.
@Suite("Endpoint URLs")
struct EndpointTests {
    @Test func plainURLWithDefaults() throws {
        let e = try Endpoint.parse("redis://cache.internal")
        #expect(e.address == .tcp(host: "cache.internal", port: 6379))
        #expect(e.tls == false)
        #expect(e.database == 0)
        #expect(e.username == nil && e.password == nil)
    }

    @Test func userPasswordPortAndDatabase() throws {
        let e = try Endpoint.parse("rediss://app:s3cr%40t@10.0.0.5:6380/3")
        #expect(e.address == .tcp(host: "10.0.0.5", port: 6380))
        #expect(e.tls)
        #expect(e.username == "app")
        #expect(e.password == "s3cr@t")
        #expect(e.database == 3)
        #expect(e.description == "rediss://app:***@10.0.0.5:6380/3")
    }

    @Test func passwordOnlyIsMasked() throws {
        let e = try Endpoint.parse("redis://:hunter2@localhost:6379")
        #expect(e.username == nil)
        #expect(e.password == "hunter2")
        #expect(e.description == "redis://:***@localhost:6379")
        #expect(!e.description.contains("hunter2"))
    }

    @Test func ipv6Literal() throws {
        let e = try Endpoint.parse("redis://[::1]:7000")
        #expect(e.address == .tcp(host: "::1", port: 7000))
        #expect(e.description == "redis://[::1]:7000")
    }

    @Test func unixSocketWithDatabase() throws {
        let e = try Endpoint.parse("unix:///var/run/redis.sock?db=2")
        #expect(e.address == .unix(path: "/var/run/redis.sock"))
        #expect(e.database == 2)
        #expect(e.description == "unix:///var/run/redis.sock?db=2")
    }

    @Test func hostPortShorthand() throws {
        let e = try Endpoint.parse("127.0.0.1:6390")
        #expect(e.address == .tcp(host: "127.0.0.1", port: 6390))
    }

    @Test func passwordFromEnvironmentWhenURLHasNone() throws {
        let e = try Endpoint.parse(
            "redis://default@h:1", passwordEnvironment: ["REDISAUDIT_PASSWORD_A", "REDISAUDIT_PASSWORD"],
            environment: ["REDISAUDIT_PASSWORD": "fromenv"])
        #expect(e.password == "fromenv")
        #expect(e.description == "redis://default:***@h:1")
        let specific = try Endpoint.parse(
            "redis://h:1", passwordEnvironment: ["REDISAUDIT_PASSWORD_A", "REDISAUDIT_PASSWORD"],
            environment: ["REDISAUDIT_PASSWORD": "general", "REDISAUDIT_PASSWORD_A": "specific"])
        #expect(specific.password == "specific")
        let inURL = try Endpoint.parse("redis://:url@h:1", passwordEnvironment: ["P"], environment: ["P": "env"])
        #expect(inURL.password == "url")
    }

    @Test(arguments: [
        ("http://host", "expected redis://"),
        ("redis://host:99999", "port must be a number from 1 to 65535"),
        ("redis://host:abc", "port must be a number from 1 to 65535"),
        ("redis://host/notanumber", "the path after the host must be a database number"),
        ("36265", "only a number: write the host too, as in redis://127.0.0.1:36265"),
        ("redis://host?color=red", "unknown parameter 'color' (db, user, password)"),
        ("redis://:pw@", "missing host"),
        ("unix://relative.sock", "must be absolute"),
        ("unix:///s.sock?db=x", "db must be a number"),
    ])
    func invalidURLsSayWhy(url: String, reason: String) {
        do {
            _ = try Endpoint.parse(url)
            Issue.record("\(url) parsed")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    /// Each URL holds `s3cr3t` where a password could be typed by mistake; the error quotes
    /// the URL but never the secret.
    @Test(arguments: [
        "redis://host?password=s3cr3t&db=x",
        "redis://host:6379/s3cr3t",
        "redis://default:s3cr3t",
        "redis://default:s3cr3t@",
        "redis://default:s3cr3t@host:port",
        "redis://host:6379/0?s3cr3t",
        "redis://host:6379?token=s3cr3t",
        "redis://host:6379?s3cr3t=1",
        "rediss://u:s3cr3t@[::1:6379",
        "redis+sentinel://u:s3cr3t@h:1/m/s3cr3t",
        "redis+sentinel://h:s3cr3t/m",
        "unix:///s.sock?password=s3cr3t&db=x",
        "unix:///s.sock?s3cr3t",
        "http://u:s3cr3t@host",
    ])
    func noQuotedInputCarriesWhatCouldBeAPassword(url: String) {
        do {
            let endpoint = try Endpoint.parse(url)
            Issue.record("\(url) parsed as \(endpoint)")
        } catch {
            #expect(!error.description.contains("s3cr3t"), "\(error.description)")
            #expect(error.description.contains("***"), "\(error.description)")
        }
    }

    @Test func messagesHaveTheirURLsRedactedAndKeepTheirPunctuation() {
        #expect(
            Endpoint.redactingURLs(in: "cannot reach redis://h:6379/2: connection refused")
                == "cannot reach redis://h:6379/2: connection refused")
        #expect(
            Endpoint.redactingURLs(in: "'redis://u:s3cr3t@h:1/x', and unix:///s?password=s3cr3t.")
                == "'redis://u:***@h:1/***', and unix:///s?password=***.")
        #expect(Endpoint.redactingURLs(in: "see https://example.com/a/b") == "see https://example.com/a/b")
    }

    @Test func aQueryCarriesTheDatabaseUserAndPassword() throws {
        let endpoint = try Endpoint.parse("redis://host:6380?db=3&user=app&password=p%40ss")
        #expect(endpoint.address == .tcp(host: "host", port: 6380))
        #expect(endpoint.database == 3)
        #expect(endpoint.username == "app")
        #expect(endpoint.password == "p@ss")
        #expect(endpoint.description == "redis://app:***@host:6380/3")
    }

    @Test func errorsNeverCarryThePassword() {
        do {
            _ = try Endpoint.parse("redis://user:topsecret@host:notaport")
            Issue.record("parsed")
        } catch {
            #expect(!error.description.contains("topsecret"))
            #expect(error.description.contains("user:***@"))
        }
        #expect(Endpoint.redacted("unix:///s.sock?password=pw&db=1") == "unix:///s.sock?password=***&db=1")
        // A query after the database is not taken for the database (and so never echoed).
        for url in ["redis://host/?password=topsecret", "redis://host/x?password=topsecret"] {
            do {
                let endpoint = try Endpoint.parse(url)
                #expect(endpoint.database == 0)
            } catch {
                #expect(!error.description.contains("topsecret"), "\(error)")
            }
        }
    }
}
