import Foundation
import Testing

/// Runs `body` and returns how long it took.
func measured<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
    let start = DispatchTime.now()
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
}

/// Validates `yaml` with the binary in a process of its own and expects it refused (exit 2)
/// with `message`, the process's own peak memory below `limit` bytes.
func expectRefusedInOwnProcess(
    _ yaml: String, message: String, limit: Int = 64 << 20, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let path = try Fixtures.scenarioFile(yaml)
    let run = try await Fixtures.runMeasured(["scenarios", "validate", path])
    #expect(run.status == 2, sourceLocation: sourceLocation)
    #expect(run.stderr.contains(message), "\(run.stderr)", sourceLocation: sourceLocation)
    #expect((run.peakResidentBytes ?? .max) < limit, "peak \(run.peakResidentBytes ?? -1) bytes", sourceLocation: sourceLocation)
}
