import Foundation
import Testing
@testable import RedisAudit

/// `redisaudit.yaml`: every key read, relative paths anchored at the file, and every bad value a FILE:LINE error.
@Suite("the config file")
struct AuditConfigTests {
    static let full = """
        # the checkout service's gate
        endpoints:
          a: { url: "redis://127.0.0.1:6379/0", password-env: CURRENT_REDIS_PASSWORD }
          b: rediss://default@cache.example.com:6380
        scenarios: [login, scenarios/checkout.yaml]
        vars:
          clients: 100
          capacity: 50
        fail-on: medium
        baseline: .redisaudit-baseline.yaml
        outputs:
          markdown: out/report.md
          json: /tmp/report.json
          junit: out/report.xml
        connect-timeout: 2
        command-timeout: 0.5
        compare: { ttl-tolerance: 3, trials: 10 }
        inject:
          faults: [kill-after:EXPIRE, "drop:DEL:reply=-ERR lost"]
          lost-writes: true
          server-faults: false
          trial-timeout: 0.25
          jobs: 4
          trials: 2
        keyspace:
          match: "checkin:*"
          count: 500
          sample: 10000
          expect-prefix: ["checkin:prod:", "rt:"]
          memory: true
          ttl-ratio: 2
          count-tolerance: 0.2
          replicas: true
        """

    @Test func everyKeyIsRead() throws {
        let config = try AuditConfig.parse(yaml: Self.full, file: "redisaudit.yaml", directory: "/srv/app")
        #expect(
            config.endpointA
                == AuditConfig.EndpointEntry(url: "redis://127.0.0.1:6379/0", passwordEnvironment: "CURRENT_REDIS_PASSWORD"))
        #expect(
            config.endpointB
                == AuditConfig.EndpointEntry(url: "rediss://default@cache.example.com:6380", passwordEnvironment: nil))
        #expect(config.scenarios == ["login", "/srv/app/scenarios/checkout.yaml"])
        #expect(config.variables == ["clients=100", "capacity=50"])
        #expect(config.failOn == "medium")
        #expect(config.baseline == "/srv/app/.redisaudit-baseline.yaml")
        #expect(
            config.outputs
                == AuditConfig.Outputs(
                    markdown: "/srv/app/out/report.md", json: "/tmp/report.json", junit: "/srv/app/out/report.xml"))
        #expect(config.connectTimeout == 2 && config.commandTimeout == 0.5)
        #expect(config.compare == AuditConfig.CompareSettings(ttlTolerance: 3, trials: 10))
        #expect(config.inject.faults == ["kill-after:EXPIRE", "drop:DEL:reply=-ERR lost"])
        #expect(config.inject.lostWrites == true && config.inject.serverFaults == false)
        #expect(config.inject.trialTimeout == 0.25 && config.inject.jobs == 4 && config.inject.trials == 2)
        #expect(config.keyspace.match == "checkin:*" && config.keyspace.count == 500 && config.keyspace.sample == 10000)
        #expect(config.keyspace.expectPrefixes == ["checkin:prod:", "rt:"])
        #expect(config.keyspace.memory == true && config.keyspace.ttlRatio == 2 && config.keyspace.countTolerance == 0.2)
        #expect(config.keyspace.replicas == true)
    }

    @Test func unconfinedScriptsAreAllowedOnlyWhenTheFileSaysSo() throws {
        let config = try AuditConfig.parse(
            yaml: "compare: { allow-unconfined-scripts: true }\ninject: { allow-unconfined-scripts: false }\n",
            file: "redisaudit.yaml", directory: "/")
        #expect(config.compare.allowUnconfinedScripts == true)
        #expect(config.inject.allowUnconfinedScripts == false)
        let unset = try AuditConfig.parse(yaml: "compare: { trials: 2 }\n", file: "redisaudit.yaml", directory: "/")
        #expect(unset.compare.allowUnconfinedScripts == nil)
        #expect(unset.inject.allowUnconfinedScripts == nil)
    }

    @Test func anEmptyFileIsAnEmptyConfig() throws {
        let config = try AuditConfig.parse(yaml: "# nothing yet\n", file: "redisaudit.yaml", directory: "/")
        #expect(config.endpointA == nil && config.scenarios.isEmpty && config.failOn == nil)
    }

    @Test(arguments: [
        ("fail-on: high\nfail_on: low\n", 2, "unknown key 'fail_on'"),
        ("endpoints:\n  a: redis://127.0.0.1\n  c: redis://127.0.0.1\n", 3, "unknown key 'c'"),
        ("endpoints:\n  a:\n    url: redis://user:hunter2@127.0.0.1\n", 3, "never write it in the file"),
        (
            "endpoints:\n  b: { url: \"redis://127.0.0.1/x?password=hunter2\" }\n", 2,
            "the path after the host must be a database number"
        ),
        ("endpoints:\n  a: { url: \"redis://127.0.0.1/?password=hunter2\" }\n", 2, "never write it in the file"),
        ("endpoints:\n  a: { url: http://127.0.0.1 }\n", 2, "expected redis://"),
        ("endpoints:\n  a: { password-env: PW }\n", 2, "needs a url"),
        ("endpoints:\n  a: { url: redis://h, password-env: \"MY PW\" }\n", 2, "environment variable"),
        ("fail-on: severe\n", 1, "critical, high, medium, low, info, never"),
        ("command-timeout: 0\n", 1, "command-timeout must be a number from"),
        ("compare:\n  trials: 0\n", 2, "compare.trials must be a whole number from 1 to 1000"),
        ("vars:\n  bad-name: 1\n", 2, "not a variable name"),
        ("inject:\n  faults:\n    - kill-after:EXPIRE\n    - explode:GET\n", 4, "invalid fault rule 'explode:GET'"),
        ("inject:\n  lost-writes: sometimes\n", 2, "true or false"),
        ("keyspace:\n  expect-prefix: [a, \"\"]\n", 2, "must not be empty"),
        ("outputs:\n  pdf: report.pdf\n", 2, "unknown key 'pdf' in outputs (accepted: markdown, json, junit, html)"),
        ("scenarios:\n  login: yes\n", 2, "list of values"),
        ("[1, 2]\n", 1, "the config file must be a mapping"),
        ("fail-on: high\n  bad: indentation\n", 2, "invalid YAML"),
    ])
    func badValuesSayFileAndLine(yaml: String, line: Int, message: String) {
        do {
            _ = try AuditConfig.parse(yaml: yaml, file: "redisaudit.yaml", directory: "/")
            Issue.record("parsed: \(yaml)")
        } catch {
            #expect(error.description.hasPrefix("redisaudit.yaml:\(line): "), "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(!error.description.contains("hunter2"), "the password is never repeated: \(error)")
        }
    }
}
