import Foundation
import Testing
@testable import RedisAudit

/// Every YAML example in the documentation and every scenario file parses with the reader the
/// tool uses for that kind of file, so the docs cannot drift from the format.
@Suite("documentation examples parse")
struct DocumentationExamplesTests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A fenced YAML block: where it is, and its text.
    struct Example: CustomStringConvertible {
        var file: String
        var line: Int
        var text: String
        var description: String { "\(file):\(line)" }
    }

    /// The ```yaml blocks of the Markdown files under the root, `docs/` and `Scenarios/`.
    static func examples() throws -> [Example] {
        let directories = ["", "docs", "Scenarios", "examples/ci"]
        var found: [Example] = []
        for directory in directories {
            let folder = root.appendingPathComponent(directory)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".md") }.sorted()
            for name in names {
                let path = directory.isEmpty ? name : directory + "/" + name
                let lines = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                    .split(separator: "\n", omittingEmptySubsequences: false)
                var open: (line: Int, text: [Substring])?
                for (index, line) in lines.enumerated() {
                    if open == nil, line.trimmingCharacters(in: .whitespaces) == "```yaml" {
                        open = (index + 2, [])
                    } else if let block = open, line.trimmingCharacters(in: .whitespaces) == "```" {
                        found.append(Example(file: path, line: block.line, text: block.text.joined(separator: "\n") + "\n"))
                        open = nil
                    } else if open != nil {
                        open?.text.append(line)
                    }
                }
            }
        }
        return found
    }

    /// The kind of file an example shows, from its top-level keys.
    enum Kind { case scenario, config, baseline, faultPlan }

    static func kind(of text: String) -> Kind {
        let keys = Set(
            text.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.hasPrefix("#") && $0.contains(":") }
                .map { String($0.prefix { $0 != ":" }) })
        if keys.contains("accepted") { return .baseline }
        if keys.contains("faults") && !keys.contains("steps") { return .faultPlan }
        if !keys.isDisjoint(with: ["endpoints", "fail-on", "outputs", "compare", "inject", "keyspace", "limits"]) {
            return .config
        }
        return .scenario
    }

    @Test func theDocumentationHasExamplesOfEveryKind() throws {
        let kinds = try Self.examples().map { Self.kind(of: $0.text) }
        #expect(kinds.contains(.scenario) && kinds.contains(.config) && kinds.contains(.baseline) && kinds.contains(.faultPlan))
    }

    @Test func everyYAMLExampleInTheDocumentationParses() throws {
        for example in try Self.examples() {
            do {
                switch Self.kind(of: example.text) {
                case .scenario:
                    // A fragment that shows only some sections gets the name every scenario needs.
                    let text =
                        example.text.contains("\nname:") || example.text.hasPrefix("name:")
                        ? example.text : "name: example\n" + example.text
                    _ = try ScenarioLoader.parse(yaml: text, file: example.description)
                case .config:
                    _ = try AuditConfig.parse(yaml: example.text, file: example.description, directory: Self.root.path)
                case .baseline:
                    _ = try Baseline.parse(yaml: example.text, file: example.description)
                case .faultPlan:
                    _ = try FaultPlan.parse(yaml: example.text, file: example.description)
                }
            } catch {
                Issue.record("\(example): \(error)")
            }
        }
    }

    @Test func everyScenarioFileParses() throws {
        let folder = Self.root.appendingPathComponent("Scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files.sorted() {
            #expect(throws: Never.self, "\(file)") {
                try ScenarioLoader.load(contentsOf: folder.appendingPathComponent(file).path)
            }
        }
    }
}
