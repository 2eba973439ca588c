import RESP

/// What a batch of RESP commands becomes over REST, in command order: HTTP calls, and replies
/// given without the server for the commands REST cannot carry.
///
/// ```
///   GET a                    ─▶ POST /             (one command)
///   SET a 1, INCR b          ─▶ POST /pipeline     (a run of commands)
///   MULTI, SET a 1, EXEC     ─▶ POST /multi-exec   (+OK, +QUEUED, EXEC's array)
///   BLPOP q 0                ─▶ -ERR ... not carried over REST (no request)
/// ```
enum RESTBatch {
    /// One part of a planned batch.
    enum Part: Sendable {
        /// A reply given here, without a request.
        case local(RESPValue)
        /// A request whose response stands for `call.replyCount` replies.
        case call(RESTCall)
    }

    /// The parts of a batch, whose replies add up to one per command, in order.
    static func plan(_ commands: [[[UInt8]]]) -> [Part] {
        var parts: [Part] = []
        var run: [[[UInt8]]] = []
        func endRun() {
            guard !run.isEmpty else { return }
            // A command whose arguments JSON cannot hold travels alone, path style.
            var plain: [[[UInt8]]] = []
            func endPlain() {
                if plain.count == 1 {
                    parts.append(.call(RESTCall(kind: .command(plain[0][0]), commands: plain, names: plain.map(name))))
                } else if plain.count > 1 {
                    parts.append(.call(RESTCall(kind: .pipeline(plain.map { $0[0] }), commands: plain, names: plain.map(name))))
                }
                plain = []
            }
            for command in run {
                if command.contains(where: { String(validating: $0, as: UTF8.self) == nil }) {
                    endPlain()
                    parts.append(.call(RESTCall(kind: .command(command[0]), commands: [command], names: [name(command)])))
                } else {
                    plain.append(command)
                }
            }
            endPlain()
            run = []
        }
        var index = 0
        while index < commands.count {
            let command = commands[index]
            let commandName = name(command)
            if commandName == "MULTI",
                let end = commands[(index + 1)...].firstIndex(where: { ["EXEC", "DISCARD"].contains(name($0)) })
            {
                endRun()
                let inner = Array(commands[(index + 1)..<end])
                parts += transaction(inner, discarded: name(commands[end]) == "DISCARD")
                index = end + 1
                continue
            }
            if let refusal = refusal(command) {
                endRun()
                parts.append(.local(.error(refusal)))
            } else {
                run.append(command)
            }
            index += 1
        }
        endRun()
        return parts
    }

    /// `MULTI` ... `EXEC` (or `DISCARD`) as `/multi-exec`, or answered here when nothing would be sent.
    private static func transaction(_ inner: [[[UInt8]]], discarded: Bool) -> [Part] {
        let queued = inner.map { _ in Part.local(.simpleString("QUEUED")) }
        if discarded { return [.local(.simpleString("OK"))] + queued + [.local(.simpleString("OK"))] }
        if inner.contains(where: { refusal($0) != nil }) {
            // Redis discards a transaction with a command it refuses at queue time; so does this.
            let abort = RESPValue.error("EXECABORT Transaction discarded because of previous errors.")
            return [.local(.simpleString("OK"))]
                + inner.map { refusal($0).map { .local(.error($0)) } ?? .local(.simpleString("QUEUED")) }
                + [.local(abort)]
        }
        if inner.contains(where: { $0.contains { String(validating: $0, as: UTF8.self) == nil } }) {
            let message =
                "ERR a transaction over REST carries its arguments as JSON text, which cannot hold bytes that are not UTF-8"
            return [.local(.simpleString("OK"))] + inner.map { _ in .local(.error(message)) } + [
                .local(.error("EXECABORT " + message))
            ]
        }
        return [.call(RESTCall(kind: .transaction(inner.map { $0[0] }), commands: inner, names: inner.map(name)))]
    }

    /// The upper-cased command name.
    static func name(_ command: [[UInt8]]) -> String {
        command.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? ""
    }

    /// The error REST gives a command it cannot carry, nil for one it carries: each request is
    /// independent, so nothing that needs a connection of its own (blocking, subscriptions,
    /// `WATCH`, connection state) has a meaning there.
    static func refusal(_ command: [[UInt8]]) -> String? {
        let commandName = name(command)
        let why: String
        switch commandName {
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF":
            why = "a blocking command waits on a connection, and a REST request has none"
        case "XREAD" where command.dropFirst().contains(where: { String(decoding: $0, as: UTF8.self).uppercased() == "BLOCK" }),
            "XREADGROUP"
        where command.dropFirst().contains(where: { String(decoding: $0, as: UTF8.self).uppercased() == "BLOCK" }):
            why = "a blocking command waits on a connection, and a REST request has none"
        case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "SYNC", "PSYNC":
            why = "it turns a connection into a stream, and a REST request has no connection"
        case "WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD":
            why =
                "a transaction over REST is one /multi-exec request; WATCH and a MULTI split over requests have no connection to live on"
        case "AUTH", "HELLO", "CLIENT", "SELECT", "QUIT", "RESET", "READONLY", "READWRITE":
            why = "it sets connection state, and each REST request stands alone (PING and ECHO are carried)"
        default:
            return nil
        }
        return "ERR \(commandName) \(notCarried): \(why)"
    }

    /// The words every refusal carries, for telling it from the server's own errors.
    static let notCarried = "is not carried over REST"
}
