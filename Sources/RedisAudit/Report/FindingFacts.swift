/// The words every report format puts around a finding: its baseline mark, its facts line and
/// its acceptance.
extension Finding {
    /// ` (accepted)`, ` (acceptance expired)`, ` (new)` with a baseline, or nothing.
    func baselineMark(baseline: Bool) -> String {
        switch acceptance?.status {
        case .accepted: return " (accepted)"
        case .expired: return " (acceptance expired)"
        case nil: return baseline ? " (new)" : ""
        }
    }

    /// After the id: the category, the endpoints, how many occurrences.
    var facts: [String] {
        var facts = [category.rawValue]
        if !endpoints.isEmpty { facts.append("endpoints: " + endpoints.joined(separator: ", ")) }
        if occurrences > 1 { facts.append("\(occurrences) occurrences") }
        return facts
    }

    /// Why the baseline accepts it, and until when: `known, fixed in 2.3, until 2027-01-31`.
    var acceptanceText: String? {
        guard let acceptance else { return nil }
        let until = acceptance.expires.map { acceptance.status == .expired ? ", expired \($0)" : ", until \($0)" } ?? ""
        return acceptance.reason + until
    }
}
