import Foundation

/// The scenarios shipped with redisaudit (`Scenarios/*.yaml` in the source tree).
///
/// They are found without the source tree, in this order:
/// 1. the directory in `$REDISAUDIT_SCENARIOS`, if set and it exists;
/// 2. `<directory of the running executable>/../share/redisaudit/scenarios` (what `make install`
///    creates), for the executable's path as run and with symbolic links resolved;
/// 3. the package's `Scenarios/` directory (development builds run from the source tree).
public enum BuiltinScenarios {
    /// The environment variable naming the scenario directory.
    public static let environmentVariable = "REDISAUDIT_SCENARIOS"

    /// File extensions of scenario files.
    static let extensions = ["yaml", "yml"]

    /// The directory the built-in scenarios are read from, or nil if none is found.
    public static func directory() -> String? {
        candidateDirectories(
            environment: ProcessInfo.processInfo.environment,
            executable: Bundle.main.executableURL
        ).first(where: isDirectory)
    }

    /// Where to look, in order (not checked for existence).
    static func candidateDirectories(environment: [String: String], executable: URL?) -> [String] {
        var candidates: [String] = []
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        if let executable {
            for binary in [executable, executable.resolvingSymlinksInPath()] {
                let share = binary.deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("share/redisaudit/scenarios").standardizedFileURL.path
                if !candidates.contains(share) { candidates.append(share) }
            }
        }
        candidates.append(sourceTreeDirectory)
        return candidates
    }

    /// `Scenarios/` in the package this file was compiled from.
    static var sourceTreeDirectory: String {
        // Sources/RedisAudit/Scenario/BuiltinScenarios.swift -> package root
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scenarios").path
    }

    /// The built-in scenarios' names (their file names without extension), sorted.
    public static var names: [String] {
        guard let directory = directory() else { return [] }
        return files(in: directory).map(\.name)
    }

    /// Every built-in scenario, sorted by name.
    public static func all() throws(InputError) -> [Scenario] {
        guard let directory = directory() else { return [] }
        var scenarios: [Scenario] = []
        for file in files(in: directory) {
            scenarios.append(try ScenarioLoader.load(contentsOf: file.path))
        }
        return scenarios
    }

    /// The built-in scenario with this name, or nil if there is none.
    public static func named(_ name: String) throws(InputError) -> Scenario? {
        guard !name.isEmpty, !name.contains("/"), let directory = directory(),
            let file = files(in: directory).first(where: { $0.name == name })
        else { return nil }
        return try ScenarioLoader.load(contentsOf: file.path)
    }

    /// True when the scenario was loaded from the built-in scenarios' directory.
    public static func contains(_ scenario: Scenario) -> Bool {
        guard let directory = directory() else { return false }
        let folder = URL(fileURLWithPath: scenario.file).deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath()
        return folder == URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath()
    }

    /// Scenario files in a directory as (name, path), sorted by name.
    static func files(in directory: String) -> [(name: String, path: String)] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return entries.compactMap { entry -> (name: String, path: String)? in
            let url = URL(fileURLWithPath: directory).appendingPathComponent(entry)
            guard extensions.contains(url.pathExtension), !entry.hasPrefix(".") else { return nil }
            return (url.deletingPathExtension().lastPathComponent, url.path)
        }.sorted { $0.name < $1.name }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
