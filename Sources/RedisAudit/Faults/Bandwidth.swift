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

    public func effect(random: inout FaultRandom) -> FaultEffect {
        .stream(.bandwidth(bytesPerSecond: kilobytesPerSecond * 1000, direction: direction))
    }
}
