/// The Redis type of a key, as `TYPE` names it.
public enum KeyType: Int, Sendable, CaseIterable {
    case string, list, set, zset, hash, stream, other

    /// From a `TYPE` reply (`none` and module types count as `other`).
    public init(reply: String) {
        switch reply {
        case "string": self = .string
        case "list": self = .list
        case "set": self = .set
        case "zset": self = .zset
        case "hash": self = .hash
        case "stream": self = .stream
        default: self = .other
        }
    }

    public var name: String {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .zset: return "zset"
        case .hash: return "hash"
        case .stream: return "stream"
        case .other: return "other"
        }
    }
}

/// Remaining TTLs in a fixed log-scale histogram: 16 buckets per doubling from 1 ms to about
/// 35 years, so any quantile is within 4.5% of the true value in 2.5 KB, however many keys.
/// The minimum and maximum are exact.
public struct TTLHistogram: Sendable, Equatable {
    static let bucketsPerOctave = 16
    static let octaves = 40
    /// Allocated on the first TTL.
    private var counts: [UInt32] = []
    public private(set) var count = 0
    public private(set) var minimum: Int64 = .max
    public private(set) var maximum: Int64 = .min

    public init() {}

    @inline(__always)
    static func bucket(_ milliseconds: Int64) -> Int {
        let v = UInt64(max(1, milliseconds))
        let octave = 63 - v.leadingZeroBitCount
        // The 4 bits after the leading one pick the bucket within the octave.
        let fraction = octave >= 4 ? Int((v >> UInt64(octave - 4)) & 0xF) : Int((v << UInt64(4 - octave)) & 0xF)
        return min(octaves * bucketsPerOctave - 1, octave * bucketsPerOctave + fraction)
    }

    /// The lower end of a bucket, in milliseconds (the next bucket's is its upper end).
    static func lowerBound(ofBucket index: Int) -> Double {
        let octave = index / bucketsPerOctave
        return Double(1 << octave) * (1 + Double(index % bucketsPerOctave) / Double(bucketsPerOctave))
    }

    /// The middle of a bucket, in milliseconds.
    static func value(ofBucket index: Int) -> Double {
        (lowerBound(ofBucket: index) + lowerBound(ofBucket: index + 1)) / 2
    }

    @inline(__always)
    public mutating func add(_ milliseconds: Int64) {
        if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.octaves * Self.bucketsPerOctave) }
        counts[Self.bucket(milliseconds)] &+= 1
        count += 1
        if milliseconds < minimum { minimum = milliseconds }
        if milliseconds > maximum { maximum = milliseconds }
    }

    public mutating func merge(_ other: TTLHistogram) {
        guard other.count > 0 else { return }
        if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.octaves * Self.bucketsPerOctave) }
        for i in 0..<counts.count { counts[i] &+= other.counts[i] }
        count += other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    /// How many TTLs fall at or under each limit (milliseconds, ascending) and above the last:
    /// `limits.count + 1` counts, each bucket counted where its lower end falls. TTLs count down
    /// from round values, so one just under a limit (a week's, read a second later) is common
    /// and one just over it rare: a bucket across a limit counts under it.
    public func bands(_ limits: [Int64]) -> [Int] {
        var out = [Int](repeating: 0, count: limits.count + 1)
        for (index, c) in counts.enumerated() where c > 0 {
            let low = Self.lowerBound(ofBucket: index)
            let band = limits.firstIndex { low <= Double($0) } ?? limits.count
            out[band] += Int(c)
        }
        return out
    }

    /// The `q` quantile (0...1) in milliseconds, clamped to the exact minimum and maximum; nil when empty.
    public func quantile(_ q: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (index, c) in counts.enumerated() where c > 0 {
            seen += Int(c)
            if seen >= rank {
                return min(maximum, max(minimum, Int64(Self.value(ofBucket: index).rounded())))
            }
        }
        return maximum
    }
}

/// What one pattern's keys look like on one endpoint, gathered while scanning in constant
/// memory: counts, types, TTLs, a few example keys, memory.
public struct PatternStatistics: Sendable, Equatable {
    /// How many example keys are kept (for the table and for findings).
    public static let exampleLimit = 3
    public static let noTTLExampleLimit = 5

