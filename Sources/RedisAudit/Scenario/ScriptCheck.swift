/// One token of a Lua script, as the script check sees it: comments are gone, strings are decoded.
struct LuaToken: Hashable, Sendable {
    /// What kind of token it is.
    enum Kind: Hashable, Sendable {
        case name
        case string
        case number
        case symbol
    }

    var kind: Kind
    /// A name or symbol as written, a number as written, a string's decoded value.
    var text: String
    /// 1-based line in the script.
    var line: Int
}

/// Splits Lua 5.1 source into tokens: names, numbers, strings (quoted or long-bracketed, escapes
/// decoded) and symbols; comments (`--`, `--[[ ]]`, `--[==[ ]==]`) are dropped.
///
/// It reads only what the script check needs and refuses what it cannot read for certain
/// (an unterminated string or comment, an escape sequence Lua 5.1 does not define).
enum LuaTokenizer {
    /// The tokens of `source`; throws a message with its line when the source cannot be read.
    static func tokens(_ source: String) throws(ScriptCheck.Problem) -> [LuaToken] {
        let bytes = Array(source.utf8)
        var tokens: [LuaToken] = []
        var i = 0
        var line = 1
        func at(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                i += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                i += 1
            case UInt8(ascii: "-") where at(1) == UInt8(ascii: "-"):
                i += 2
                if let level = longBracketLevel(bytes, at: i) {
                    let start = line
                    guard let (_, end, lines) = longBracket(bytes, at: i, level: level) else {
                        throw ScriptCheck.Problem(line: start, message: "unterminated long comment")
                    }
                    line += lines
                    i = end
                } else {
                    while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
                }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let (text, end) = try quoted(bytes, at: i, line: &line)
                tokens.append(LuaToken(kind: .string, text: text, line: line))
                i = end
            case UInt8(ascii: "[") where longBracketLevel(bytes, at: i) != nil:
                let start = line
                guard let (text, end, lines) = longBracket(bytes, at: i, level: longBracketLevel(bytes, at: i)!) else {
                    throw ScriptCheck.Problem(line: start, message: "unterminated long string")
                }
                tokens.append(LuaToken(kind: .string, text: text, line: start))
                line += lines
                i = end
            default:
                if isNameStart(byte) {
                    let start = i
                    while i < bytes.count, isNameStart(bytes[i]) || isDigit(bytes[i]) { i += 1 }
                    tokens.append(LuaToken(kind: .name, text: String(decoding: bytes[start..<i], as: UTF8.self), line: line))
                } else if isDigit(byte) || (byte == UInt8(ascii: ".") && at(1).map(isDigit) == true) {
                    let start = i
                    while i < bytes.count {
                        let c = bytes[i]
                        if isNameStart(c) || isDigit(c) || c == UInt8(ascii: ".") {
                            i += 1
                        } else if (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")),
                            [UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[i - 1]),
                            !bytes[start..<i].contains(where: { $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") })
                        {
                            i += 1
                        } else {
                            break
                        }
                    }
                    tokens.append(LuaToken(kind: .number, text: String(decoding: bytes[start..<i], as: UTF8.self), line: line))
                } else {
                    var length = 1
                    if byte == UInt8(ascii: "."), at(1) == UInt8(ascii: ".") { length = at(2) == UInt8(ascii: ".") ? 3 : 2 }
                    if [UInt8(ascii: "="), UInt8(ascii: "~"), UInt8(ascii: "<"), UInt8(ascii: ">")].contains(byte),
                        at(1) == UInt8(ascii: "=")
                    {
                        length = 2
                    }
                    tokens.append(
                        LuaToken(kind: .symbol, text: String(decoding: bytes[i..<(i + length)], as: UTF8.self), line: line))
                    i += length
                }
            }
        }
        return tokens
    }

    private static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// The level of a long bracket opening at `i` (`[[` is 0, `[==[` is 2), or nil.
    private static func longBracketLevel(_ bytes: [UInt8], at i: Int) -> Int? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
        var j = i + 1
        while j < bytes.count, bytes[j] == UInt8(ascii: "=") { j += 1 }
        return j < bytes.count && bytes[j] == UInt8(ascii: "[") ? j - i - 1 : nil
    }

    /// The content of the long bracket opening at `i`, the index after it and the newlines it spans.
    private static func longBracket(_ bytes: [UInt8], at i: Int, level: Int) -> (String, Int, Int)? {
        var j = i + level + 2
        // A newline right after the opening bracket is not part of the string.
        if j < bytes.count, bytes[j] == UInt8(ascii: "\r") { j += 1 }
        if j < bytes.count, bytes[j] == UInt8(ascii: "\n") { j += 1 }
        let start = j
        var lines = bytes[i..<start].filter { $0 == UInt8(ascii: "\n") }.count
        while j < bytes.count {
            if bytes[j] == UInt8(ascii: "]") {
                var k = j + 1
                while k < bytes.count, bytes[k] == UInt8(ascii: "=") { k += 1 }
                if k - j - 1 == level, k < bytes.count, bytes[k] == UInt8(ascii: "]") {
                    return (String(decoding: bytes[start..<j], as: UTF8.self), k + 1, lines)
                }
            }
            if bytes[j] == UInt8(ascii: "\n") { lines += 1 }
            j += 1
        }
        return nil
    }

    /// A quoted string starting at `i`, decoded, and the index after its closing quote.
    private static func quoted(_ bytes: [UInt8], at i: Int, line: inout Int) throws(ScriptCheck.Problem) -> (String, Int) {
        let quote = bytes[i]
        var out: [UInt8] = []
        var j = i + 1
        while j < bytes.count {
            let c = bytes[j]
            if c == quote { return (String(decoding: out, as: UTF8.self), j + 1) }
            if c == UInt8(ascii: "\n") { break }
            if c == UInt8(ascii: "\\") {
                guard j + 1 < bytes.count else { break }
                let e = bytes[j + 1]
                j += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "a"): out.append(0x07)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(e)
                case UInt8(ascii: "\n"):
                    out.append(0x0A)
                    line += 1
                case let d where isDigit(d):
                    var value = Int(d - 0x30)
                    var n = 1
                    while n < 3, j < bytes.count, isDigit(bytes[j]) {
                        value = value * 10 + Int(bytes[j] - 0x30)
                        j += 1
                        n += 1
                    }
                    guard value <= 255 else {
                        throw ScriptCheck.Problem(line: line, message: "escape sequence \\\(value) is too large")
                    }
                    out.append(UInt8(value))
                default:
                    throw ScriptCheck.Problem(
                        line: line, message: "escape sequence \\\(Character(Unicode.Scalar(e))) the check cannot read")
                }
                continue
            }
            out.append(c)
            j += 1
        }
        throw ScriptCheck.Problem(line: line, message: "unterminated string")
    }
}

