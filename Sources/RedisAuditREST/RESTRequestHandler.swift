import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisAudit

/// Turns one HTTP request into upstream commands and their replies into Upstash's JSON.
struct RESTRequestHandler: Sendable {
    let configuration: RESTGatewayConfiguration
    let pool: UpstreamPool
    let faults: RESTFaults
    /// The last sync token handed out: a counter, advanced by every request.
    let syncCounter = NIOLockedValueBox<UInt64>(0)

    /// Upstash's request headers.
    static let encodingHeader = HTTPFields.Element.Name("Upstash-Encoding")!
    static let responseFormatHeader = HTTPFields.Element.Name("Upstash-Response-Format")!
    static let syncTokenHeader = HTTPFields.Element.Name("Upstash-Sync-Token")!

    /// Upstash's reply to a missing or wrong token.
    static let unauthorized = "WRONGPASS invalid or missing auth token"
    /// Upstash's reply to a body over the size limit.
    static let tooLarge = "ERR max request size exceeded"
    /// The methods Upstash accepts; others get 405.
    static let methods: Set<HTTPRequest.Method> = [.head, .get, .post, .put]

    /// What one request asks for.
    enum Call {
        case single([[UInt8]])
        case pipeline([[[UInt8]]])
        case transaction([[[UInt8]]])
    }

