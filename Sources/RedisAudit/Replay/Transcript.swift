import Foundation
import RESP

/// MONITOR-style lines for reports: `> EXPIRE sess:user123 604800 NX` then each side's reply.
enum Transcript {
    /// A command line as redis-cli would echo it, long arguments shortened.
    static func command(_ arguments: [[UInt8]]) -> String {
        "> " + arguments.map(argument).joined(separator: " ")
    }

    static func argument(_ bytes: [UInt8]) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        let needsQuotes =
            text.isEmpty || text.contains { $0 == " " || $0 == "\"" || $0 == "\n" || $0 == "\t" }
            || String(decoding: bytes, as: UTF8.self).utf8.count != bytes.count
        if text.count > 60 {
            text = String(text.prefix(57)) + "..."
        }
        if needsQuotes {
            text =
                "\""
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
        }
        return text
    }

    /// `A: (integer) 1`, multi-line replies indented under the role.
    static func reply(_ role: String, _ outcome: CommandOutcome) -> [String] {
        let lines = reply(outcome)
        return ["\(role): \(lines[0])"] + lines.dropFirst().map { "   \($0)" }
    }

    /// A reply as redis-cli prints it (at least one line, 12 at most and a count of the rest).
    static func reply(_ outcome: CommandOutcome) -> [String] {
        switch outcome {
        case .failed(let failure):
            return ["(no reply) \(failure)"]
        case .reply(let value):
            let lines = value.redisCLIDescription.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard !lines.isEmpty else { return [""] }
            return lines.count > 12 ? Array(lines.prefix(12)) + ["... (\(lines.count - 12) more lines)"] : lines
        }
    }

    /// Where a command sits in its scenario: `step 2 (pipeline), command 3: EXPIRE (login.yaml:14)`.
    static func location(step: StepRecord, record: CommandRecord?) -> String {
        var text = "step \(step.index + 1) (\(step.step.kindName)"
        if let label = step.step.label { text += " \"\(label)\"" }
        text += ")"
        if let record {
            switch step.step.kind {
            case .pipeline, .transaction:
                if let position = record.position {
                    text += ", command \(position + 1): \(record.name)"
                } else {
                    text += ", \(record.name)"
                }
            default:
                text += ": \(record.name)"
            }
            text += " (\(shortLocation(record.template?.location ?? step.step.location)))"
        } else {
            text += " (\(shortLocation(step.step.location)))"
        }
        return text
    }

    /// `login.yaml:12`: the file's name and line, the same wherever the file lives.
    static func shortLocation(_ location: SourceLocation) -> String {
        "\(URL(fileURLWithPath: location.file).lastPathComponent):\(location.line)"
    }
}
