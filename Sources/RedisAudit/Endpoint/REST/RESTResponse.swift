import RESP

/// One HTTP response read as the RESP replies of the call it answers.
///
/// | Status | Body | Replies |
/// |---|---|---|
/// | 200 | `{"result"}` / `{"error"}`, or an array of them | one per command; a transaction's as `MULTI`'s `OK`, `QUEUED`s and `EXEC`'s array |
/// | 4xx | `{"error": "..."}` | that error for each command (a transaction's, `EXECABORT` first), `NOAUTH` first for 401 and 403 |
/// | 5xx, or a body that is not this | | none: the connection ends with the reason |
public enum RESTResponse {
    /// The replies a response stands for when it answers `commands` (one: `POST /`; several:
    /// `/pipeline`, or `/multi-exec` for a transaction), nil when it ends the connection.
    public static func replies(to commands: [[[UInt8]]], transaction: Bool, status: UInt, body: [UInt8]) -> [RESPValue]? {
        guard !commands.isEmpty else { return nil }
        let names = commands.map(RESTBatch.name)
        let kind: RESTCall.Kind =
            transaction
            ? .transaction(commands.map { $0.first ?? [] })
            : commands.count == 1 ? .command(commands[0].first ?? []) : .pipeline(commands.map { $0.first ?? [] })
        return try? replies(to: RESTCall(kind: kind, commands: commands, names: names), status: status, body: body).get()
    }

    static func replies(to call: RESTCall, status: UInt, body: [UInt8]) -> Result<[RESPValue], RESTFailure> {
        let document = RESTReply.document(body)
        guard status == 200 else {
            guard (400..<500).contains(status), let object = document as? [String: Any], let text = object["error"] as? String
            else {
                return .failure(RESTFailure(reason: "HTTP \(status)\(excerpt(body))"))
            }
            var message = RESTReply.line(text)
            if status == 401 || status == 403 { message = "NOAUTH HTTP \(status): \(message)" }
            if case .transaction = call.kind, status != 401, status != 403 {
                // The server discarded the transaction; REST does not say which command it refused,
                // so each command carries the request's error, EXECABORT first, as EXEC does.
                let discarded = message.hasPrefix("EXECABORT") ? message : "EXECABORT \(message)"
                return .success(
                    [.simpleString("OK")] + call.commands.map { _ in .error(discarded) } + [.error(discarded)])
            }
            return .success(call.commands.map { _ in .error(message) })
        }
        switch call.kind {
        case .command:
            guard let document, let reply = RESTReply.entry(document, name: call.names[0]) else { return malformed(body) }
            return .success([reply])
        case .pipeline, .transaction:
            guard let entries = document as? [Any], entries.count == call.commands.count else { return malformed(body) }
            var replies: [RESPValue] = []
            for (entry, name) in zip(entries, call.names) {
                guard let reply = RESTReply.entry(entry, name: name) else { return malformed(body) }
                replies.append(reply)
            }
            if case .transaction = call.kind, status != 401, status != 403 {
                return .success([.simpleString("OK")] + replies.map { _ in .simpleString("QUEUED") } + [.array(replies)])
            }
            return .success(replies)
        }
    }

    private static func malformed(_ body: [UInt8]) -> Result<[RESPValue], RESTFailure> {
        .failure(RESTFailure(reason: "not an Upstash REST reply\(excerpt(body))"))
    }

    /// `: <the body's first 120 characters>`, or nothing for an empty body.
    private static func excerpt(_ body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(120), as: UTF8.self).filter { !$0.isNewline }
        return ": " + text + (body.count > 120 ? "..." : "")
    }
}
