import Foundation

/// The invariants a draft proposes from the state its flow leaves, as the flow model follows the
/// replay's steps: each key the flow writes and leaves (`exists`, its `type`, its `ttl`), each
/// key it deletes (`missing`), and each set whose members name keys of one pattern
/// (`members_have_keys`). Keys are written with the inferred variables, first seen first.
struct FlowInvariants: Sendable {
    /// One proposed invariant: its check (`exists: "rt:${userId}"`) and why it was proposed.
    struct Proposal: Hashable, Sendable {
        var check: String
        var why: String
    }

    /// The invariants, in the order the flow first names their keys.
    let proposals: [Proposal]
    /// True when a script step named a key whose state the model therefore does not know.
    let skipsScriptKeys: Bool

    init(state: FlowState, inference: ParameterInference) {
        var proposals: [Proposal] = []
        func propose(_ check: String, _ why: String) {
            let proposal = Proposal(check: check, why: why)
            if !proposals.contains(where: { $0.check == check }) { proposals.append(proposal) }
        }
        func template(_ key: [UInt8]) -> String { YAMLText.quoted(inference.template(key, role: .key)) }
        var skips = false
        for key in state.order {
            let facts = state.facts(key)
            if facts.scripted && facts.exists == nil { skips = true }
            if facts.exists == true && facts.written {
                propose("exists: \(template(key))", "the flow writes it and leaves it in place")
                if let kind = facts.kind {
                    propose("type: \(template(key)), is: \(kind.rawValue)", "the flow writes it as a \(kind.rawValue)")
                }
            } else if facts.exists == false && facts.deleted {
                propose("missing: \(template(key))", "the flow deletes it")
            }
            if facts.exists == true && facts.ttl.expires {
                propose("ttl: \(template(key)), min: 1", "the flow leaves it with a TTL")
            }
        }
        for set in state.order {
            guard let pattern = Self.memberKeyPattern(of: set, in: state, inference: inference) else { continue }
            propose(
                "members_have_keys: { set: \(template(set)), key: \(YAMLText.quoted(pattern)) }",
                "each member the flow leaves in the set names a key the flow writes")
        }
        self.proposals = proposals
        self.skipsScriptKeys = skips
    }

    /// The key pattern (`rt:${userId}:${member}`) that every member of `set` appears in, as a
    /// segment of a key that exists at the flow's end; nil when some member has no such key.
    static func memberKeyPattern(of set: [UInt8], in state: FlowState, inference: ParameterInference) -> String? {
        let facts = state.facts(set)
        guard facts.exists == true, facts.kind == .set, facts.modelled, facts.allKnown, !facts.members.isEmpty else {
            return nil
        }
        let keys = state.order.filter { $0 != set && state.facts($0).exists == true }.map {
            inference.template($0, role: .key)
        }
        var common: [String]?
        for member in facts.members {
            let text = inference.template(member, role: .value)
            let patterns = keys.compactMap { replacing(text, in: $0) }
            common = common.map { $0.filter(patterns.contains) } ?? patterns
            if common?.isEmpty != false { return nil }
        }
        return common?.first
    }

    /// `key` with its first occurrence of `member` that is a whole segment (not part of a
    /// longer word) written `${member}`, or nil.
    static func replacing(_ member: String, in key: String) -> String? {
        guard !member.isEmpty else { return nil }
        func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber } ?? false }
        var start = key.startIndex
        while let range = key.range(of: member, range: start..<key.endIndex) {
            let before = range.lowerBound == key.startIndex ? nil : key[key.index(before: range.lowerBound)]
            let after = range.upperBound == key.endIndex ? nil : key[range.upperBound]
            let memberIsVariable = member.hasPrefix("${")
            if memberIsVariable || (!isWord(before) && !isWord(after) && before != "$") {
                let pattern = key.replacingCharacters(in: range, with: "${\(Template.memberVariable)}")
                // The pattern must name the key's variables and the member, nothing a `$` next to
                // the member's text would make of the rest.
                if let referenced = try? Template(pattern).references(), let own = try? Template(key).references(),
                    let replaced = try? Template(member).references(),
                    Set(referenced) == Set(own).subtracting(replaced).union([Template.memberVariable])
                {
                    return pattern
                }
            }
            start = range.upperBound
        }
        return nil
    }

    /// The `invariants:` block (with the comments a reviewer needs), or comment lines alone
    /// when nothing is proposed.
    func yaml(haveReplies: Bool) -> [String] {
        var lines = ["# Invariants proposed from the flow's final state: review them."]
        if !haveReplies { lines.append("# The capture has no replies: each write is taken to have succeeded.") }
        if skipsScriptKeys { lines.append("# Keys a script touches are left out: what a script does to them is not modelled.") }
        guard !proposals.isEmpty else {
            lines.append("# None: the flow leaves no key it wrote or deleted.")
            return lines
        }
        lines.append("invariants:")
        for proposal in proposals {
            lines.append("  - { \(proposal.check), why: \(YAMLText.quoted(proposal.why)) }")
        }
        return lines
    }
}
