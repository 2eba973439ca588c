import Foundation
import NIOCore
import RESP
import RedisAudit

/// A parser driven with arbitrary bytes: by a libFuzzer executable in `fuzz/` (under the fuzzer
/// and address sanitizers) and by the corpus replay test (plain build), through the same `run`.
///
/// `run` returns normally for every input a parser handles correctly, an error included; it traps
/// (a precondition) when a parser breaks one of its own promises, such as a frame longer than
/// its input or a chunked read disagreeing with a whole one. The corpus of each target lives in
/// `fuzz/corpus/<rawValue>/`, inputs that once crashed it in `fuzz/regressions/<rawValue>/`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `RESPReader` (hiredis): replies fed whole and in pieces.
    case respReader = "resp-reader"
    /// `RESPFrameScanner`: reply and request framing as the proxy uses it.
    case frameScanner = "frame-scanner"
    /// `ScenarioLoader.parse`, then binding and rendering what parses.
    case scenario
    /// `AuditConfig.parse` (`redisaudit.yaml`).
    case config
    /// `Baseline.parse`, and reading back what `render` writes.
    case baseline
    /// `FaultRule.parse` on each line and `FaultPlan.parse` on the whole input.
    case faultRule = "fault-rule"
    /// `MonitorCapture.parse`, then every flow drafted as a scenario file that must load and,
    /// bound to the recorded values, send exactly the captured bytes.
    case monitorLine = "monitor-line"
    /// `RESTResponse`: an Upstash REST response body (JSON) read as the RESP replies of a call,
    /// which must be one per reply the call stands for and survive the RESP encoding the
    /// transport hands the command handler.
    case restResponse = "rest-response"

    /// The libFuzzer executable in `fuzz/Sources/` that runs this target.
    public var executableName: String {
        switch self {
        case .respReader: return "FuzzRESPReader"
        case .frameScanner: return "FuzzFrameScanner"
        case .scenario: return "FuzzScenario"
        case .config: return "FuzzConfig"
        case .baseline: return "FuzzBaseline"
        case .faultRule: return "FuzzFaultRule"
        case .monitorLine: return "FuzzMonitorLine"
        case .restResponse: return "FuzzRESTResponse"
        }
    }

    /// Feeds `bytes` to the parser and checks what comes out.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .respReader: Self.respReader(bytes)
        case .frameScanner: Self.frameScanner(bytes)
        case .scenario: Self.scenario(Self.text(bytes))
        case .config: _ = try? AuditConfig.parse(yaml: Self.text(bytes), file: "fuzz.yaml", directory: "/fuzz")
        case .baseline: Self.baseline(Self.text(bytes))
        case .faultRule: Self.faultRule(Self.text(bytes))
        case .monitorLine: Self.monitorLine(Self.text(bytes))
        case .restResponse: Self.restResponse(bytes)
        }
    }

    /// `run` on an array, for the replay test.
    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }

    /// Files are read as UTF-8 with invalid sequences replaced, as a lenient reader would.
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    // MARK: REST

    /// The first byte picks the call (1 to 4 commands, a transaction when its high bit is set)
    /// and the status (200 or 400); the rest is the body.
    static func restResponse(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let count = Int(selector & 0x3) + 1
        let transaction = selector & 0x80 != 0
        let names = ["GET", "TYPE", "XREAD", "PING"]
        let commands = (0..<count).map { [Array(names[$0].utf8), Array("k".utf8)] }
        let status: UInt = selector & 0x40 != 0 ? 400 : 200
        guard
            let replies = RESTResponse.replies(
                to: commands, transaction: transaction, status: status, body: Array(bytes.dropFirst()))
        else { return }
        precondition(
            replies.count == count + (transaction ? 2 : 0),
            "\(replies.count) replies for \(count) commands (transaction: \(transaction))")
        for reply in replies where depth(reply) <= RESPFrameDecoder.maximumDepth {
            var buffer = ByteBuffer()
            RESPReplyEncoding.write(reply, into: &buffer)
            let decoded = buffer.withUnsafeReadableBytes { RESPFrameDecoder.value($0) }
            precondition(decoded == reply, "a reply that does not survive the RESP encoding: \(reply.redisCLIDescription)")
        }
    }

    /// How deep a value's arrays nest (0 for a scalar).
    static func depth(_ value: RESPValue) -> Int {
        guard case .array(let elements) = value else { return 0 }
        return 1 + (elements.map(depth).max() ?? 0)
    }

    // MARK: RESP

    /// The replies read from `bytes` fed in pieces of `chunk` bytes (all at once for 0), and
    /// whether reading stopped at a protocol error.
    static func replies(_ bytes: UnsafeRawBufferPointer, chunk: Int) -> (values: [RESPValue], failed: Bool) {
        let reader = RESPReader()
        var values: [RESPValue] = []
        var start = 0
        repeat {
            let end = chunk == 0 ? bytes.count : min(bytes.count, start + chunk)
            reader.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
            do {
                while let value = try reader.next() { values.append(value) }
            } catch {
                _ = error.description
                return (values, true)
            }
        } while start < bytes.count
        _ = reader.hasPartialReply
        _ = reader.unparsedPrefix
        return (values, false)
    }

    static func respReader(_ bytes: UnsafeRawBufferPointer) {
        let whole = replies(bytes, chunk: 0)
        for value in whole.values { _ = value.redisCLIDescription }
        // The first byte picks the piece size, so the fuzzer explores where replies are cut.
        let chunk = bytes.isEmpty ? 1 : Int(bytes[0] % 7) + 1
        let pieces = replies(bytes, chunk: chunk)
        precondition(
            pieces.values == whole.values && pieces.failed == whole.failed,
            "RESPReader read \(pieces.values.count) replies (failed: \(pieces.failed)) in pieces of \(chunk) bytes, \(whole.values.count) (failed: \(whole.failed)) at once"
        )
    }

    static func frameScanner(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            guard let length = try? RESPFrameScanner.replyLength(rest) else { break }
            precondition(length > 0 && length <= rest.count, "reply frame of \(length) bytes in \(rest.count)")
            // A recording decodes every reply frame the scanner passed; shallow ones always decode.
            let decoded = RESPFrameDecoder.value(UnsafeRawBufferPointer(rebasing: rest[..<length]))
            precondition(
                decoded != nil || Self.nesting(rest[..<length]) > RESPFrameDecoder.maximumDepth,
                "a reply frame that does not decode")
            offset += length
        }
        offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            guard let frame = try? RESPFrameScanner.request(rest) else { break }
            precondition(
                frame.length > 0 && frame.length <= rest.count, "request frame of \(frame.length) bytes in \(rest.count)")
            precondition(frame.argumentCount >= 0, "request frame with \(frame.argumentCount) arguments")
            if rest[0] == UInt8(ascii: "*") {
                // A recording decodes the requests the scanner passed into their arguments.
                let arguments = RESPFrameDecoder.arguments(UnsafeRawBufferPointer(rebasing: rest[..<frame.length]))
                precondition(
                    arguments?.count == frame.argumentCount,
                    "a request frame that decodes to \(arguments?.count ?? -1) arguments, not \(frame.argumentCount)")
            }
            offset += frame.length
        }
    }

    /// An upper bound of a frame's nesting: aggregate type bytes at the start of a line.
    static func nesting(_ bytes: Slice<UnsafeRawBufferPointer>) -> Int {
        var count = 0
        var lineStart = true
        for byte in bytes {
            if lineStart,
                [UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|")].contains(byte)
            {
                count += 1
            }
            lineStart = byte == UInt8(ascii: "\n")
        }
        return count
    }

    // MARK: YAML files

    /// The longest text binding may produce; literals may nest references (`b: ${a}${a}`), so
    /// binding is skipped when the lengths could add up to more.
    static let bindingLimit = 1 << 20

    static func scenario(_ yaml: String) {
        guard let scenario = try? ScenarioLoader.parse(yaml: yaml, file: "fuzz.yaml") else { return }
        _ = scenario.singleClient
        _ = scenario.isConcurrent
        // An upper bound of each variable's length: every `${` may bring in the longest so far.
        var longest = 0
        for variable in scenario.variables {
            switch variable.value {
            case .literal(let text):
                let references = text.utf8.count - text.replacingOccurrences(of: "${", with: "$").utf8.count
                let bound = text.utf8.count + references * longest
                guard bound <= bindingLimit else { return }
                longest = max(longest, bound)
            case .random(_, let length):
                longest = max(longest, length, RandomValue.uuidLength)
            }
        }
        // The library's seeded SplitMix64: the same random values on every replay of an input.
        var generator = FaultRandom(seed: 1)
        guard let bindings = try? scenario.bind(using: &generator) else { return }
        for step in scenario.steps {
            if case .concurrent(let block) = step.kind { _ = try? block.clientCount(bindings) }
            for command in step.commands {
                _ = try? command.render(bindings)
                _ = try? command.expect?.value?.render(bindings)
            }
        }
        for invariant in scenario.invariants {
            switch invariant.check {
            case .value(let key, let min, let max):
                _ = try? key.render(bindings)
                _ = try? min?.value(bindings)
                _ = try? max?.value(bindings)
            case .tally(_, let min, let max):
                _ = try? min?.value(bindings)
                _ = try? max?.value(bindings)
            default: break
            }
        }
    }

    static func baseline(_ yaml: String) {
        guard let baseline = try? Baseline.parse(yaml: yaml, file: "fuzz.yaml") else { return }
        let rendered = baseline.render()
        do {
            let reread = try Baseline.parse(yaml: rendered, file: "rendered.yaml")
            precondition(
                reread.entries.map(\.id) == baseline.entries.map(\.id),
                "a rendered baseline reads back with other entries:\n\(rendered)")
        } catch {
            preconditionFailure("a rendered baseline does not read back (\(error)):\n\(rendered)")
        }
    }

    static func faultRule(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let rule = try? FaultRule.parse(String(line)) { _ = rule.description }
        }
        if let rules = try? FaultPlan.parse(yaml: text, file: "fuzz.yaml") {
            _ = FaultCounters(rules: rules)
        }
    }

    // MARK: Captures

    static func monitorLine(_ text: String) {
        guard let commands = try? MonitorCapture.parse(text, file: "fuzz.txt") else { return }
        let scripts = DraftStep.knownScripts(commands)
        for (index, flow) in CapturedFlow.split(commands).enumerated() {
            for redact in [false, true] {
                let draft = ScenarioDraft(flow: flow, index: index + 1, scripts: scripts, captureFile: "fuzz.txt", redact: redact)
                guard draft.hasSteps else { continue }
                let scenario: Scenario
                do {
                    scenario = try ScenarioLoader.parse(yaml: draft.yaml, file: "draft.yaml")
                } catch {
                    preconditionFailure("a drafted scenario does not load (\(error)):\n\(draft.yaml)")
                }
                guard !redact else { continue }
                let recorded = Dictionary(uniqueKeysWithValues: draft.inference.variables.map { ($0.name, $0.recorded) })
                guard let bindings = try? scenario.bind(overrides: recorded),
                    let sent = try? scenario.steps.flatMap(\.commands).map({ try $0.render(bindings).arguments })
                else { preconditionFailure("a drafted scenario does not bind and render:\n\(draft.yaml)") }
                let captured = draft.steps.flatMap { step -> [[[UInt8]]] in
                    if case .script(let body, let keys, let args, _) = step {
                        return [[Array("EVAL".utf8), body, Array(String(keys.count).utf8)] + keys + args]
                    }
                    if case .comment = step { return [] }
                    return step.commands.map(\.arguments)
                }
                precondition(sent == captured, "a drafted scenario sends other bytes than captured:\n\(draft.yaml)")
            }
        }
    }
}
