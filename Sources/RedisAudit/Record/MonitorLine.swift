/// One line of `redis-cli MONITOR` output: when the server ran a command, for which client, with
/// which arguments.
///
/// ```
///   1733494200.123456 [0 127.0.0.1:54321] "SET" "rt:user123" "{\"a\":1}"
///   ├───────────────┘  │ ├─────────────┘  ├────────────────────────────┘
///   seconds.micros     db client          arguments, each as Redis's sdscatrepr quotes it
/// ```
///
/// The server writes each argument between double quotes, with `\\` `\"` `\n` `\r` `\t` `\a`
/// `\b` and `\xHH` for every other byte that is not printable ASCII. A script's own commands
/// come from the client `lua`, a Unix socket's from `unix:PATH`.
public struct MonitorLine: Hashable, Sendable {
    /// Seconds since the epoch, as the server's clock had it.
    public var time: Double
    /// The database the command ran in.
    public var database: Int
    /// The client's address (`127.0.0.1:54321`, `[::1]:6000`, `unix:/tmp/redis.sock`), or `lua`.
    public var client: String
    /// The command's name and arguments, as the bytes the client sent.
    public var arguments: [[UInt8]]

    public init(time: Double, database: Int, client: String, arguments: [[UInt8]]) {
        self.time = time
        self.database = database
        self.client = client
        self.arguments = arguments
    }

    /// True for a command a Lua script ran (`[0 lua]`): replaying the script runs it again.
    public var isScriptCommand: Bool { client == "lua" }

    /// Reads one line (without its line break); `location` names it in errors.
    public static func parse(_ line: Substring, at location: SourceLocation) throws(InputError) -> MonitorLine {
        let bytes = Array(line.utf8)
        var i = 0
        func fail(_ what: String) -> InputError {
            InputError(
                "not a MONITOR line (\(what)): expected `SECONDS.MICROS [DB CLIENT] \"ARG\" ...`", at: location)
        }
        // Timestamp.
        let timeStart = i
        while i < bytes.count, bytes[i] == 0x2E || (0x30...0x39).contains(bytes[i]) { i += 1 }
        guard i > timeStart, let time = Double(String(decoding: bytes[timeStart..<i], as: UTF8.self)) else {
            throw fail("no timestamp")
        }
        guard i + 1 < bytes.count, bytes[i] == 0x20, bytes[i + 1] == 0x5B else {
            throw fail("no [DB CLIENT] after the timestamp")
        }
        i += 2
        // Database.
        let dbStart = i
        while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        guard i > dbStart, i - dbStart <= 9, i < bytes.count, bytes[i] == 0x20,
            let database = Int(String(decoding: bytes[dbStart..<i], as: UTF8.self))
        else { throw fail("no database number") }
        i += 1
        // Client: up to the `] "` that starts the arguments (an IPv6 address has its own brackets).
        let clientStart = i
        while i + 2 < bytes.count, !(bytes[i] == 0x5D && bytes[i + 1] == 0x20 && bytes[i + 2] == 0x22) { i += 1 }
        guard i + 2 < bytes.count, i > clientStart else { throw fail("no client or no arguments") }
        // Redis writes an address or a socket path there: a control character is not one, and
        // would end up in the scenario file's comments, where YAML refuses it.
        guard !bytes[clientStart..<i].contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw fail("a control character in the client address")
        }
        let client = String(decoding: bytes[clientStart..<i], as: UTF8.self)
        i += 2
        // Arguments.
        var arguments: [[UInt8]] = []
        while i < bytes.count {
            guard bytes[i] == 0x22 else { throw fail("argument \(arguments.count + 1) does not start with a double quote") }
            i += 1
            var argument: [UInt8] = []
            var closed = false
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x22 {
                    closed = true
                    i += 1
                    break
                }
                if b == 0x5C {
                    guard i + 1 < bytes.count else { break }
                    let e = bytes[i + 1]
                    switch e {
                    case 0x5C, 0x22: argument.append(e)
                    case 0x6E: argument.append(0x0A)  // n
                    case 0x72: argument.append(0x0D)  // r
                    case 0x74: argument.append(0x09)  // t
                    case 0x61: argument.append(0x07)  // a
                    case 0x62: argument.append(0x08)  // b
                    case 0x78:  // xHH
                        guard i + 3 < bytes.count, let high = hexValue(bytes[i + 2]), let low = hexValue(bytes[i + 3]) else {
                            throw fail("bad \\x escape in argument \(arguments.count + 1)")
                        }
                        argument.append(high << 4 | low)
                        i += 2
                    default:
                        throw fail("unknown escape \\\(Character(UnicodeScalar(e))) in argument \(arguments.count + 1)")
                    }
                    i += 2
                    continue
                }
                guard b >= 0x20, b < 0x7F else {
                    throw fail("a raw byte 0x\(String(b, radix: 16)) in argument \(arguments.count + 1)")
                }
                argument.append(b)
                i += 1
            }
            guard closed else { throw fail("argument \(arguments.count + 1) has no closing quote") }
            arguments.append(argument)
            if i < bytes.count {
                guard bytes[i] == 0x20, i + 1 < bytes.count else { throw fail("text after argument \(arguments.count)") }
                i += 1
            }
        }
        guard !arguments.isEmpty else { throw fail("no command") }
        return MonitorLine(time: time, database: database, client: client, arguments: arguments)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        case 0x41...0x46: return b - 0x41 + 10
        default: return nil
        }
    }
}
