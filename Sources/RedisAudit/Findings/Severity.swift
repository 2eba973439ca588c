/// How much a finding matters, from `critical` (fix before deploying) to `info` (worth knowing).
public enum Severity: String, CaseIterable, Codable, Sendable, Comparable {
    case critical, high, medium, low, info

    /// Higher is worse: critical = 4, info = 0.
    public var weight: Int {
        switch self {
        case .critical: return 4
        case .high: return 3
        case .medium: return 2
        case .low: return 1
        case .info: return 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.weight < rhs.weight }
}
