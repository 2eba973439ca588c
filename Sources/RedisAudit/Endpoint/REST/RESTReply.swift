import Foundation
import RESP

/// Reading Upstash's JSON responses back into the RESP values a TCP connection would have given.
///
/// With `Upstash-Encoding: base64` every string is base64 except the status `OK`; a status the
/// command always answers with (`TYPE`'s, `PING`'s `PONG`) becomes a status again, since JSON
/// cannot tell one from a string. Integers are JSON numbers, nil is `null`, an error is
/// `{"error": "..."}`.
enum RESTReply {
    /// The JSON document of a response body, nil when it is not JSON.
    static func document(_ body: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    }

    /// `{"result": ...}` or `{"error": "..."}` as the reply to `name`; nil for anything else.
    static func entry(_ json: Any, name: String) -> RESPValue? {
        guard let object = json as? [String: Any] else { return nil }
        if let message = object["error"] as? String { return .error(line(message)) }
        guard let result = object["result"] else { return nil }
        return status(value(result), name: name)
    }

    /// A JSON value as RESP, strings decoded from base64.
    static func value(_ json: Any) -> RESPValue {
        switch json {
        case is NSNull: return .null
        case let text as String:
            if text == "OK" { return .simpleString("OK") }
            if let data = Data(base64Encoded: text) { return .bulkString(Array(data)) }
            return .bulkString(Array(text.utf8))
        case let number as NSNumber:
            // The text keeps every digit of a 64-bit integer, which a double would round.
            let text = number.stringValue
            return Int64(text).map(RESPValue.integer) ?? .bulkString(Array(text.utf8))
        case let array as [Any]: return .array(array.map(value))
        case let object as [String: Any]:
            return .array(object.keys.sorted().flatMap { [RESPValue.bulkString(Array($0.utf8)), value(object[$0]!)] })
        default: return .bulkString(Array("\(json)".utf8))
        }
    }

    /// The commands whose nil is a null array on TCP (JSON has one `null`).
    static let nullArrayCommands: Set<String> = ["XREAD", "XREADGROUP", "LMPOP", "ZMPOP", "EXEC"]

    /// The reply's TCP type where JSON loses it: a status other than `OK`, a null array.
    static func status(_ value: RESPValue, name: String) -> RESPValue {
        if value == .null, nullArrayCommands.contains(name) { return .nullArray }
        guard case .bulkString(let bytes) = value, name == "TYPE" || (name == "PING" && bytes == Array("PONG".utf8)) else {
            return value
        }
        return .simpleString(line(String(decoding: bytes, as: UTF8.self)))
    }

    /// Text made one RESP line: an error or status holding CR or LF would end early on the wire
    /// and be read as more replies than the server sent.
    static func line(_ text: String) -> String {
        guard text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }
}
