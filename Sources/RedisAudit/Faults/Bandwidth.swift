import NIOCore

/// `bandwidth`: the connection carries at most rate KB a second (toxiproxy's bandwidth toxic).
public struct Bandwidth: Fault {
    public static let kind = "bandwidth"
    public static let summary = "from the targeted command on, pass at most rate KB (1000 bytes) a second"
    public static let parameters: KeyValuePairs<String, String> = [
        "rate": "KB a second (required)",
        "direction": "reply (default) or request",
    ]
    public static let untargeted = UntargetedFiring.connectionStart

    /// The rate in KB (1000 bytes) a second.
    public var kilobytesPerSecond: Int
    /// Which bytes are throttled.
    public var direction: StreamDirection

    /// A throttle to `kilobytesPerSecond` in one direction.
    public init(kilobytesPerSecond: Int, direction: StreamDirection = .reply) {
        self.kilobytesPerSecond = kilobytesPerSecond
        self.direction = direction
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        kilobytesPerSecond = try reader.count("rate", in: 1...10_000_000)
        direction = try StreamDirection(parameter: parameters["direction"])
    }

    public func fire(on streams: inout FaultStreams, random: inout FaultRandom) {
        streams.insert(Pacing(bytesPerSecond: kilobytesPerSecond * 1000), on: direction)
    }

    /// The stage: pieces of 10 ms of the rate at most, each spaced by its size over the rate.
    public struct Pacing: StreamStage {
        public static let position = 2
        /// The rate in bytes a second.
        public var bytesPerSecond: Int

        public mutating func pass(_ piece: StreamPiece, into output: inout [StreamPiece]) -> Bool {
            var bytes = piece.bytes
            var extra = piece.spacing
            let most = max(1, bytesPerSecond / 100)
            while bytes.readableBytes > 0 {
                let length = min(bytes.readableBytes, most)
                let spacing = extra + .nanoseconds(Int64(length) * 1_000_000_000 / Int64(bytesPerSecond))
                output.append(StreamPiece(bytes: bytes.readSlice(length: length)!, spacing: spacing))
                extra = .zero
            }
            return false
        }
    }
}
