/// One kind of fault: what it does to the request and reply streams of a connection when a
/// command it targets passes.
///
/// A kind is one file in `Faults/` (the struct, its parameters and `fire`), one line in
/// `FaultRule.kinds` and one test file (docs/creating-faults.md). Targeting (command name,
/// `nth`, `scope`, `probability`, `seed`) is common to every kind and handled by `FaultTarget`;
/// a kind only reads its own parameters and acts on the `FaultStreams` it is handed.
public protocol Fault: Sendable {
    /// The rule's first word, e.g. `kill-after`.
    static var kind: String { get }
    /// One line for docs/proxy.md and error messages.
    static var summary: String { get }
    /// The kind's own parameters, with what they mean.
    static var parameters: KeyValuePairs<String, String> { get }
    /// Builds the fault from its own parameters (targeting ones already removed).
    init(parameters: [String: String]) throws(FaultRuleError)
    /// Acts on the connection's streams as one targeted command passes (or as the connection
    /// opens, for a kind whose `untargeted` is `connectionStart`).
    func fire(on streams: inout FaultStreams, random: inout FaultRandom)
    /// When a rule of this kind that names no command, `nth` or probability fires.
    static var untargeted: UntargetedFiring { get }
}

extension Fault {
    public static var untargeted: UntargetedFiring { .everyCommand }
}
