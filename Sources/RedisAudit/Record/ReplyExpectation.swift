import RESP

/// The `expect:` a draft writes for a command from its recorded reply, so that it holds when the
/// scenario is replayed on another host with fresh random variables:
///
/// | recorded reply | expect |
/// |---|---|
/// | status | `{ type: status, value: "OK" }` |
/// | integer | `{ integer: n }`; a TTL > 0 `{ integer: { min, max } }` from the TTL the key was given |
/// | bulk | `{ value: "..." }` with the variables, when an earlier command sent that value; else `{ type: bulk }` |
/// | nil, nil array | `{ type: nil }`, `{ type: nil-array }` |
/// | error | `{ error: CLASS }` |
/// | array | `{ set: [...] }` for an unordered reply, `{ array: [...] }` for an ordered one, when every element is known; else `{ type: array }` |
///
/// A reply that depends on what the keys held before the flow (beyond what the replies showed),
/// or on chance, is written as its type when the type cannot change (integer, array) and not at
/// all otherwise. With `--redact-values` only types are written.
struct ReplyExpectation: Sendable {
    /// What the draft knows at the command's point of the replay.
    struct Context: Sendable {
        /// The reply the flow model says the replay will get, when it can say.
        var predicted: RESPValue?
        /// True when the command's keys hold, on the replay, what they held when it was recorded.
        var keysSameAsRecorded: Bool
        /// The TTL the model knows for the command's first key.
        var ttl: TTLFact
        /// Every argument an earlier command of the scenario sends (setup included).
        var written: Set<[UInt8]>
    }

    /// How much of the recorded reply recurs on a replay.
    enum Recurrence: Equatable {
        /// The reply itself.
        case reply
        /// Only its type (an integer or array reply whose value depends on what the flow does not set).
        case type
        /// Nothing to rely on.
        case nothing
    }

    /// Commands on no key whose reply is the same on every server.
    static let keylessButFixed: Set<String> = ["PING", "ECHO"]
    /// Script calls: what a script without keys answers depends on its arguments alone.
    static let scripts: Set<String> = ["EVAL", "EVAL_RO", "EVALSHA", "EVALSHA_RO", "FCALL", "FCALL_RO"]

    /// A TTL read right after the key was given one is at most this many seconds below it.
    static let ttlWindowSeconds: Int64 = 10

    let command: CapturedCommand
    let context: Context
    let inference: ParameterInference

    /// The flow mapping written after `expect:` (`{ integer: 1 }`), or nil for none.
    var text: String? {
        guard let reply = command.reply else { return nil }
        switch recurrence {
        case .nothing: return nil
        case .type:
            switch reply {
            case .integer, .array: return "{ type: \(reply.typeName) }"
            default: return nil
            }
        case .reply:
            return inference.redact ? "{ type: \(reply.typeName) }" : full(reply)
        }
    }

    /// How much of the recorded reply the replay will get again.
    var recurrence: Recurrence {
        guard let reply = command.reply else { return .nothing }
        if spec?.flags.contains(.nondeterministic) == true { return .type }
        // A command on no key answers about the server (CONFIG GET, WAIT, SCRIPT EXISTS), not the flow.
        if FlowState.keys(of: command.arguments).isEmpty, !Self.keylessButFixed.contains(command.name),
            !Self.scripts.contains(command.name)
        {
            return .type
        }
        if let predicted = context.predicted {
            return Self.same(predicted, reply, ttl: isTTLRead) ? .reply : .type
        }
        return context.keysSameAsRecorded ? .reply : .type
    }

    private var spec: CommandSpec? {
        if case .supported(let spec) = CommandTable.lookup(command.arguments.map { String(decoding: $0, as: UTF8.self) }) {
            return spec
        }
        return nil
    }

    private var isTTLRead: Bool { command.name == "TTL" || command.name == "PTTL" }

    /// True when the predicted reply is the recorded one: a TTL counts as the same when both are
    /// positive; an unordered reply as the same elements in any order.
    static func same(_ predicted: RESPValue, _ recorded: RESPValue, ttl: Bool) -> Bool {
        if ttl, let p = predicted.integerValue, let r = recorded.integerValue, p > 0, r > 0 { return true }
        if let p = predicted.errorClass, let r = recorded.errorClass { return p == r }
        if case .array(let p) = predicted, case .array(let r) = recorded, p.count == r.count {
            return p.sorted(by: Self.order) == r.sorted(by: Self.order)
        }
        return predicted == recorded
    }

    private static func order(_ a: RESPValue, _ b: RESPValue) -> Bool {
        a.redisCLIDescription < b.redisCLIDescription
    }

    /// The expectation that gives the whole recorded reply.
    private func full(_ reply: RESPValue) -> String {
        switch reply {
        case .simpleString(let text):
            return "{ type: status, value: \(YAMLText.quoted(ParameterInference.escape(Array(text.utf8)))) }"
        case .error:
            return "{ error: \(YAMLText.quoted(reply.errorClass.flatMap { $0.isEmpty ? nil : $0 } ?? "any")) }"
        case .integer(let n): return integer(n)
        case .bulkString(let bytes):
            guard context.written.contains(bytes) else { return "{ type: bulk }" }
            return "{ value: \(YAMLText.quoted(inference.template(bytes, role: .value))) }"
        case .null: return "{ type: nil }"
        case .nullArray: return "{ type: nil-array }"
        case .array(let elements): return array(elements)
        }
    }

    /// An integer: exact, except a TTL the key has (a range) and a clock reading.
    private func integer(_ n: Int64) -> String {
        let name = command.name
        guard spec?.flags.contains(.ttlReply) == true, n > 0 else { return "{ integer: \(n) }" }
        switch (name, context.ttl) {
        case ("TTL", .milliseconds(let ms)):
            let max = (ms + 500) / 1000
            return "{ integer: { min: \(Swift.max(0, Swift.min(n, max - Self.ttlWindowSeconds))), max: \(max) } }"
        case ("PTTL", .milliseconds(let ms)):
            return "{ integer: { min: \(Swift.max(0, Swift.min(n, ms - Self.ttlWindowSeconds * 1000))), max: \(ms) } }"
        case ("TTL", _), ("PTTL", _), ("EXPIRETIME", _), ("PEXPIRETIME", _):
            // An expiry time depends on the clock: only that there is one recurs.
            return "{ integer: { min: 1 } }"
        default:
            return "{ type: integer }"
        }
    }

    /// An array: its elements when each one is a value an earlier command sent (or an integer),
    /// as a set for an unordered reply, in order for an ordered one.
    private func array(_ elements: [RESPValue]) -> String {
        let flags = spec?.flags ?? []
        guard !flags.contains(.scanReply) else { return "{ type: array }" }
        var items: [String] = []
        for element in elements {
            switch element {
            case .bulkString(let bytes) where context.written.contains(bytes):
                items.append(inference.template(bytes, role: .value))
            case .integer(let n): items.append(String(n))
            default: return "{ type: array }"
            }
        }
        let distinct = Set(items).count == items.count
        // A sorted set orders equal scores by member: a generated member may sort either way.
        let randomNames = inference.variables.compactMap { v -> String? in
            if case .random = v.value { return "${\(v.name)}" }
            return nil
        }
        let tiesMayReorder =
            command.name.hasPrefix("Z") && items.contains { item in randomNames.contains { item.contains($0) } }
        let written = items.map(YAMLText.quoted).joined(separator: ", ")
        if flags.contains(.setReply) || tiesMayReorder {
            return distinct ? "{ set: [\(written)] }" : "{ type: array }"
        }
        return "{ array: [\(written)] }"
    }
}
