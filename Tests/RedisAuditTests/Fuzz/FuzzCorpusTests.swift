import Foundation
import FuzzTargets
import Testing

/// Replays every seed and every input that once crashed a parser (fuzz/corpus and
/// fuzz/regressions) through the fuzz targets' entry points, so `make test` keeps them fixed
/// without the fuzzer.
@Suite struct FuzzCorpusTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fuzz")

    /// The files of `fuzz/<kind>/<target>/`, sorted; none when the directory does not exist.
    static func inputs(_ kind: String, _ target: FuzzTarget) throws -> [URL] {
        let directory = fuzz.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusAndRegressionInputRuns(target: FuzzTarget) throws {
        let seeds = try Self.inputs("corpus", target)
        #expect(seeds.count >= 10, "fuzz/corpus/\(target.rawValue) holds \(seeds.count) seeds")
        for file in seeds + (try Self.inputs("regressions", target)) {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    @Test func eachCorpusDirectoryIsATarget() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.fuzz.appendingPathComponent("corpus").path)
        #expect(Set(directories) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }

    @Test func eachTargetHasAFuzzerExecutable() throws {
        let manifest = try String(contentsOf: Self.fuzz.appendingPathComponent("Package.swift"), encoding: .utf8)
        let sources = Self.fuzz.appendingPathComponent("Sources")
        for target in FuzzTarget.allCases {
            let name = target.executableName
            #expect(manifest.contains("\"\(name)\""), "fuzz/Package.swift lacks \(name)")
            let main = try String(contentsOf: sources.appendingPathComponent("\(name)/\(name).swift"), encoding: .utf8)
            #expect(main.contains("runFuzzer(.\(target))"), "\(name).swift runs another target")
        }
    }

    /// Forty variables, each twice the one before, would bind to a terabyte of text: the
    /// scenario target parses it and skips binding instead of running out of memory.
    @Test func scenarioBindingStaysBounded() throws {
        var yaml = "name: doubling\nvars:\n  v0: ab\n"
        for index in 1...40 { yaml += "  v\(index): \"${v\(index - 1)}${v\(index - 1)}\"\n" }
        yaml += "steps:\n  - command: [SET, k, \"${v40}\"]\n"
        let clock = ContinuousClock()
        let elapsed = clock.measure { FuzzTarget.scenario.run(Array(yaml.utf8)) }
        #expect(elapsed < .seconds(5))
    }
}
