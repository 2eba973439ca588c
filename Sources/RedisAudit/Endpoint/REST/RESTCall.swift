import RESP

/// One HTTP request of Upstash's REST API, made from a batch of RESP commands the way the SDKs
/// make them: a command is `POST /` with a JSON array, several are `/pipeline`, `MULTI` ... `EXEC`
/// is `/multi-exec`.
struct RESTCall: Sendable {
    /// What the request carries.
    enum Kind: Sendable {
        /// One command: `POST /`, or path style when an argument is not UTF-8 text.
        case command([UInt8])
        /// Commands run in order, not atomically: `/pipeline`.
        case pipeline([[UInt8]])
        /// Commands run atomically: `/multi-exec`; the RESP side saw `MULTI`, the commands and `EXEC`.
        case transaction([[UInt8]])
    }

    var kind: Kind
    /// Each command's arguments (the transaction's without `MULTI` and `EXEC`).
    var commands: [[[UInt8]]]
    /// The upper-cased command names, to give status replies back their type.
    var names: [String]

    /// How many RESP replies the call stands for (`MULTI` and `EXEC` included).
    var replyCount: Int {
        if case .transaction = kind { return commands.count + 2 }
        return commands.count
    }

    /// The request's path.
    var path: String {
        switch kind {
        case .command: return pathStyle ? Self.pathStyle(commands[0]) : "/"
        case .pipeline: return "/pipeline"
        case .transaction: return "/multi-exec"
        }
    }

    /// True when an argument is not UTF-8 text, which a JSON string cannot hold: the command is
    /// then sent path style, each argument but the last percent-encoded in the path and the last as
    /// the raw body (both byte for byte).
    var pathStyle: Bool {
        guard case .command = kind else { return false }
        return commands[0].contains { String(validating: $0, as: UTF8.self) == nil }
    }

    /// The request body.
    var body: [UInt8] {
        switch kind {
        case .command:
            if pathStyle { return commands[0].count > 1 ? commands[0][commands[0].count - 1] : [] }
            return Self.jsonArray(commands[0])
        case .pipeline, .transaction:
            var body: [UInt8] = [UInt8(ascii: "[")]
            for (index, command) in commands.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body += Self.jsonArray(command)
            }
            body.append(UInt8(ascii: "]"))
            return body
        }
    }

    /// `/NAME/arg/...` with every argument but the last percent-encoded byte for byte.
    static func pathStyle(_ arguments: [[UInt8]]) -> String {
        let inPath = arguments.count > 1 ? arguments.dropLast() : arguments[...]
        return "/" + inPath.map(percentEncoded).joined(separator: "/")
    }

    /// Every byte but the URL's unreserved characters as `%XX`.
    static func percentEncoded(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                text += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return text
    }

    /// `["SET","k","v"]`: every argument a JSON string (valid UTF-8 is assumed; `pathStyle` covers the rest).
    static func jsonArray(_ arguments: [[UInt8]]) -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (index, argument) in arguments.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONString.append(argument, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        return json
    }
}

/// Writing JSON strings byte for byte, without going through Foundation's encoder on the hot path.
public enum JSONString {
    /// Appends `bytes` (UTF-8 text) as a JSON string literal: quotes, backslashes and control
    /// characters escaped, everything else as it is.
    public static func append(_ bytes: some Sequence<UInt8>, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): json += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): json += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): json += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): json += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): json += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                json += Array("\\u00".utf8)
                json.append(hexDigit(byte >> 4))
                json.append(hexDigit(byte & 0xF))
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
