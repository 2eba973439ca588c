import Foundation
import Testing

/// The option reference under `docs/reference/` is the binary's own `--help`, so the docs
/// cannot list an option the tool no longer has or miss one it gained (`make reference`).
@Suite("option reference")
struct OptionReferenceTests {
    static let subcommands = ["compare", "inject", "keyspace", "proxy", "baseline", "scenarios", "clean"]

    @Test(arguments: subcommands)
    func theReferenceIsTheHelpText(_ subcommand: String) async throws {
        let file = DocumentationExamplesTests.root.appendingPathComponent("docs/reference/\(subcommand).md")
        let page = try String(contentsOf: file, encoding: .utf8)
        let body = try #require(page.components(separatedBy: "```text\n").dropFirst().first?.components(separatedBy: "```").first)
        let help = try await Fixtures.run([subcommand, "--help"], environment: ["COLUMNS": "100"])
        #expect(help.status == 0)
        #expect(body == help.stdout, "docs/reference/\(subcommand).md is stale: run `make reference`")
    }
}
