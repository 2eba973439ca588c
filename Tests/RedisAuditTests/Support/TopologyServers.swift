import Foundation
import NIOCore
import RESP
@testable import RedisAudit

/// Servers in the roles a deployment gives them: a replica of a test primary, a Sentinel that
/// watches one, a cluster-enabled node, each on a free loopback port with persistence off.
extension TestServer {
    /// A Redis 7.0 replica of `primary` (`--replicaof`), ready once it answers PING.
    static func startReplica(of primary: TestServer) async throws -> TestServer {
        try await start(.redis70, extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
    }

    /// A node with cluster mode on (no cluster formed), Redis 7.0 unless `kind` says otherwise;
    /// its port stays at or below 55535, because the cluster bus listens on port + 10000.
    static func startClusterNode(_ kind: Kind = .redis70) async throws -> TestServer {
        for _ in 0..<20 {
            let port = try freePort()
            guard port <= 55535, (try? bindLoopback(port + 10000)) != nil else { continue }
            // Another test may take the port or its bus port before the node binds them: try another pair.
            if let node = try? await start(
                kind, port: port, extraArguments: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
            {
                return node
            }
        }
        throw TestServerError.notReady("no free port pair for a cluster node")
    }

    /// A Sentinel (`redis-server sentinel.conf --sentinel`) that monitors `primary` as `master`.
    /// Sentinel rewrites its config file, so it lives in the Sentinel's own temporary directory.
    static func startSentinel(monitoring primary: TestServer, master: String = "mymaster", password: String? = nil) async throws
        -> TestServer
    {
        guard let binary = binary(.redis70) else {
            throw TestServerError.missingBinary("Redis 7.0 server not found: run `make deps`")
        }
        return try await firstReady(
            "Sentinel", directoryPrefix: "redisaudit-sentinel", ready: { try await $0.waitUntilReady() }, stop: { $0.stop() }
        ) { directory in
            let port = try freePort()
            var config = """
                port \(port)
                bind 127.0.0.1
                daemonize no
                dir \(directory.path)
                logfile \(directory.appendingPathComponent("sentinel.log").path)
                sentinel monitor \(master) 127.0.0.1 \(primary.port) 1
                sentinel down-after-milliseconds \(master) 60000

                """
            if let password { config += "requirepass \(password)\n" }
            let file = directory.appendingPathComponent("sentinel.conf")
            try config.write(to: file, atomically: true, encoding: .utf8)
            let process = try ChildProcess(binary, [file.path, "--sentinel"])
            return TestServer(kind: .redis70, port: port, directory: directory, process: process, caFile: nil)
        }
    }
}

/// twemproxy (Debian's `nutcracker`) in front of one test server, on a free loopback port,
/// stopped when the test is done.
final class TestTwemproxy: @unchecked Sendable {
    let port: Int
    let backend: TestServer
    private let directory: URL
    private let process: ChildProcess

    var url: String { "redis://127.0.0.1:\(port)" }
    var endpoint: Endpoint { try! Endpoint.parse(url) }

    /// The `nutcracker` binary, or nil when it is not installed (`make deps` installs it).
    static var binary: String? {
        ["/usr/sbin/nutcracker", "/usr/bin/nutcracker"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init(port: Int, backend: TestServer, directory: URL, process: ChildProcess) {
        self.port = port
        self.backend = backend
        self.directory = directory
        self.process = process
    }

    /// Starts twemproxy with one pool whose only server is `backend`; ready once a GET goes through it.
    static func start(inFrontOf backend: TestServer) async throws -> TestTwemproxy {
        guard let binary else { throw TestServerError.missingBinary("nutcracker not found: run `make deps`") }
        return try await TestServer.firstReady(
            "twemproxy", directoryPrefix: "redisaudit-twemproxy", ready: { try await $0.waitUntilReady() }, stop: { $0.stop() }
        ) { directory in
            let port = try TestServer.freePort()
            let statsPort = try TestServer.freePort()
            let config = """
                audit:
                  listen: 127.0.0.1:\(port)
                  hash: fnv1a_64
                  distribution: ketama
                  redis: true
                  auto_eject_hosts: false
                  timeout: 3000
                  servers:
                   - 127.0.0.1:\(backend.port):1

                """
            let file = directory.appendingPathComponent("nutcracker.yml")
            try config.write(to: file, atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                binary,
                [
                    "-c", file.path, "-s", String(statsPort), "-a", "127.0.0.1", "-o",
                    directory.appendingPathComponent("nutcracker.log").path,
                    "-p", directory.appendingPathComponent("nutcracker.pid").path,
                ])
            return TestTwemproxy(port: port, backend: backend, directory: directory, process: process)
        }
    }

    /// Polls (with a deadline) until a GET through the proxy is answered.
    private func waitUntilReady() async throws {
        // No CLIENT SETNAME and a memory of our own: readiness must not teach the tests' connections anything.
        let options = ConnectionOptions(
            connectTimeout: .milliseconds(500), commandTimeout: .seconds(2), clientName: nil,
            handshakeRefusals: HandshakeRefusals())
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestServerError.notReady("nutcracker exited: \(process.stderr)") }
            if let connection = try? await RedisConnection.connect(to: endpoint, options: options) {
                let reply = try? await connection.execute("GET", "redisaudit:readiness")
                await connection.close()
                if reply == .null { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError.notReady("twemproxy on port \(port) did not answer")
    }

    /// Stops the proxy (SIGKILL) and removes its directory; the backend is the caller's to stop.
    func stop() {
        process.stop(grace: 0)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