    /// A refusal before any command ran: an HTTP status and Upstash's error text.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var message: String
    }

    func respond(to request: Request) async -> Response {
        var request = request
        let base64 = request.headers[Self.encodingHeader]?.lowercased() == "base64"
        do {
            guard Self.methods.contains(request.method) else {
                throw Refusal(status: .methodNotAllowed, message: "ERR method not allowed")
            }
            guard authorized(request) else { throw Refusal(status: .unauthorized, message: Self.unauthorized) }
            var resp2 = false
            switch request.headers[Self.responseFormatHeader]?.lowercased() {
            case nil, "json": break
            case "resp2":
                guard !base64 else {
                    throw Refusal(
                        status: .badRequest, message: "ERR Upstash-Encoding: base64 cannot go with Upstash-Response-Format: resp2"
                    )
                }
                resp2 = true
            case let other?:
                throw Refusal(status: .badRequest, message: "ERR unsupported Upstash-Response-Format: \(other)")
            }
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: configuration.maxRequestBytes)
            } catch {
                throw Refusal(status: .badRequest, message: Self.tooLarge)
            }
            let call = try Self.call(path: request.uri.path, query: request.uri.query, method: request.method, body: body)
            let output = try await execute(call)
            // A transaction answers JSON whatever the format asked for.
            if case .transaction = call { resp2 = false }
            return respond(output, base64: base64, resp2: resp2)
        } catch let refusal as Refusal {
            return Self.response(status: refusal.status, json: "{\"error\":\(UpstashJSON.string(refusal.message))}")
        } catch {
            return Self.response(
                status: .internalServerError, json: "{\"error\":\(UpstashJSON.string(String(describing: error)))}")
        }
    }

    /// A token in `Authorization: Bearer` or the `_token` query parameter, compared with each accepted one.
    private func authorized(_ request: Request) -> Bool {
        var presented: Substring?
        if let header = request.headers[.authorization], let token = Self.bearerToken(header) {
            presented = token
        } else if let query = request.uri.queryParameters["_token"] {
            presented = query
        }
        guard let presented else { return false }
        return configuration.tokens.contains(String(presented))
    }

    /// The token of an `Authorization: Bearer TOKEN` value (the scheme in any case, spaces around
    /// the token dropped), or nil for another scheme.
    static func bearerToken(_ value: String) -> Substring? {
        let scheme = "bearer "
        guard value.utf8.count > scheme.utf8.count,
            value.utf8.prefix(scheme.utf8.count).elementsEqual(
                scheme.utf8, by: { ((0x41...0x5A).contains($0) ? $0 + 0x20 : $0) == $1 })
        else { return nil }
        var token = Substring(value).dropFirst(scheme.count)
        while token.first == " " || token.first == "\t" { token.removeFirst() }
        while token.last == " " || token.last == "\t" { token.removeLast() }
        return token
    }

    /// The commands of a request: `/pipeline` and `/multi-exec` take a JSON array of arrays, `/` one
    /// array, any other path is the command itself (a POST or PUT body appended as its last argument).
    /// Path segments and query parameters are percent-decoded to bytes, so any byte survives.
    static func call(
        path: String, query: String?, method: HTTPRequest.Method, body: ByteBuffer
    ) throws(Refusal) -> Call {
        let bytes = Array(body.readableBytesView)
        switch path {
        case "/pipeline", "/multi-exec":
            guard let outer = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [Any],
                !outer.isEmpty
            else { throw Refusal(status: .badRequest, message: "ERR failed to parse pipeline request") }
            var commands: [[[UInt8]]] = []
            for element in outer {
                guard let array = element as? [Any], let command = arguments(array) else {
                    throw Refusal(status: .badRequest, message: "ERR failed to parse pipeline request")
                }
                commands.append(command)
            }
            return path == "/pipeline" ? .pipeline(commands) : .transaction(commands)
        case "/", "":
            guard method == .post || method == .put else {
                throw Refusal(status: .badRequest, message: "ERR failed to parse command")
            }
            guard let array = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [Any],
                let command = arguments(array)
            else { throw Refusal(status: .badRequest, message: "ERR failed to parse command") }
            return .single(command)
        default:
            var command = path.utf8.split(separator: UInt8(ascii: "/")).map(PercentDecoding.bytes)
            if (method == .post || method == .put) && !bytes.isEmpty { command.append(bytes) }
            for parameter in (query ?? "").utf8.split(separator: UInt8(ascii: "&")) {
                let parts = parameter.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
                let name = PercentDecoding.bytes(parts[0])
                if name == Array("_token".utf8) { continue }
                command.append(name)
                if parts.count > 1 && !parts[1].isEmpty { command.append(PercentDecoding.bytes(parts[1])) }
            }
            guard !command.isEmpty else { throw Refusal(status: .badRequest, message: "ERR failed to parse command") }
            return .single(command)
        }
    }

    /// The arguments of one JSON command: strings as UTF-8, numbers as their decimal text.
    static func arguments(_ array: [Any]) -> [[UInt8]]? {
        guard !array.isEmpty else { return nil }
        var result: [[UInt8]] = []
        for element in array {
            if let text = element as? String {
                result.append(Array(text.utf8))
            } else if let number = element as? NSNumber {
                // Its own text: an integer past 2^53 keeps every digit, which a Double would round.
                result.append(Array("\(number)".utf8))
            } else {
                return nil
            }
        }
        return result
    }

    /// The replies of a call, in the shape its endpoint answers with.
    enum Output {
        case single(RESPValue)
        case list([RESPValue])
    }

    /// Runs the call on a connection of its own; a transaction is MULTI, the commands and EXEC in
    /// one batch. Fault rules decide first which commands are sent (see ``RESTFaults``).
    private func execute(_ call: Call) async throws -> Output {
        let list: [[[UInt8]]]
        switch call {
        case .single(let command): list = [command]
        case .pipeline(let commands), .transaction(let commands): list = commands
        }
        let plan = FaultPlanForRequest(
            list.map { faults.decide(String(decoding: $0[0], as: UTF8.self)) },
            transaction: {
                if case .transaction = call { return true } else { return false }
            }())
        if plan.delay > .zero { try? await Task.sleep(nanoseconds: UInt64(plan.delay.nanoseconds)) }
        var replies: [RESPValue] = []
        if !plan.sent.isEmpty {
            let commands: [RESPCommand]
            let sent = plan.sent.map { RESPCommand(arguments: list[$0]) }
            if case .transaction = call {
                commands = [RESPCommand("MULTI")] + sent + [RESPCommand("EXEC")]
            } else {
                commands = sent
            }
            replies = try await send(commands)
        }
        switch plan.failure {
        case .none: break
        case .connectionLost:
            throw Refusal(status: .internalServerError, message: "ERR upstream: connection closed by a fault rule")
        case .noReply:
            try? await Task.sleep(nanoseconds: UInt64(configuration.options.commandTimeout.nanoseconds))
            throw Refusal(
                status: .internalServerError,
                message:
                    "ERR upstream: \(TransportFailure.timeout(milliseconds: configuration.options.commandTimeout.nanoseconds / 1_000_000))"
            )
        }
        var results: [RESPValue]
        if case .transaction = call {
            switch replies.last {
            case .array(let values): results = values
            case .error(let message): throw Refusal(status: .badRequest, message: message)
            default: throw Refusal(status: .badRequest, message: "EXECABORT Transaction discarded")
            }
        } else {
            results = replies
        }
        // The stand-in replies of dropped commands, in their places.
        var merged: [RESPValue] = []
        var next = results.makeIterator()
        for index in plan.answered {
            if let standIn = plan.standIns[index] {
                merged.append(standIn)
            } else if let value = next.next() {
                merged.append(value)
            }
        }
        if case .single = call { return .single(merged[0]) }
        return .list(merged)
    }

    /// Sends a batch on a connection taken for it alone; a transport failure fails the request.
    private func send(_ commands: [RESPCommand]) async throws -> [RESPValue] {
        let connection: RedisConnection
        do {
            connection = try await pool.take()
        } catch {
            throw Refusal(status: .internalServerError, message: "ERR upstream unavailable: \(error)")
        }
        let outcomes = await connection.send(commands)
        var replies: [RESPValue] = []
        var failure: TransportFailure?
        for outcome in outcomes {
            switch outcome {
            case .reply(let value): replies.append(value)
            case .failed(let reason): failure = failure ?? reason
            }
        }
        await pool.give(back: connection, healthy: failure == nil && replies.count == commands.count)
        if let failure { throw Refusal(status: .internalServerError, message: "ERR upstream: \(failure)") }
        return replies
    }

    /// The response for the replies: JSON `{"result"|"error"}` (a list of them for /pipeline and
    /// /multi-exec), or RESP2 bytes with `Upstash-Response-Format: resp2`.
    private func respond(_ output: Output, base64: Bool, resp2: Bool) -> Response {
        let token = syncCounter.withLockedValue { counter -> UInt64 in
            counter += 1
            return counter
        }
        var response: Response
        if resp2 {
            var buffer = ByteBuffer()
            switch output {
            case .single(let value): RESPReplyEncoding.write(value, into: &buffer)
            case .list(let values): for value in values { RESPReplyEncoding.write(value, into: &buffer) }
            }
            response = Response(
                status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: buffer))
        } else {
            switch output {
            case .single(let value):
                let status: HTTPResponse.Status = value.isError ? .badRequest : .ok
                response = Self.response(status: status, json: UpstashJSON.entry(value, base64: base64))
            case .list(let values):
                response = Self.response(
                    status: .ok, json: "[" + values.map { UpstashJSON.entry($0, base64: base64) }.joined(separator: ",") + "]")
            }
        }
        response.headers.append(.init(name: Self.syncTokenHeader, value: String(token)))
        return response
    }

    static func response(status: HTTPResponse.Status, json: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

/// Which commands of a request are sent, given each one's fault decision.
struct FaultPlanForRequest {
    /// How the request ends when a rule cut it short.
    enum Failure {
        case none
        case connectionLost
        case noReply
    }

    /// Indexes of the commands sent upstream, in order.
    var sent: [Int] = []
    /// Indexes of the commands with a result in the response (sent or answered by a stand-in).
    var answered: [Int] = []
    /// Replies that stand in for dropped commands.
    var standIns: [Int: RESPValue] = [:]
    var delay: TimeAmount = .zero
    var failure: Failure = .none

    init(_ decisions: [RESTFaults.Decision], transaction: Bool) {
        for (index, decision) in decisions.enumerated() {
            switch decision {
            case .none:
                sent.append(index)
            case .delay(let amount):
                delay = delay + amount
                sent.append(index)
            case .drop(let reply?):
                standIns[index] = reply
            case .drop(nil):
                failure = .noReply
            case .killBefore:
                failure = .connectionLost
            case .killAfter:
                sent.append(index)
                failure = .connectionLost
            }
            if failure != .none { break }
            answered.append(index)
        }
        if transaction, failure != .none {
            // A transaction is all or nothing: cut before EXEC nothing applies; after EXEC, everything.
            if decisions.contains(.killAfter) && !decisions.contains(.killBefore) && !decisions.contains(.drop(nil)) {
                sent = decisions.indices.filter { if case .drop(_?) = decisions[$0] { return false } else { return true } }
            } else {
                sent = []
            }
        }
    }
}

/// Upstash's JSON for RESP values.
enum UpstashJSON {
    /// `{"result": ...}` or `{"error": "..."}`.
    static func entry(_ value: RESPValue, base64: Bool) -> String {
        if case .error(let message) = value { return "{\"error\":\(string(message))}" }
        return "{\"result\":\(result(value, base64: base64))}"
    }

    /// A value: integers as numbers, nil as null, arrays as arrays, strings as text or base64
    /// (the status "OK" stays as is).
    static func result(_ value: RESPValue, base64: Bool) -> String {
        switch value {
        case .simpleString(let text):
            return base64 && text != "OK" ? string(Data(text.utf8).base64EncodedString()) : string(text)
        case .error(let message): return string(message)
        case .integer(let number): return String(number)
        case .bulkString(let bytes):
            return base64 ? string(Data(bytes).base64EncodedString()) : string(String(decoding: bytes, as: UTF8.self))
        case .null, .nullArray: return "null"
        case .array(let elements): return "[" + elements.map { result($0, base64: base64) }.joined(separator: ",") + "]"
        }
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var json: [UInt8] = []
        JSONString.append(text.utf8, to: &json)
        return String(decoding: json, as: UTF8.self)
    }
}

/// `%XX` escapes of a URL path segment or query parameter, decoded to the bytes they stand for.
enum PercentDecoding {
    /// The bytes of `text` with each `%XX` replaced by its byte; a `%` not followed by two hex
    /// digits stays as it is.
    static func bytes(_ text: some Collection<UInt8>) -> [UInt8] {
        let input = Array(text)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count, let high = hexValue(input[index + 1]),
                let low = hexValue(input[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
