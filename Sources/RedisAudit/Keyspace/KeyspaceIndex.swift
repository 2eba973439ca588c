/// Every scanned key folded into a tree of tokens whose paths are the patterns, with each
/// pattern's statistics per endpoint; memory grows with the number of patterns, not of keys.
///
/// ```
///   root ─ "rt:" ─ <id>: ─ <hash>      (stats A, B)
///        ├ "sess:" ─ <name>            ◀─ "alice", "bob", ... folded once they are many
///        └ "bl:" ─ <hash>
/// ```
/// While scanning, a node whose distinct literal children grow past ``hardLimit`` folds them
/// into one `<name>` child (merging their subtrees): that bounds memory. After the scan,
/// ``finish()`` folds the literals of nodes with more than ``foldThreshold`` of them when they
/// look variable: many compared with the keys under them (`sess:alice`, `sess:bob`, ...), or
/// most of them followed by the same literal words (`user:alice:profile`, `user:bob:profile`).
/// A few well-used prefixes (`rt:`, `sess:`, `bl:`, ...) stay. Both endpoints feed one index,
/// so their patterns line up.
public final class KeyspaceIndex {
    /// Distinct literals at one place before they may fold into `<name>`.
    public let foldThreshold: Int
    /// Distinct literals at one place after which they always fold.
    public let hardLimit: Int
    /// How many endpoints (sides) the statistics are kept for.
    public let sides: Int
    let root: Node

    /// One place in the tree: a token, its children, and the statistics of keys ending here.
    final class Node {
        // Visited for every key by the one task that feeds the index: no dynamic exclusivity checks.
        let token: KeyToken
        @exclusivity(unchecked) var children: [Node] = []
        @exclusivity(unchecked) var literalChildren = 0
        /// Keys through this node (ending here or below), all sides together.
        @exclusivity(unchecked) var keys = 0
        @exclusivity(unchecked) var folded = false
        @exclusivity(unchecked) var stats: [PatternStatistics?]

        init(token: KeyToken, sides: Int) {
            self.token = token
            self.stats = [PatternStatistics?](repeating: nil, count: sides)
        }
    }

    public init(sides: Int = 1, foldThreshold: Int = 16, hardLimit: Int = 128) {
        self.sides = sides
        self.foldThreshold = foldThreshold
        self.hardLimit = hardLimit
        self.root = Node(token: KeyToken(kind: .literal), sides: sides)
    }

    /// Adds one key of `side` with its type, `PTTL` reply and optional `MEMORY USAGE`, and on a
    /// cluster its slot and node.
    public func add(
        side: Int, key: [UInt8], type: KeyType, pttl: Int64, memory: Int? = nil, outsidePrefix: Bool = false,
        placement: SlotPlacement? = nil
    ) {
        key.withUnsafeBufferPointer {
            add(side: side, key: $0, type: type, pttl: pttl, memory: memory, outsidePrefix: outsidePrefix, placement: placement)
        }
    }

    public func add(
        side: Int, key: UnsafeBufferPointer<UInt8>, type: KeyType, pttl: Int64, memory: Int?, outsidePrefix: Bool,
        placement: SlotPlacement? = nil
    ) {
        var node = root
        node.keys += 1
        KeyPatternInference.forEachToken(in: key) { kind, braces, separator, range in
            node = self.child(of: node, kind: kind, braces: braces, separator: separator, literal: key, range: range)
        }
        if node.stats[side] == nil { node.stats[side] = PatternStatistics() }
        node.stats[side]!.add(
            key: key, type: type, pttl: pttl, memory: memory, outsidePrefix: outsidePrefix, placement: placement)
    }

    /// Finds or makes the child for a token, counting the key through it.
    @inline(__always)
    private func child(
        of parent: Node, kind: SegmentClass, braces: UInt8, separator: UInt8, literal: UnsafeBufferPointer<UInt8>,
        range: Range<Int>
    ) -> Node {
        var kind = kind
        if kind == .literal && parent.folded { kind = .name }
        var found = -1
        for index in 0..<parent.children.count {
            let t = parent.children[index].token
            guard t.kind == kind, t.braces == braces, t.separator == separator else { continue }
            if kind == .literal {
                guard t.literal.count == range.count else { continue }
                let same = t.literal.withUnsafeBufferPointer { stored in
                    stored.elementsEqual(UnsafeBufferPointer(rebasing: literal[range]))
                }
                guard same else { continue }
            }
            found = index
            break
        }
        if found >= 0 {
            let c = parent.children[found]
            c.keys += 1
            // Keep busy children at the front: one swap per visit, no sorting.
            if found > 0 && parent.children[found - 1].keys < c.keys { parent.children.swapAt(found, found - 1) }
            return c
        }
        let token = KeyToken(
            kind: kind, braces: braces, separator: separator, literal: kind == .literal ? Array(literal[range]) : [])
        let node = Node(token: token, sides: sides)
        node.keys = 1
        parent.children.append(node)
        guard kind == .literal else { return node }
        parent.literalChildren += 1
        guard parent.literalChildren > hardLimit && !parent.folded else { return node }
        fold(parent)
        // The new node moved into the `<name>` child with its braces and separator.
        return parent.children.first { $0.token.kind == .name && $0.token.braces == braces && $0.token.separator == separator }!
    }

