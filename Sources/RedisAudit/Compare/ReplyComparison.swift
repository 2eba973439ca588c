import RESP

/// How two replies to the same command differ, judged by what the command returns:
/// unordered collections as sets, TTL-like numbers within a tolerance, random results by type.
enum ReplyComparison {
    /// The kind of difference, worst last.
    enum Difference: Equatable {
        case none
        /// Both errors of the same class; only the message text differs.
        case messageOnly
        /// Both errors, of different classes (`ERR` vs `WRONGTYPE`).
        case errorClass
        /// A value on one side, an error on the other.
        case successVersusError
        /// Different values (or types).
        case value
        /// A reply on one side, no reply (transport failure) on the other.
        case transport
    }

    static func compare(
        _ a: CommandOutcome, _ b: CommandOutcome, command: String, inner: [String] = [], toleranceSeconds: Double,
        catalog: CommandCatalog = .table
    ) -> Difference {
        // `command` is the spec name (`TTL`, `OBJECT IDLETIME`); `inner` the commands inside a MULTI.
        switch (a, b) {
        case (.failed, .failed): return .none
        case (.failed, .reply), (.reply, .failed): return .transport
        case (.reply(let va), .reply(let vb)):
            return compare(va, vb, command: command, inner: inner, toleranceSeconds: toleranceSeconds, catalog: catalog)
        }
    }

    /// `MOVED 1234 host:port` without its address: the slot.
    private static func redirectedSlot(_ value: RESPValue) -> Substring? {
        guard case .error(let message) = value else { return nil }
        return message.split(separator: " ").dropFirst().first
    }

    /// `catalog` gives each command's reply flags (set-like, TTL-like, random), learned commands' included.
    static func compare(
        _ a: RESPValue, _ b: RESPValue, command: String, inner: [String] = [], toleranceSeconds: Double,
        catalog: CommandCatalog = .table
    ) -> Difference {
        switch (a.errorClass, b.errorClass) {
        case (let ca?, let cb?):
            if ca != cb { return .errorClass }
            // A redirection names the node that owns the slot: two clusters never agree on it.
            if ca == "MOVED" || ca == "ASK" { return redirectedSlot(a) == redirectedSlot(b) ? .none : .messageOnly }
            return a == b ? .none : .messageOnly
        case (nil, _?), (_?, nil):
            return .successVersusError
        case (nil, nil):
            break
        }
        if command == "EXEC", let ea = a.arrayElements, let eb = b.arrayElements {
            guard ea.count == eb.count else { return .value }
            var worst = Difference.none
            for (i, (x, y)) in zip(ea, eb).enumerated() {
                let name = i < inner.count ? inner[i] : ""
                let d = compare(x, y, command: name, toleranceSeconds: toleranceSeconds, catalog: catalog)
                if severityOrder(d) > severityOrder(worst) { worst = d }
            }
            return worst
        }
        let flags = catalog.flags(named: command) ?? []
        if flags.contains(.nondeterministic) || flags.contains(.scanReply) {
            return a.typeName == b.typeName ? .none : .value
        }
        if flags.contains(.ttlReply), let ia = a.integerValue, let ib = b.integerValue {
            if ia < 0 || ib < 0 { return ia == ib ? .none : .value }
            let scale: Double = command.hasPrefix("P") ? 1000 : 1
            return abs(Double(ia - ib)) <= toleranceSeconds * scale ? .none : .value
        }
        if flags.contains(.setReply) || flags.contains(.pairReply) {
            let paired = flags.contains(.pairReply)
            return unordered(a, paired: paired) == unordered(b, paired: paired) ? .none : .value
        }
        return a == b ? .none : .value
    }

    /// An array reply as a multiset; pairs for field/value replies stay paired.
    private static func unordered(_ value: RESPValue, paired: Bool) -> [RESPValue: Int] {
        guard let elements = value.arrayElements else { return [value: 1] }
        var counts: [RESPValue: Int] = [:]
        if paired && elements.count % 2 == 0 {
            for i in stride(from: 0, to: elements.count, by: 2) {
                counts[.array([elements[i], elements[i + 1]]), default: 0] += 1
            }
            return counts
        }
        for element in elements { counts[element, default: 0] += 1 }
        return counts
    }

    static func severityOrder(_ d: Difference) -> Int {
        switch d {
        case .none: return 0
        case .messageOnly: return 1
        case .errorClass: return 2
        case .successVersusError: return 3
        case .value: return 4
        case .transport: return 5
        }
    }
}
