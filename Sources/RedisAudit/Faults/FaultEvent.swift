import Foundation
import NIOCore
import RESP

/// One firing of a rule on one command (or as a connection opened): when, on which client
/// connection, which rule, the command's name and first key, and what the client got.
///
/// It names the command and its first key only: never another argument (values may be
/// secrets), and no key at all for AUTH and HELLO.
///
///     2026-12-06T17:58:01.123Z conn 3 (127.0.0.1:51234) SET "user:1" hit drop:SET:nth=2,reply=+OK: the command never reached the server; the client got +OK
public struct FaultEvent: Sendable, Hashable, CustomStringConvertible {
    /// When the rule fired.
    public var time: Date
    /// The client connection it fired on.
    public var client: ProxyClient
    /// The rule as written.
    public var rule: String
    /// The rule's position in the configuration (0: the first).
    public var ruleIndex: Int
    /// The command's name, upper-cased; nil when the rule fired as the connection opened.
    public var command: String?
    /// The command's first key, as sent; nil when it has none, or is AUTH or HELLO.
    public var key: [UInt8]?
    /// What the rule did to the connection, as the client sees it.
    public var effects: [FaultEffect]

    public init(
        time: Date, client: ProxyClient, rule: String, ruleIndex: Int, command: String?, key: [UInt8]?,
        effects: [FaultEffect]
    ) {
        self.time = time
        self.client = client
        self.rule = rule
        self.ruleIndex = ruleIndex
        self.command = command
        self.key = key
        self.effects = effects
    }

    /// What was hit: `SET "user:1"`, `PING`, or `the connection's start`.
    public var target: String {
        guard let command else { return "the connection's start" }
        guard let key else { return command }
        return command + " " + RESPValue.bulkString(key).redisCLIDescription
    }

    /// The line the proxy prints for it (time in UTC, with milliseconds).
    public var description: String {
        let what = effects.isEmpty ? "no change the client can see" : effects.map(\.description).joined(separator: "; ")
        return "\(Self.timestamp(time)) \(client) \(target) hit \(rule): \(what)"
    }

    /// ISO 8601 in UTC with milliseconds: `2026-12-06T17:58:01.123Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}

/// What one firing did, as the client sees it.
public enum FaultEffect: Sendable, Hashable, CustomStringConvertible {
    /// The connection closed (`reset`: with a TCP RST) before the command reached the server.
    case closedBeforeCommand(reset: Bool)
    /// The command ran; the connection closed (`reset`: with a TCP RST) before its reply reached the client.
    case closedBeforeReply(reset: Bool)
    /// The command never reached the server; the client got this reply, or none.
    case answered(RESPValue?)
    /// Every connection of the proxy closed; new ones are refused this long.
    case serverRestarted(TimeAmount)
    /// The command was held this long on its way to the server.
    case requestDelayed(TimeAmount)
    /// The reply was held this long on its way to the client.
    case replyDelayed(TimeAmount)
    /// From now on the bytes of one direction pass through the stage of this fault kind.
    case streamShaped(kind: String, StreamDirection)
    /// From now on nothing passes either way; the connections close after this long, or never.
    case silenced(closingAfter: TimeAmount?)
    /// From now on a close of either side reaches the other this much later.
    case closeDelayed(TimeAmount)

    public var description: String {
        switch self {
        case .closedBeforeCommand(let reset):
            return "connection \(reset ? "reset" : "closed") before the command reached the server"
        case .closedBeforeReply(let reset):
            return "the command ran; connection \(reset ? "reset" : "closed") before the client got its reply"
        case .answered(let reply?) where reply.isError:
            return "the command never reached the server; the client got error \(Self.shortForm(reply))"
        case .answered(let reply?):
            return "the command never reached the server; the client got \(Self.shortForm(reply))"
        case .answered(nil):
            return "the command never reached the server; the client got no reply"
        case .serverRestarted(let duration):
            return "server restart: every connection closed, new ones refused for \(Self.milliseconds(duration))"
        case .requestDelayed(let duration):
            return "command delayed \(Self.milliseconds(duration)) on its way to the server"
        case .replyDelayed(let duration):
            return "reply delayed \(Self.milliseconds(duration))"
        case .streamShaped(let kind, let direction):
            return "\(direction == .request ? "requests" : "replies") pass through \(kind) from now on"
        case .silenced(let duration?):
            return "nothing passes either way any more; the connections close in \(Self.milliseconds(duration))"
        case .silenced(nil):
            return "nothing passes either way any more; the connections stay open"
        case .closeDelayed(let duration):
            return "a close reaches the other side \(Self.milliseconds(duration)) late from now on"
        }
    }

    /// A reply as a rule writes it: `+OK`, `-ERR lost`, `:1`, `nil`; others as redis-cli shows them.
    static func shortForm(_ reply: RESPValue) -> String {
        switch reply {
        case .simpleString(let text): return "+" + text
        case .error(let message): return "-" + message
        case .integer(let number): return ":" + String(number)
        case .null: return "nil"
        default: return reply.redisCLIDescription.replacingOccurrences(of: "\n", with: " ")
        }
    }

    static func milliseconds(_ duration: TimeAmount) -> String {
        "\(duration.nanoseconds / 1_000_000) ms"
    }

    /// What a fault's asks did to `streams`, seen by comparing them with how they were before.
    static func changes(from before: FaultStreams, to after: FaultStreams, kind: String) -> [FaultEffect] {
        var effects: [FaultEffect] = []
        if after.fate != before.fate {
            switch after.fate {
            case .forward: break
            case .killBefore(let reset): effects.append(.closedBeforeCommand(reset: reset))
            case .killAfter(let reset): effects.append(.closedBeforeReply(reset: reset))
            case .answer(let reply): effects.append(.answered(reply))
            case .restartServer(let duration): effects.append(.serverRestarted(duration))
            }
        }
        if after.requestDelay != before.requestDelay {
            effects.append(.requestDelayed(after.requestDelay - before.requestDelay))
        }
        if after.replyDelay != before.replyDelay {
            effects.append(.replyDelayed(after.replyDelay - before.replyDelay))
        }
        if after.requestStages.count != before.requestStages.count { effects.append(.streamShaped(kind: kind, .request)) }
        if after.replyStages.count != before.replyStages.count { effects.append(.streamShaped(kind: kind, .reply)) }
        if let silence = after.silence, silence != before.silence {
            switch silence {
            case .untilClosed: effects.append(.silenced(closingAfter: nil))
            case .closingAfter(let duration): effects.append(.silenced(closingAfter: duration))
            }
        }
        if let slowClose = after.slowClose, slowClose != before.slowClose { effects.append(.closeDelayed(slowClose)) }
        return effects
    }
}
