import NIOCore
import Testing
@testable import RedisAudit

@Suite("stream toxics: how bytes are cut and spaced")
struct StreamShapingTests {
    @Test func withoutToxicsNothingIsCut() {
        var shaping = StreamShaping()
        #expect(!shaping.isActive)
        let cut = shaping.cut(ByteBuffer(string: "hello"))
        #expect(cut.pieces.map { String(buffer: $0.bytes) } == ["hello"])
        #expect(!cut.limitReached)
    }

    @Test func slicerCutsIntoChunksOfTheSizeWithTheDelayBetween() {
        var shaping = StreamShaping()
        shaping.add(.slicer(size: 4, variation: 0, delay: .milliseconds(2), seed: 1, direction: .reply))
        let cut = shaping.cut(ByteBuffer(string: "0123456789"))
        #expect(cut.pieces.map { String(buffer: $0.bytes) } == ["0123", "4567", "89"])
        #expect(cut.pieces.allSatisfy { $0.spacing == .milliseconds(2) })
    }

    @Test func slicerVariationStaysWithinBoundsAndKeepsEveryByte() {
        var shaping = StreamShaping()
        shaping.add(.slicer(size: 10, variation: 3, delay: .zero, seed: 42, direction: .reply))
        let text = String(repeating: "abcdefghij", count: 50)
        let cut = shaping.cut(ByteBuffer(string: text))
        #expect(cut.pieces.map { String(buffer: $0.bytes) }.joined() == text)
        #expect(cut.pieces.dropLast().allSatisfy { (7...13).contains($0.bytes.readableBytes) })
        #expect(Set(cut.pieces.dropLast().map(\.bytes.readableBytes)).count > 1)
    }

    @Test func bandwidthSpacesPiecesBySizeOverRate() {
        var shaping = StreamShaping()
        shaping.add(.bandwidth(bytesPerSecond: 1000, direction: .reply))
        let cut = shaping.cut(ByteBuffer(repeating: 0, count: 25))
        // 10 ms of a 1000 B/s stream: 10-byte pieces, 10 ms apart.
        #expect(cut.pieces.map(\.bytes.readableBytes) == [10, 10, 5])
        #expect(cut.pieces.map(\.spacing) == [.milliseconds(10), .milliseconds(10), .milliseconds(5)])
    }

    @Test func limitDataLetsExactlyTheLimitThroughThenSaysSo() {
        var shaping = StreamShaping()
        shaping.add(.limitData(bytes: 7, direction: .request))
        let first = shaping.cut(ByteBuffer(string: "abcd"))
        #expect(first.pieces.map { String(buffer: $0.bytes) } == ["abcd"] && !first.limitReached)
        let second = shaping.cut(ByteBuffer(string: "efghij"))
        #expect(second.pieces.map { String(buffer: $0.bytes) } == ["efg"] && second.limitReached)
    }
}
