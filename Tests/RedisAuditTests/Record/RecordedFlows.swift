import RESP

@testable import RedisAudit

/// The built-in login and refresh flows as a recording proxy captures them, with their replies:
/// what the draft tests import.
enum RecordedFlows {
    static let userId = "user123"
    static let token = "9f2c4e7a1b3d5f6081a2c3e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
    static let newToken = "3e8a1f0c5b7d9e2f4a6c8b0d1e3f5a7c9b2d4f6e8a0c1b3d5e7f9a2c4b6d8e0f"

    /// A command with its reply, in pipeline batch `batch` when given.
    static func command(_ arguments: [String], _ reply: RESPValue?, batch: Int? = nil, line: Int = 1) -> CapturedCommand {
        CapturedCommand(
            time: 1, client: "10.0.0.7:5000", arguments: arguments.map { Array($0.utf8) }, reply: reply,
            location: SourceLocation(file: "capture", line: line), batch: batch)
    }

    static func tokenJSON(_ hash: String) -> String { #"{"userId":"\#(userId)","tokenHash":"\#(hash)"}"# }

    /// Login: one pipeline stores the refresh token and registers it, then TTL.
    static var login: [CapturedCommand] {
        [
            command(["SETEX", "rt:\(userId):\(token)", "604800", tokenJSON(token)], .simpleString("OK"), batch: 1),
            command(["SADD", "sess:\(userId)", token], .integer(1), batch: 1),
            command(["EXPIRE", "sess:\(userId)", "604800"], .integer(1), batch: 1),
            command(["SMEMBERS", "sess:\(userId)"], .array([.bulk(token)]), batch: 1),
            command(["TTL", "rt:\(userId):\(token)"], .integer(604799), batch: 2),
        ]
    }

    /// Refresh: the old token (stored by an earlier login) is read, the new one stored and
    /// registered, the old one deleted and unregistered.
    static var refresh: [CapturedCommand] {
        [
            command(["GET", "rt:\(userId):\(token)"], .bulk(tokenJSON(token))),
            command(["SETEX", "rt:\(userId):\(newToken)", "604800", tokenJSON(newToken)], .simpleString("OK")),
            command(["SADD", "sess:\(userId)", newToken], .integer(1)),
            command(["EXPIRE", "sess:\(userId)", "604800"], .integer(1)),
            command(["DEL", "rt:\(userId):\(token)"], .integer(1)),
            command(["SREM", "sess:\(userId)", token], .integer(1)),
            command(["TTL", "rt:\(userId):\(newToken)"], .integer(604799)),
        ]
    }

    /// A draft of `commands` as one flow.
    static func draft(_ commands: [CapturedCommand], redact: Bool = false) -> ScenarioDraft {
        ScenarioDraft(
            flow: CapturedFlow(client: "10.0.0.7:5000", commands: commands), index: 1,
            scripts: DraftStep.knownScripts(commands), captureFile: "capture", redact: redact)
    }
}
