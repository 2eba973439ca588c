import NIOCore
import RESP

/// One kind of fault: how a command it targets is disturbed.
///
/// To add a kind: a struct in its own file in `Faults/` conforming to `Fault`, and a line in
/// `FaultRule.kinds`. Targeting (command name, `nth`, `scope`, `probability`, `seed`) is common
/// to every kind and handled by `FaultTarget`; a kind only reads its own parameters and says
/// what happens to one targeted command.
public protocol Fault: Sendable {
    /// The rule's first word, e.g. `kill-after`.
    static var kind: String { get }
    /// One line for docs/proxy.md and error messages.
    static var summary: String { get }
    /// The kind's own parameters, with what they mean.
    static var parameters: KeyValuePairs<String, String> { get }
    /// Builds the fault from its own parameters (targeting ones already removed).
    init(parameters: [String: String]) throws(FaultRuleError)
    /// What happens to one targeted command.
    func effect(random: inout FaultRandom) -> FaultEffect
    /// When a rule of this kind that names no command, `nth` or probability fires.
    static var untargeted: UntargetedFiring { get }
}

extension Fault {
    public static var untargeted: UntargetedFiring { .everyCommand }
}

/// When a rule that targets nothing in particular fires.
public enum UntargetedFiring: Sendable, Hashable {
    /// On every command.
    case everyCommand
    /// Once per connection, as it opens (a toxic on the whole stream).
    case connectionStart
    /// Once in the run, on its first command.
    case firstCommandOfRun
}

/// Which way bytes flow, for the faults that act on the byte stream.
public enum StreamDirection: String, Sendable, Hashable {
    /// From the server to the client (toxiproxy's downstream).
    case reply
    /// From the client to the server (toxiproxy's upstream).
    case request

    /// Reads `direction=` (default `reply`).
    init(parameter: String?) throws(FaultRuleError) {
        guard let parameter else {
            self = .reply
            return
        }
        guard let direction = StreamDirection(rawValue: parameter) else {
            throw FaultRuleError("direction must be reply or request (got '\(parameter)')")
        }
        self = direction
    }
}

/// A change to a connection's byte stream that lasts from the moment it fires (toxiproxy's toxics).
public enum StreamToxic: Sendable, Hashable {
    /// At most this many bytes a second.
    case bandwidth(bytesPerSecond: Int, direction: StreamDirection)
    /// Chunks of about `size` bytes (± `variation`), `delay` apart; `seed` drives the sizes.
    case slicer(size: Int, variation: Int, delay: TimeAmount, seed: UInt64, direction: StreamDirection)
    /// Close both connections once this many bytes have passed.
    case limitData(bytes: Int, direction: StreamDirection)
    /// Nothing passes either way any more; both connections close after this long (nil: never).
    case timeout(TimeAmount?)
    /// When either side closes, the other closes this much later.
    case slowClose(TimeAmount)
}

/// What the proxy does to one command a fault targets.
public enum FaultEffect: Sendable, Hashable {
    /// Close both sides before the command reaches the server (`reset`: with a TCP RST).
    case killBefore(reset: Bool)
    /// Forward the command; close both sides when its reply arrives, before the client gets it.
    case killAfter(reset: Bool)
    /// Do not forward the command; answer with this reply in its place, or never answer.
    case drop(reply: RESPValue?)
    /// Hold the command this long before forwarding it (and everything behind it).
    case delayRequest(TimeAmount)
    /// Hold the command's reply this long before the client gets it (and everything behind it).
    case delayReply(TimeAmount)
    /// Close every connection of the proxy and refuse new ones this long (the command is lost).
    case down(TimeAmount)
    /// Change the connection's byte stream from this command on.
    case stream(StreamToxic)
}

/// A small seeded random generator (SplitMix64), so `probability=` faults are reproducible.
public struct FaultRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// Reads a kind's parameters with errors that name the rule.
struct FaultParameterReader {
    let kind: String
    let values: [String: String]

    func milliseconds(_ name: String, required: Bool, default value: Int64 = 0) throws(FaultRuleError) -> Int64 {
        guard let text = values[name] else {
            if required { throw FaultRuleError("\(kind) needs \(name)=MILLISECONDS") }
            return value
        }
        guard let number = Int64(text), number >= 0, number <= 3_600_000 else {
            throw FaultRuleError("\(name) must be a whole number of milliseconds between 0 and 3600000 (got '\(text)')")
        }
        return number
    }

    /// A whole number in `range`, or `value` when not given.
    func count(_ name: String, in range: ClosedRange<Int>, default value: Int? = nil) throws(FaultRuleError) -> Int {
        guard let text = values[name] else {
            if let value { return value }
            throw FaultRuleError("\(kind) needs \(name)=N")
        }
        guard let number = Int(text), range.contains(number) else {
            throw FaultRuleError(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return number
    }
}
