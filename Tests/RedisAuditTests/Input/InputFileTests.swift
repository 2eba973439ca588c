import Foundation
import Testing
@testable import RedisAudit

@Suite("Input files")
struct InputFileTests {
    private func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redisaudit-input-\(UUID().uuidString.prefix(8)).yaml"
        ).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("text that is not UTF-8 is named by the offset of its first bad byte")
    func invalidUTF8() throws {
        let path = try file(Array("name: caf".utf8) + [0xC3, 0x28] + Array("\nsteps: []\n".utf8))
        #expect(throws: InputError.self) { try ScenarioLoader.load(contentsOf: path) }
        do {
            _ = try ScenarioLoader.load(contentsOf: path)
        } catch {
            #expect(error.description == "\(path): invalid UTF-8 at byte 9")
        }
        #expect(InputFile.firstInvalidUTF8(Data("héllo".utf8)) == nil)
        #expect(InputFile.firstInvalidUTF8(Data([0x61, 0xFF])) == 1)
        #expect(InputFile.firstInvalidUTF8(Data([0x61, 0xE2, 0x82])) == 1)
    }

    @Test("a file past --max-file-bytes is refused by its size, before it is read")
    func tooLarge() throws {
        let path = try file(Array(repeating: UInt8(ascii: "#"), count: 200))
        do {
            _ = try AuditConfig.load(contentsOf: path, limits: InputLimits(maxFileBytes: 100))
            Issue.record("a 200-byte file loaded under a 100-byte limit")
        } catch {
            #expect(error.description == "\(path): the file is 200 bytes, more than --max-file-bytes (100)")
        }
    }

    @Test("a device that never ends is read no further than the limit")
    func endlessDevice() throws {
        let run = measured {
            loadError { () throws(InputError) in
                _ = try ScenarioLoader.load(contentsOf: "/dev/zero", limits: InputLimits(maxFileBytes: 1 << 20))
            }
        }
        #expect(run.result?.description == "/dev/zero: the file has more than 1048576 bytes (--max-file-bytes)")
        #expect(run.seconds < 5)
    }
}