    /// After the scan: whether a node's literal children are values of a variable segment.
    private func looksVariable(_ node: Node) -> Bool {
        guard !node.folded, node.literalChildren > foldThreshold else { return false }
        if Double(node.literalChildren) > 0.1 * Double(node.keys) { return true }
        // Siblings followed by the same literal words are one segment's values.
        var signatures: [[KeyToken]: Int] = [:]
        for c in node.children where c.token.kind == .literal {
            let literals = c.children.map(\.token).filter { $0.kind == .literal }
            guard !literals.isEmpty else { continue }
            signatures[literals.sorted { $0.literal.lexicographicallyPrecedes($1.literal) }, default: 0] += 1
        }
        return (signatures.values.max() ?? 0) * 2 > node.literalChildren
    }

    /// Folds variable-looking literals everywhere, then rare look-alike placeholders; call once after the last key.
    public func finish() {
        func visit(_ node: Node) {
            if looksVariable(node) { fold(node) }
            for c in node.children { visit(c) }
        }
        visit(root)
        absorbRareSiblings()
    }

    /// Moves every literal child into the `<name>` child with the same braces and separator.
    private func fold(_ node: Node) {
        node.folded = true
        var kept: [Node] = []
        var wildcards: [Node] = []
        for c in node.children where c.token.kind != .literal {
            if c.token.kind == .name { wildcards.append(c) } else { kept.append(c) }
        }
        for c in node.children where c.token.kind == .literal {
            let target: Node
            if let existing = wildcards.first(where: {
                $0.token.braces == c.token.braces && $0.token.separator == c.token.separator
            }) {
                target = existing
            } else {
                target = Node(token: KeyToken(kind: .name, braces: c.token.braces, separator: c.token.separator), sides: sides)
                wildcards.append(target)
            }
            merge(c, into: target)
        }
        node.children = (kept + wildcards).sorted { $0.keys > $1.keys }
        node.literalChildren = 0
    }

    /// Adds `source`'s keys, statistics and subtree to `target` (same place in the tree).
    private func merge(_ source: Node, into target: Node) {
        target.keys += source.keys
        for side in 0..<sides {
            guard let s = source.stats[side] else { continue }
            if target.stats[side] == nil { target.stats[side] = s } else { target.stats[side]!.merge(s) }
        }
        for c in source.children {
            var token = c.token
            if token.kind == .literal && target.folded {
                token = KeyToken(kind: .name, braces: token.braces, separator: token.separator)
            }
            if let match = target.children.first(where: { $0.token == token }) {
                merge(c, into: match)
            } else if token == c.token {
                target.children.append(c)
                if token.kind == .literal { target.literalChildren += 1 }
            } else {
                let renamed = Node(token: token, sides: sides)
                merge(c, into: renamed)
                target.children.append(renamed)
            }
        }
        if target.literalChildren > hardLimit && !target.folded { fold(target) }
    }

    /// Placeholders that a dominant sibling placeholder absorbs when they hold few keys: a
    /// 16-digit hex hash that happens to be all digits reads as `<int>`, a short one as `<id>`.
    static let absorbs: [SegmentClass: Set<SegmentClass>] = [
        .hash: [.int, .id],
        .base64: [.hash, .id, .int],
        .id: [.int, .hash],
        .uuid: [.hash],
    ]

    /// Siblings holding less than this fraction of the dominant sibling's keys are absorbed.
    static let absorbFraction = 0.02

    /// Folds rare placeholder siblings into the dominant one, everywhere in the tree.
    func absorbRareSiblings() {
        func visit(_ node: Node) {
            var changed = true
            while changed {
                changed = false
                for dominant in node.children.sorted(by: { $0.keys > $1.keys }) {
                    guard let absorbable = Self.absorbs[dominant.token.kind] else { continue }
                    let rare = node.children.filter {
                        $0 !== dominant && absorbable.contains($0.token.kind) && $0.token.braces == dominant.token.braces
                            && $0.token.separator == dominant.token.separator
                            && Double($0.keys) < Self.absorbFraction * Double(dominant.keys)
                    }
                    guard !rare.isEmpty else { continue }
                    for r in rare { merge(r, into: dominant) }
                    node.children.removeAll { child in rare.contains { $0 === child } }
                    changed = true
                    break
                }
            }
            for c in node.children { visit(c) }
        }
        visit(root)
    }

    /// Every pattern with its statistics per side (nil where a side has no key of it), most keys first.
    public func patterns() -> [(pattern: String, stats: [PatternStatistics?])] {
        var result: [(pattern: String, stats: [PatternStatistics?], keys: Int)] = []
        func walk(_ node: Node, prefix: String) {
            let here = node === root ? "" : prefix + node.token.rendered
            if node.stats.contains(where: { $0 != nil }) {
                result.append((here, node.stats, node.stats.reduce(0) { $0 + ($1?.keys ?? 0) }))
            }
            for c in node.children { walk(c, prefix: here) }
        }
        walk(root, prefix: "")
        return result.sorted { ($0.keys, $1.pattern) > ($1.keys, $0.pattern) }.map { ($0.pattern, $0.stats) }
    }

    /// How many nodes the tree holds (its memory is proportional to this).
    public var nodeCount: Int {
        func count(_ node: Node) -> Int { 1 + node.children.reduce(0) { $0 + count($1) } }
        return count(root)
    }
}

@available(*, unavailable, message: "KeyspaceIndex is fed from one task")
extension KeyspaceIndex: Sendable {}
