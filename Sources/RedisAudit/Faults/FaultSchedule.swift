import NIOCore

/// The rules as one connection applies them: per-connection `nth` counts and random numbers
/// (`scope=run` counts are shared through the counters).
struct FaultSchedule {
    /// One rule that fired on a command, and what it did.
    struct Firing: Sendable, Hashable {
        var rule: Int
        var effects: [FaultEffect]
    }

    private let rules: [FaultRule]
    /// How each rule fires: as targeted (nil), or as its kind says when it targets nothing.
    private let firings: [UntargetedFiring?]
    private let counters: FaultCounters
    private var matches: [Int]
    private var randoms: [FaultRandom]
    /// True to record in `FaultStreams.fired` which rules fired and what each did.
    private let describesFirings: Bool

    init(counters: FaultCounters, describesFirings: Bool = false) {
        self.rules = counters.rules
        self.counters = counters
        self.describesFirings = describesFirings
        firings = rules.map { rule in
            let target = rule.target
            guard target.command == nil, target.nth == nil, target.probability == nil else { return nil }
            return type(of: rule.fault).untargeted
        }
        matches = Array(repeating: 0, count: rules.count)
        randoms = rules.map { FaultRandom(seed: $0.target.seed) }
    }

    /// What the untargeted rules that apply from the connection's start do to its streams.
    mutating func connectionStarted() -> FaultStreams {
        var streams = FaultStreams()
        for index in rules.indices where firings[index] == .connectionStart {
            fire(index, on: &streams)
        }
        return streams
    }

    /// What the rules do to the streams as the next command on the connection, named `name`, passes.
    mutating func decide(_ name: String) -> FaultStreams {
        var streams = FaultStreams()
        for index in rules.indices {
            let target = rules[index].target
            if let command = target.command, command != name { continue }
            switch firings[index] {
            case .connectionStart:
                continue
            case .firstCommandOfRun:
                guard counters.matchedInRun(index) == 1 else { continue }
            case .everyCommand, nil:
                break
            }
            matches[index] += 1
            if let nth = target.nth {
                let count = target.scope == .run ? counters.matchedInRun(index) : matches[index]
                guard count == nth else { continue }
            }
            if let probability = target.probability, !(randoms[index].unit() < probability) { continue }
            fire(index, on: &streams)
        }
        return streams
    }

    /// Fires rule `index`; it counts as fired when what it asked for took effect (a second
    /// kill or drop on the same command does not).
    private mutating func fire(_ index: Int, on streams: inout FaultStreams) {
        let before = streams.changes
        let unchanged = describesFirings ? streams : nil
        rules[index].fault.fire(on: &streams, random: &randoms[index])
        guard streams.changes > before else { return }
        counters.fired(index)
        if let unchanged {
            let kind = type(of: rules[index].fault).kind
            streams.fired.append(Firing(rule: index, effects: FaultEffect.changes(from: unchanged, to: streams, kind: kind)))
        }
    }
}
