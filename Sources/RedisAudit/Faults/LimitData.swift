/// `limit-data`: the connection closes once a number of bytes has passed (toxiproxy's limit_data toxic).
public struct LimitData: Fault {
    public static let kind = "limit-data"
    public static let summary = "from the targeted command on, close both connections once bytes bytes have passed"
    public static let parameters: KeyValuePairs<String, String> = [
        "bytes": "how many bytes pass before the close (required)",
        "direction": "reply (default) or request",
    ]
    public static let untargeted = UntargetedFiring.connectionStart

    /// How many bytes pass.
    public var bytes: Int
    /// Which bytes are counted.
    public var direction: StreamDirection

    /// A close after `bytes` bytes in one direction.
    public init(bytes: Int, direction: StreamDirection = .reply) {
        self.bytes = bytes
        self.direction = direction
    }

    public init(parameters: [String: String]) throws(FaultRuleError) {
        let reader = FaultParameterReader(kind: Self.kind, values: parameters)
        bytes = try reader.count("bytes", in: 0...Int(Int32.max))
        direction = try StreamDirection(parameter: parameters["direction"])
    }

    public func effect(random: inout FaultRandom) -> FaultEffect {
        .stream(.limitData(bytes: bytes, direction: direction))
    }
}
