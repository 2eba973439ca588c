import NIOCore
import Testing
@testable import RedisAudit

@Suite("slicer")
struct SlicerTests {
    @Test func cutsIntoChunksOfTheSizeWithTheDelayBetween() throws {
        let streams = try FaultFiring.streams("slicer:size=4,delay_us=2000")
        let cut = FaultFiring.cut("0123456789", through: streams.replyStages)
        #expect(cut.pieces == ["0123", "4567", "89"])
        #expect(cut.spacings.allSatisfy { $0 == .milliseconds(2) })
    }

    @Test func variationStaysWithinBoundsAndKeepsEveryByte() throws {
        let streams = try FaultFiring.streams("slicer:size=10,variation=3", seed: 42)
        let text = String(repeating: "abcdefghij", count: 50)
        let cut = FaultFiring.cut(text, through: streams.replyStages)
        #expect(cut.pieces.joined() == text)
        #expect(cut.pieces.dropLast().allSatisfy { (7...13).contains($0.count) })
        #expect(Set(cut.pieces.dropLast().map(\.count)).count > 1)
    }

    @Test func withBandwidthEachSliceAlsoWaitsForTheRate() throws {
        let slicer = try FaultFiring.streams("slicer:size=4,delay_us=1000").replyStages
        let cut = FaultFiring.cut("01234567", through: [Bandwidth.Pacing(bytesPerSecond: 1000)] + slicer)
        #expect(cut.pieces == ["0123", "4567"])
        #expect(cut.spacings == [.milliseconds(5), .milliseconds(5)])
    }

    @Test(arguments: ["slicer:delay_us=10", "slicer:size=10,variation=10", "slicer:size=10,delay_us=soon"])
    func badParametersAreRefused(rule: String) {
        #expect(throws: FaultRuleError.self) { try FaultRule.parse(rule) }
    }
}
