/// Where one key of a cluster lives: its hash slot, and the index of the node it was read from
/// among `nodes` nodes.
public struct SlotPlacement: Sendable, Hashable {
    public var slot: Int
    public var node: Int
    public var nodes: Int

    public init(slot: Int, node: Int, nodes: Int) {
        self.slot = slot
        self.node = node
        self.nodes = nodes
    }
}

/// How a pattern's keys spread over a cluster: which of the 16384 hash slots they occupy and
/// how many keys each node holds, in constant memory however many keys. The first few slots are
/// a short list; past ``listLimit`` they move into a 16384-bit set (2 KiB), so the many small
/// patterns of a scan cost a few bytes each.
public struct SlotSpread: Sendable, Equatable {
    /// Distinct slots kept as a list before the bit set is allocated.
    static let listLimit = 32
    private var list: [UInt16] = []
    /// Empty until the list is full.
    private var bits: [UInt64] = []
    /// Distinct slots seen.
    public private(set) var slots = 0
    /// Keys per node, by node index.
    public private(set) var nodeKeys: [Int]

    public init(nodes: Int) {
        nodeKeys = [Int](repeating: 0, count: max(1, nodes))
    }

    @inline(__always)
    public mutating func add(slot: Int, node: Int) {
        insert(slot)
        if node >= nodeKeys.count { nodeKeys += [Int](repeating: 0, count: node + 1 - nodeKeys.count) }
        nodeKeys[node] += 1
    }

    @inline(__always)
    private mutating func insert(_ slot: Int) {
        if bits.isEmpty {
            let value = UInt16(slot)
            if list.contains(value) { return }
            if list.count < Self.listLimit {
                list.append(value)
                slots += 1
                return
            }
            bits = [UInt64](repeating: 0, count: HashSlot.count / 64)
            for kept in list { bits[Int(kept) >> 6] |= UInt64(1) << UInt64(kept & 63) }
            list = []
        }
        let word = slot >> 6
        let bit = UInt64(1) << UInt64(slot & 63)
        if bits[word] & bit == 0 {
            bits[word] |= bit
            slots += 1
        }
    }

    public mutating func merge(_ other: SlotSpread) {
        if other.bits.isEmpty {
            for slot in other.list { insert(Int(slot)) }
        } else {
            var merged = other.bits
            for slot in list { merged[Int(slot) >> 6] |= UInt64(1) << UInt64(slot & 63) }
            if !bits.isEmpty { for i in 0..<merged.count { merged[i] |= bits[i] } }
            bits = merged
            list = []
            slots = merged.reduce(0) { $0 + $1.nonzeroBitCount }
        }
        if other.nodeKeys.count > nodeKeys.count {
            nodeKeys += [Int](repeating: 0, count: other.nodeKeys.count - nodeKeys.count)
        }
        for (node, keys) in other.nodeKeys.enumerated() { nodeKeys[node] += keys }
    }

    /// Whether a key of the pattern hashes to `slot`.
    public func contains(slot: Int) -> Bool {
        if bits.isEmpty { return list.contains(UInt16(slot)) }
        return bits[slot >> 6] & (UInt64(1) << UInt64(slot & 63)) != 0
    }

    /// The lowest slot occupied, nil when none.
    public var firstSlot: Int? {
        if bits.isEmpty { return list.min().map(Int.init) }
        guard let word = bits.firstIndex(where: { $0 != 0 }) else { return nil }
        return word * 64 + bits[word].trailingZeroBitCount
    }

    /// The index of the node holding the most keys, nil when none holds any.
    public var busiestNode: Int? {
        guard let most = nodeKeys.max(), most > 0 else { return nil }
        return nodeKeys.firstIndex(of: most)
    }
}