/// The static check of a script that runs where the server cannot confine it (an endpoint that
/// refuses `ACL SETUSER`): every `redis.call`/`redis.pcall` (`server.*` too) must name a literal
/// command the run may send, and every key argument must be an element of `KEYS`.
///
/// ```
///   body ─▶ LuaTokenizer ─▶ redis.call( 'NAME', arg, ... ) ─▶ CommandTable: refused? keys at?
///        ─▶ each key argument is KEYS[...] ─▶ passes, or the first problem with its line
/// ```
///
/// It is conservative: whatever it cannot prove (a command name in a variable, a key built from
/// `ARGV`, `redis.call` passed around as a value, a script sent by SHA1) is a problem.
public enum ScriptCheck {
    /// Why a script does not pass, with the line in the script.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// 1-based line in the script body.
        public var line: Int
        public var message: String

        public var description: String { "script line \(line): \(message)" }
    }

    /// The commands that run a script.
    public static let scriptCommands: Set<String> = ["EVAL", "EVAL_RO", "EVALSHA", "EVALSHA_RO", "FCALL", "FCALL_RO"]

    /// Commands a script may not call even with keys from `KEYS`: they reach every key of the server.
    static let keyspaceWide: Set<String> = ["KEYS", "SCAN", "DBSIZE", "RANDOMKEY"]

    /// The `redis.*` members that are no command call (`redis.status_reply`, `redis.log`, ...).
    static let harmlessMembers: Set<String> = [
        "status_reply", "error_reply", "log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "sha1hex",
        "setresp", "set_repl", "replicate_commands", "REPL_ALL", "REPL_AOF", "REPL_REPLICA", "REPL_SLAVE", "REPL_NONE",
        "breakpoint", "debug", "acl_check_cmd", "REDIS_VERSION", "REDIS_VERSION_NUM", "SERVER_VERSION",
        "SERVER_VERSION_NUM", "SERVER_NAME",
    ]

    /// Globals through which a script can reach `redis.call` without naming it.
    static let indirections: Set<String> = [
        "_G", "getfenv", "setfenv", "loadstring", "load", "dofile", "loadfile", "rawget", "rawset", "require",
    ]

    /// The first problem of a script body, or nil when it passes.
    public static func problem(in body: String) -> Problem? {
        let tokens: [LuaToken]
        do {
            tokens = try LuaTokenizer.tokens(body)
        } catch {
            return error
        }
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            defer { i += 1 }
            guard token.kind == .name else { continue }
            let isMember = i > 0 && tokens[i - 1].kind == .symbol && [".", ":"].contains(tokens[i - 1].text)
            if isMember { continue }
            if indirections.contains(token.text) {
                return Problem(
                    line: token.line, message: "uses \(token.text), through which a script can call commands the check cannot see"
                )
            }
            guard token.text == "redis" || token.text == "server" else { continue }
            let object = token.text
            guard i + 2 < tokens.count, tokens[i + 1].kind == .symbol, tokens[i + 1].text == ".", tokens[i + 2].kind == .name
            else {
                return Problem(
                    line: token.line, message: "uses `\(object)` other than as \(object).call(...): the check cannot follow it")
            }
            let member = tokens[i + 2].text
            if harmlessMembers.contains(member) { continue }
            guard member == "call" || member == "pcall" else {
                return Problem(line: token.line, message: "\(object).\(member) is not something the check knows")
            }
            guard i + 3 < tokens.count, tokens[i + 3].kind == .symbol, tokens[i + 3].text == "(" else {
                return Problem(
                    line: token.line,
                    message: "\(object).\(member) is not called with (...) here: the check cannot follow where it goes")
            }
            let (arguments, end) = split(tokens, openingAt: i + 3)
            guard let end else { return Problem(line: token.line, message: "\(object).\(member)( is not closed") }
            if let problem = check(call: "\(object).\(member)", arguments: arguments, line: token.line) { return problem }
            i = end
        }
        return nil
    }

    /// The problem of one command template that runs a script, as a scenario error at its line;
    /// nil for a command that runs no script, or a script that passes.
    public static func problem(of command: CommandTemplate) -> InputError? {
        guard let first = command.arguments.first else { return nil }
        if first.raw.contains("${") {
            return InputError(
                "the command name comes from a variable, so the script check cannot tell whether it runs a script",
                at: command.location)
        }
        let name = first.raw.uppercased()
        guard scriptCommands.contains(name) else { return nil }
        switch name {
        case "EVAL", "EVAL_RO":
            guard command.arguments.count > 1 else { return nil }
            let body = command.arguments[1].raw
            if body.contains("${") {
                return InputError(
                    "the script body is built from variables, so the script check cannot read it beforehand",
                    at: command.location)
            }
            return problem(in: body).map { InputError("script refused by the static check: \($0)", at: command.location) }
        default:
            return InputError(
                "\(name) runs a script the check cannot read (only its SHA1 or function name is sent)", at: command.location)
        }
    }

    /// Every command of the scenarios that runs a script, with its problem (nil: it passes).
    public static func verdicts(_ scenario: Scenario) -> [(command: CommandTemplate, problem: InputError?)] {
        scenario.steps.flatMap(\.commands).compactMap { command in
            guard let first = command.arguments.first,
                scriptCommands.contains(first.raw.uppercased()) || first.raw.contains("${")
            else { return nil }
            return (command, problem(of: command))
        }
    }

    /// Throws the first problem of any script of the scenarios.
    public static func check(_ scenarios: [Scenario]) throws(InputError) {
        for scenario in scenarios {
            for command in scenario.steps.flatMap(\.commands) {
                if let problem = problem(of: command) { throw problem }
            }
        }
    }

    /// The arguments of a call whose `(` is at `open`, split at top-level commas, and the index
    /// of the closing `)` (nil when it is never closed).
    private static func split(_ tokens: [LuaToken], openingAt open: Int) -> ([[LuaToken]], Int?) {
        var arguments: [[LuaToken]] = []
        var current: [LuaToken] = []
        var depth = 0
        var i = open + 1
        while i < tokens.count {
            let token = tokens[i]
            if token.kind == .symbol {
                switch token.text {
                case "(", "[", "{": depth += 1
                case ")", "]", "}":
                    if depth == 0 {
                        if !current.isEmpty || !arguments.isEmpty { arguments.append(current) }
                        return (arguments, token.text == ")" ? i : nil)
                    }
                    depth -= 1
                case "," where depth == 0:
                    arguments.append(current)
                    current = []
                    i += 1
                    continue
                default: break
                }
            }
            current.append(token)
            i += 1
        }
        return (arguments, nil)
    }

    /// The problem of one `redis.call(...)`, or nil.
    private static func check(call: String, arguments: [[LuaToken]], line: Int) -> Problem? {
        func refuse(_ message: String) -> Problem { Problem(line: line, message: "\(call)(...): \(message)") }
        guard let first = arguments.first else { return refuse("no command") }
        guard first.count == 1, first[0].kind == .string, !first[0].text.isEmpty else {
            return refuse("the command name is not a string literal, so the check cannot tell what it runs")
        }
        if arguments.contains(where: { $0.contains { $0.kind == .name && $0.text == "function" } }) {
            return refuse("a function defined inside the arguments is more than the check can follow")
        }
        // Literal arguments by value; anything else is a placeholder that matches no keyword.
        let placeholder = "\u{1}expression"
        let strings = arguments.map { argument -> String in
            guard argument.count == 1, argument[0].kind == .string || argument[0].kind == .number else { return placeholder }
            return argument[0].text
        }
        let name = first[0].text.uppercased()
        let spec: CommandSpec
        switch CommandTable.lookup(strings) {
        case .refused(let reason): return refuse(reason)
        case .unknown: return refuse("unknown command \(name): the check cannot locate its keys")
        case .supported(let s): spec = s
        }
        if keyspaceWide.contains(spec.name) || scriptCommands.contains(spec.name) {
            return refuse("\(spec.name) is refused in a script: it reaches keys outside the run's namespace")
        }
        // A call or `...` in last place may stand for any number of values: where the keys are then
        // depends on how many there are for keys counted from the end (DEL, MSET) or after STREAMS.
        if let last = arguments.last, arguments.count > 1, expands(last), Self.keysDependOnCount(spec.keys) {
            return refuse(
                "the last argument (\(text(last))) may expand to several values, so the check cannot tell where the keys are")
        }
        let positions: [Int]
        do {
            positions = try CommandTable.keyPositions(of: spec, in: strings)
        } catch {
            return refuse("the check cannot locate the keys of \(spec.name): \(error.message)")
        }
        if !spec.forbiddenOptions.isEmpty {
            for (index, argument) in strings.enumerated().dropFirst(spec.nameWords) where !positions.contains(index) {
                if spec.forbiddenOptions.contains(argument.uppercased()) {
                    return refuse("\(spec.name) with \(argument.uppercased()) reaches outside the run's namespace")
                }
                if argument == placeholder {
                    return refuse(
                        "argument \(index) of \(spec.name) (\(text(arguments[index]))) is not a literal, and \(spec.name) "
                            + "has options that reach outside the run's namespace")
                }
            }
        }
        for position in positions where !isKeysElement(arguments[position]) {
            return refuse(
                "key argument \(position) of \(spec.name) is \(text(arguments[position])), not KEYS[...]: "
                    + "the check cannot prove it is in the run's namespace")
        }
        return nil
    }

    /// True when which arguments are keys depends on how many arguments there are.
    private static func keysDependOnCount(_ keys: KeySpec) -> Bool {
        switch keys {
        case .range(_, let last, _): return last < 0
        case .streams, .scanMatch: return true
        case .none, .numkeys, .pattern: return false
        }
    }

    /// True for an argument that is exactly `KEYS[<index>]`.
    private static func isKeysElement(_ argument: [LuaToken]) -> Bool {
        guard argument.count >= 4, argument[0].kind == .name, argument[0].text == "KEYS",
            argument[1].kind == .symbol, argument[1].text == "[", argument.last?.text == "]"
        else { return false }
        // The `[` after KEYS must close at the very end: `KEYS[1]..x[2]` is not one element.
        var depth = 0
        for (index, token) in argument.enumerated().dropFirst() where token.kind == .symbol {
            switch token.text {
            case "(", "[", "{": depth += 1
            case ")", "]", "}":
                depth -= 1
                if depth == 0 { return index == argument.count - 1 }
            default: break
            }
        }
        return false
    }

    /// True when an argument in last place may stand for several values (`f(x)`, `...`).
    private static func expands(_ argument: [LuaToken]) -> Bool {
        guard let last = argument.last else { return false }
        return (last.kind == .symbol && (last.text == ")" || last.text == "..."))
            || (last.kind == .string && argument.count > 1 && argument[argument.count - 2].kind == .name)
            || (last.kind == .symbol && last.text == "}" && argument.count > 1)
    }

    /// An argument as the message quotes it.
    private static func text(_ argument: [LuaToken]) -> String {
        argument.map { $0.kind == .string ? "'\($0.text)'" : $0.text }.joined(separator: " ")
    }
}