    public private(set) var keys = 0
    public private(set) var types = [Int](repeating: 0, count: KeyType.allCases.count)
    /// Keys without an expiry (`PTTL` -1).
    public private(set) var withoutTTL = 0
    /// Remaining TTLs of the keys that have one.
    public private(set) var ttl = TTLHistogram()
    public private(set) var examples: [[UInt8]] = []
    public private(set) var examplesWithoutTTL: [[UInt8]] = []
    /// Sum of `MEMORY USAGE` over the keys it was read for, and how many those were.
    public private(set) var memoryBytes = 0
    public private(set) var memoryKeys = 0
    /// Keys that start with none of the expected prefixes (`--expect-prefix`).
    public private(set) var outsidePrefix = 0
    /// On a cluster: the hash slots the keys occupy and the keys per node; nil on a server.
    public private(set) var spread: SlotSpread?

    public init() {}

    /// Adds one key; `pttl` is the `PTTL` reply (-1 no expiry), `memory` the `MEMORY USAGE` reply if read,
    /// `placement` the key's slot and node on a cluster.
    @inline(__always)
    public mutating func add(
        key: UnsafeBufferPointer<UInt8>, type: KeyType, pttl: Int64, memory: Int?, outsidePrefix: Bool = false,
        placement: SlotPlacement? = nil
    ) {
        keys += 1
        if let placement {
            if spread == nil { spread = SlotSpread(nodes: placement.nodes) }
            spread!.add(slot: placement.slot, node: placement.node)
        }
        if outsidePrefix { self.outsidePrefix += 1 }
        types[type.rawValue] += 1
        if pttl >= 0 {
            ttl.add(pttl)
        } else {
            withoutTTL += 1
            if examplesWithoutTTL.count < Self.noTTLExampleLimit { examplesWithoutTTL.append(Array(key)) }
        }
        if examples.count < Self.exampleLimit { examples.append(Array(key)) }
        if let memory {
            memoryBytes += memory
            memoryKeys += 1
        }
    }

    public mutating func merge(_ other: PatternStatistics) {
        keys += other.keys
        for i in 0..<types.count { types[i] += other.types[i] }
        withoutTTL += other.withoutTTL
        ttl.merge(other.ttl)
        examples = Array((examples + other.examples).prefix(Self.exampleLimit))
        examplesWithoutTTL = Array((examplesWithoutTTL + other.examplesWithoutTTL).prefix(Self.noTTLExampleLimit))
        memoryBytes += other.memoryBytes
        memoryKeys += other.memoryKeys
        outsidePrefix += other.outsidePrefix
        if let theirs = other.spread {
            if spread == nil { spread = theirs } else { spread!.merge(theirs) }
        }
    }

    /// Keys with an expiry.
    public var withTTL: Int { keys - withoutTTL }

    /// The row the reports show; `nodes` names a cluster's nodes in the order of their index.
    public func row(pattern: String, nodes: [String] = []) -> KeyspacePatternRow {
        var typeCounts: [String: Int] = [:]
        for type in KeyType.allCases where types[type.rawValue] > 0 { typeCounts[type.name] = types[type.rawValue] }
        func seconds(_ ms: Int64?) -> Double? { ms.map { Double($0) / 1000 } }
        return KeyspacePatternRow(
            pattern: pattern, keys: keys, types: typeCounts, withoutTTL: withoutTTL,
            ttlMinSeconds: ttl.count > 0 ? seconds(ttl.minimum) : nil,
            ttlMedianSeconds: seconds(ttl.quantile(0.5)), ttlP95Seconds: seconds(ttl.quantile(0.95)),
            ttlMaxSeconds: ttl.count > 0 ? seconds(ttl.maximum) : nil,
            ttlBands: ttl.count > 0 ? ttl.bands(KeyspacePatternRow.ttlBandLimits.map { $0.seconds * 1000 }) : nil,
            memoryBytes: memoryKeys > 0 ? memoryBytes : nil, memoryKeys: memoryKeys > 0 ? memoryKeys : nil,
            examples: examples.map { KeyPatternInference.display($0) },
            examplesWithoutTTL: examplesWithoutTTL.map { KeyPatternInference.display($0) },
            outsidePrefix: outsidePrefix > 0 ? outsidePrefix : nil,
            slots: spread?.slots, slot: spread.flatMap { $0.slots == 1 ? $0.firstSlot : nil },
            busiestNode: spread.flatMap { s in s.busiestNode.flatMap { nodes.indices.contains($0) ? nodes[$0] : nil } },
            busiestNodeShare: spread.flatMap { s in
                s.busiestNode.map { keys > 0 ? Double(s.nodeKeys[$0]) / Double(keys) : 0 }
            })
    }
}
