internal import CYaml

/// What a YAML document weighs once its aliases are expanded, worked out from libyaml's parse
/// events before the document is composed: nothing is expanded, or even built, on the way.
/// Composing first would not do: Yams' composer hashes every mapping key to find duplicates,
/// and a key holding aliases is hashed expanded, so a few hundred bytes of aliased keys take
/// minutes. libyaml is the one Yams bundles; this is the only file that touches it.
///
/// ```
///   a: &a [x, x, x, x, x, x, x, x, x, x]     weight(a) = 10 × (16 + 1) + 16
///   b: &b [*a, *a, *a, *a, *a, *a, *a, *a]   weight(b) = 8 × weight(a) + 16   (8 aliases)
///   c: [*b, *b, *b, *b, *b, *b, *b, *b]      weight(c) = 8 × weight(b) + 16   (8 more)
/// ```
///
/// An anchor's weight is remembered when its node ends; an alias adds it where it stands. A
/// list or mapping used as a mapping key is refused here too: no file redisaudit reads has one,
/// and it is what makes the composer's hashing expensive.
enum YAMLExpansion {
    /// What every node weighs besides its text: a document of many empty values is not free.
    static let nodeWeight = 16

    /// Throws `FILE:LINE` (where a limit is passed) when the document uses more aliases, or
    /// would weigh more expanded, than `limits` allow. Text libyaml cannot parse is left to the
    /// composer, which reports it.
    static func check(_ yaml: String, file: String, limits: InputLimits) throws(InputError) {
        var bytes = Array(yaml.utf8)
        let outcome: InputError? = bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var walk = Walk(limits: limits, file: file)
            do throws(InputError) {
                while true {
                    var event = yaml_event_t()
                    guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                    defer { yaml_event_delete(&event) }
                    if event.type == YAML_STREAM_END_EVENT { return nil }
                    try walk.take(event)
                }
            } catch {
                return error
            }
        }
        if let outcome { throw outcome }
    }

    /// The weights of the nodes still open, and of every anchor seen.
    private struct Walk {
        let limits: InputLimits
        let file: String
        /// An open sequence or mapping: its anchor, what its contents weigh so far, and how many
        /// nodes it holds (in a mapping, an even count means the next node is a key).
        struct Open {
            var anchor: String?
            var weight: Int
            var isMapping: Bool
            var count = 0
        }
        var open: [Open] = []
        /// Every anchor's weight, and whether it names a list or mapping.
        var anchors: [String: (weight: Int, collection: Bool)] = [:]
        var aliases = 0

        mutating func take(_ event: yaml_event_t) throws(InputError) {
            let line = Int(event.start_mark.line) + 1
            let isKey = open.last.map { $0.isMapping && $0.count % 2 == 0 } ?? false
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                try close(
                    anchor: Self.name(scalar.anchor), weight: nodeWeight + Int(scalar.length), collection: false, line: line)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                if isKey { throw complexKey(line) }
                let mapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = mapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                open.append(Open(anchor: Self.name(anchor), weight: nodeWeight, isMapping: mapping))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let node = open.popLast() else { return }
                try close(anchor: node.anchor, weight: node.weight, collection: true, line: line)
            case YAML_ALIAS_EVENT:
                aliases += 1
                guard aliases <= limits.maxYAMLAliases else {
                    throw InputError(
                        "more than \(limits.maxYAMLAliases) YAML aliases (--max-yaml-aliases); write the values out or raise the limit",
                        at: SourceLocation(file: file, line: line))
                }
                // An undefined alias is the composer's error to report.
                let target = Self.name(event.data.alias.anchor).flatMap { anchors[$0] } ?? (nodeWeight, false)
                if isKey, target.collection { throw complexKey(line) }
                try close(anchor: nil, weight: target.weight, collection: target.collection, line: line)
            default:
                break
            }
        }

        /// A node ended (or an alias stood for one): remember its weight if anchored, and add
        /// it to the node it is in.
        private mutating func close(anchor: String?, weight: Int, collection: Bool, line: Int) throws(InputError) {
            if let anchor { anchors[anchor] = (weight, collection) }
            guard !open.isEmpty else { return try check(weight, line: line) }
            let (sum, overflow) = open[open.count - 1].weight.addingReportingOverflow(weight)
            try check(overflow ? Int.max : sum, line: line)
            open[open.count - 1].weight = sum
            open[open.count - 1].count += 1
        }

        private func complexKey(_ line: Int) -> InputError {
            InputError(
                "a mapping key must be a single value, not a list or mapping", at: SourceLocation(file: file, line: line))
        }

        private func check(_ weight: Int, line: Int) throws(InputError) {
            guard weight <= limits.maxYAMLExpandedBytes else {
                throw InputError(
                    "this YAML expands past --max-yaml-expanded-bytes (\(limits.maxYAMLExpandedBytes)) through its aliases; refused before expanding it",
                    at: SourceLocation(file: file, line: line))
            }
        }

        private var nodeWeight: Int { YAMLExpansion.nodeWeight }

        private static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
    }
}
