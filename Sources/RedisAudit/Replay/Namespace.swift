import Foundation
import RESP

/// The key prefix that confines one run to its own keys: every key a scenario touches is
/// sent as `redisaudit:<runID>:{<tag>}:<key>`, so a run never reads or overwrites the
/// application's data, and its keys are easy to find and delete afterwards.
///
/// The tag is a hash tag chosen to land in the original key's cluster slot (see `HashSlot`):
/// every namespaced key keeps its slot on every host and in every run, so keys that shared a
/// slot still do, keys that did not still do not, and findings are the same from run to run.
public struct Namespace: Hashable, Sendable {
    /// Identifies the run: lowercase letters, digits, `-`, `_` or `.`.
    public let runID: String
    /// `redisaudit:<runID>:`, what every key of the namespace starts with (its slot tag follows).
    public let prefix: String

    /// The text every prefix starts with.
    public static let root = "redisaudit:"

    /// A namespace for a given run ID; nil if the ID is empty, longer than 64 characters, or
    /// contains anything but ASCII letters, digits, `-`, `_` and `.` (no braces, glob or
    /// separator characters).
    public init?(runID: String) {
        guard !runID.isEmpty, runID.utf8.count <= 64,
            runID.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == 0x2D || b == 0x5F || b == 0x2E
            })
        else { return nil }
        self.runID = runID
        self.prefix = Namespace.root + runID + ":"
        prefixBytes = Array(prefix.utf8)
    }

    private let prefixBytes: [UInt8]

    /// A fresh namespace: the run ID is 8 hex digits of the current time in seconds
    /// followed by 4 random hex digits (12 lowercase hex characters), so runs sort by start time.
    public static func generate() -> Namespace {
        var generator = SystemRandomNumberGenerator()
        return generate(seconds: UInt64(max(0, Date().timeIntervalSince1970)), using: &generator)
    }

    /// `generate()` with a given clock value and random source.
    public static func generate(seconds: UInt64, using generator: inout some RandomNumberGenerator) -> Namespace {
        let time = String(UInt32(truncatingIfNeeded: seconds), radix: 16)
        let padded = String(repeating: "0", count: 8 - time.count) + time
        let runID = padded + RandomValue.hex(count: 4, using: &generator)
        guard let namespace = Namespace(runID: runID) else {
            preconditionFailure("generated run ID \(runID) is not valid")
        }
        return namespace
    }

    /// The namespace of one part of a generated run: `<run>-<part>`, the only form run
    /// namespaces take, so `clean` and leftover detection can match them exactly.
    public init?(run: String, part: String) {
        guard Namespace.isRunID(run), !part.isEmpty, part.utf8.allSatisfy(Namespace.isPartByte) else { return nil }
        self.init(runID: run + "-" + part)
    }

    // MARK: Run namespaces

    /// The SCAN glob that finds every generated run namespace's keys (and a few others, which
    /// `runNamespace(ofKey:)` then sets aside): `redisaudit:` and 12 hex digits and `-`.
    public static let runKeysGlob: [UInt8] = Array((root + String(repeating: "[0-9a-f]", count: 12) + "-*").utf8)

    /// True for a generated run id: exactly 12 lowercase hex digits.
    public static func isRunID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// True for a run namespace id: a run id, `-`, and lowercase letters and digits.
    public static func isNamespaceID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 && isRunID(String(parts[0])) && !parts[1].isEmpty && parts[1].utf8.allSatisfy(isPartByte)
    }

    /// The namespace id of a key in a run namespace (`redisaudit:<run>-<part>:...`), or nil
    /// when the key is anything else, such as an application's own `redisaudit:config`.
    public static func runNamespace(ofKey key: [UInt8]) -> String? {
        let rootBytes = root.utf8
        guard key.starts(with: rootBytes) else { return nil }
        let rest = key[(key.startIndex + rootBytes.count)...]
        guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let id = String(decoding: rest[..<colon], as: UTF8.self)
        return isNamespaceID(id) ? id : nil
    }

    private static func isPartByte(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) }

    // MARK: Keys

    /// `{tag}:` after the prefix: 2 braces, the tag and the colon.
    private static let tagPartLength = HashSlot.tagLength + 3

    /// The key as sent: the prefix, the hash tag of the key's slot, and the original key.
    public func namespaced(_ key: [UInt8]) -> [UInt8] {
        var out = prefixBytes
        out.reserveCapacity(prefixBytes.count + Self.tagPartLength + key.count)
        out.append(UInt8(ascii: "{"))
        out += HashSlot.tag(for: HashSlot.of(key))
        out += [UInt8(ascii: "}"), UInt8(ascii: ":")]
        return out + key
    }

    /// `namespaced(_:)` for text.
    public func namespaced(_ key: String) -> String { String(decoding: namespaced(Array(key.utf8)), as: UTF8.self) }

    /// A KEYS or SCAN MATCH glob as sent: the prefix, any tag, and the original glob.
    func namespacedPattern(_ pattern: [UInt8]) -> [UInt8] {
        prefixBytes + Array(("{" + String(repeating: "?", count: HashSlot.tagLength) + "}:").utf8) + pattern
    }

    /// The original key: the key without the prefix and its tag, or the key unchanged if it has none.
    public func strip(_ key: [UInt8]) -> [UInt8] {
        guard key.starts(with: prefixBytes) else { return key }
        return Array(key[(prefixBytes.count + Self.tagLength(in: key[prefixBytes.count...]))...])
    }

    /// The length of the `{tag}:` that starts `rest`, or 0 when it does not start with one.
    private static func tagLength(in rest: ArraySlice<UInt8>) -> Int {
        guard rest.count >= tagPartLength else { return 0 }
        let start = rest.startIndex
        guard rest[start] == UInt8(ascii: "{"), rest[start + HashSlot.tagLength + 1] == UInt8(ascii: "}"),
            rest[start + HashSlot.tagLength + 2] == UInt8(ascii: ":")
        else { return 0 }
        return tagPartLength
    }

    /// A reply with every occurrence of the prefix (and its tag) removed from its strings,
    /// recursively, so reports show `rt:user123:...` rather than the namespaced key.
    public func strip(_ value: RESPValue) -> RESPValue {
        switch value {
        case .bulkString(let bytes): return .bulkString(removingPrefix(from: bytes))
        case .simpleString(let text): return .simpleString(removingPrefix(from: text))
        case .error(let text): return .error(removingPrefix(from: text))
        case .array(let elements): return .array(elements.map(strip))
        case .integer, .null, .nullArray: return value
        }
    }

    private func removingPrefix(from text: String) -> String {
        guard text.contains(prefix) else { return text }
        return String(decoding: removingPrefix(from: Array(text.utf8)), as: UTF8.self)
    }

    private func removingPrefix(from bytes: [UInt8]) -> [UInt8] {
        let p = prefixBytes
        guard bytes.count >= p.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == p[0], i + p.count <= bytes.count, bytes[i..<(i + p.count)].elementsEqual(p) {
                i += p.count
                i += Self.tagLength(in: bytes[i...])
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    // MARK: Commands

    /// Rewrites a command so that every key (and the glob of KEYS and SCAN MATCH) carries the
    /// prefix. Throws for commands redisaudit does not send (see `CommandTable`).
    public func rewrite(_ command: RESPCommand) throws(CommandRefusal) -> NamespacedCommand {
        let strings = command.arguments.map { String(decoding: $0, as: UTF8.self) }
        let spec = try CommandTable.check(strings: strings)
        return rewrite(command, spec: spec, positions: try CommandTable.keyPositions(of: spec, in: strings))
    }

    /// `rewrite(_:)` for the commands of a catalog: the table's, and those learned from the
    /// endpoints (whose keys may be located by asking an endpoint).
    public func rewrite(_ command: RESPCommand, catalog: CommandCatalog) async throws(CommandRefusal) -> NamespacedCommand {
        let strings = command.arguments.map { String(decoding: $0, as: UTF8.self) }
        let (spec, positions) = try await catalog.locate(strings)
        return rewrite(command, spec: spec, positions: positions)
    }

    /// The command with the arguments at `positions` prefixed.
    private func rewrite(_ command: RESPCommand, spec: CommandSpec, positions: [Int]) -> NamespacedCommand {
        var arguments = command.arguments
        var keys: [[UInt8]] = []
        for position in positions {
            switch spec.keys {
            case .pattern, .scanMatch:
                arguments[position] = namespacedPattern(arguments[position])
            default:
                arguments[position] = namespaced(arguments[position])
                keys.append(arguments[position])
            }
        }
        return NamespacedCommand(command: RESPCommand(arguments: arguments), keys: keys, spec: spec)
    }
}

/// A command rewritten into a run's namespace.
public struct NamespacedCommand: Hashable, Sendable {
    /// The command as sent: keys and key patterns prefixed.
    public var command: RESPCommand
    /// The namespaced keys it touches, in argument order (patterns are not keys and are not listed).
    public var keys: [[UInt8]]
    /// What the command table (or, for a learned command, its endpoint) says about the command.
    public var spec: CommandSpec

    public init(command: RESPCommand, keys: [[UInt8]], spec: CommandSpec) {
        self.command = command
        self.keys = keys
        self.spec = spec
    }
}
