import Foundation

/// Reads a `redis-cli MONITOR` capture file into the commands applications sent: the `OK` that
/// starts it is skipped, and a script's own commands (`[0 lua]`) are dropped, since replaying
/// the script runs them again.
public enum MonitorCapture {
    /// Largest capture read, in bytes, unless `--max-capture-bytes` says otherwise.
    public static let defaultMaxBytes = 256 << 20

    /// The commands of the capture at `path`, in file order.
    public static func read(_ path: String, maxBytes: Int = defaultMaxBytes) throws(InputError) -> [CapturedCommand] {
        let whole = SourceLocation(file: path, line: 0)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw InputError("cannot read the capture: \(reason)", at: whole)
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw InputError("cannot read the capture: \(error.localizedDescription)", at: whole)
        }
        guard data.count <= maxBytes else {
            throw InputError("the capture has more than \(maxBytes) bytes (--max-capture-bytes)", at: whole)
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// The commands of a capture's text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(InputError) -> [CapturedCommand] {
        var commands: [CapturedCommand] = []
        var sawLine = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " }) { continue }
            defer { sawLine = true }
            // redis-cli prints MONITOR's own reply first.
            if !sawLine && line == "OK" { continue }
            let location = SourceLocation(file: file, line: index + 1)
            let parsed = try MonitorLine.parse(line, at: location)
            if parsed.isScriptCommand { continue }
            commands.append(
                CapturedCommand(
                    time: parsed.time, client: parsed.client, arguments: withoutCredentials(parsed.arguments),
                    location: location))
        }
        return commands
    }

    /// The arguments with any credentials left out: `AUTH`'s, and `HELLO`'s from its `AUTH` on
    /// (Redis 6 and later show them as `(redacted)`; older servers show them as sent).
    static func withoutCredentials(_ arguments: [[UInt8]]) -> [[UInt8]] {
        let name = String(decoding: arguments.first ?? [], as: UTF8.self).uppercased()
        switch name {
        case "AUTH":
            return Array(arguments.prefix(1))
        case "HELLO":
            let auth = arguments.firstIndex { String(decoding: $0, as: UTF8.self).uppercased() == "AUTH" }
            return auth.map { Array(arguments[..<$0]) } ?? arguments
        default:
            return arguments
        }
    }
}
