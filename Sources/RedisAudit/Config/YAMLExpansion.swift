import Yams

/// What a YAML document weighs once its aliases are expanded, worked out on the composed node
/// tree without expanding anything: the composer shares an anchored node's storage with each
/// of its aliases, and this walk weighs each node once (remembered by the place it starts in
/// the file), so a "billion laughs" file of a few hundred bytes is weighed, and refused, in
/// microseconds.
///
/// ```
///   a: &a [x, x, x, x, x, x, x, x, x, x]     weight(a) = 10 × (16 + 1) + 16
///   b: &b [*a, *a, *a, *a, *a, *a, *a, *a]   weight(b) = 8 × weight(a) + 16   (8 aliases)
///   c: [*b, *b, *b, *b, *b, *b, *b, *b]      weight(c) = 8 × weight(b) + 16   (8 more)
/// ```
enum YAMLExpansion {
    /// What every node weighs besides its text: a document of many empty values is not free.
    static let nodeWeight = 16

    /// Throws `FILE:LINE` (the node where a limit is passed) when the document uses more
    /// aliases, or would weigh more expanded, than `limits` allow.
    static func check(_ root: Node, file: String, limits: InputLimits) throws(ScenarioError) {
        var walk = Walk(limits: limits, file: file)
        _ = try walk.weigh(root)
    }

    /// Where a node starts, and what it is: the same place and kind is the same node (an alias
    /// carries its anchor's mark). Two different nodes sharing both (a flow mapping used as
    /// the first key of a block mapping) can only make the estimate larger, never smaller.
    private struct Place: Hashable {
        var line: Int
        var column: Int
        var kind: Int
        var count: Int
    }

    private struct Walk {
        let limits: InputLimits
        let file: String
        var weights: [Place: Int] = [:]
        var aliases = 0

        mutating func weigh(_ node: Node) throws(ScenarioError) -> Int {
            let place: Place
            switch node {
            case .scalar(let scalar):
                return Self.nodeWeight + scalar.string.utf8.count
            case .sequence(let sequence):
                place = Place(line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, kind: 1, count: sequence.count)
            case .mapping(let mapping):
                place = Place(line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, kind: 2, count: mapping.count)
            case .alias:
                return Self.nodeWeight
            }
            if let known = weights[place] {
                aliases += 1
                if aliases > limits.maxYAMLAliases {
                    throw ScenarioError(
                        "more than \(limits.maxYAMLAliases) YAML aliases (--max-yaml-aliases); write the values out or raise the limit",
                        at: location(node))
                }
                return known
            }
            var total = Self.nodeWeight
            func add(_ weight: Int) throws(ScenarioError) {
                let (sum, overflow) = total.addingReportingOverflow(weight)
                guard !overflow, sum <= limits.maxYAMLExpandedBytes else {
                    throw ScenarioError(
                        "this YAML expands past --max-yaml-expanded-bytes (\(limits.maxYAMLExpandedBytes)) through its aliases; refused before expanding it",
                        at: location(node))
                }
                total = sum
            }
            switch node {
            case .sequence(let sequence):
                for item in sequence { try add(try weigh(item)) }
            case .mapping(let mapping):
                for (key, value) in mapping {
                    try add(try weigh(key))
                    try add(try weigh(value))
                }
            default:
                break
            }
            weights[place] = total
            return total
        }

        func location(_ node: Node) -> SourceLocation { SourceLocation(file: file, line: max(node.mark?.line ?? 1, 1)) }

        static var nodeWeight: Int { YAMLExpansion.nodeWeight }
    }
}
