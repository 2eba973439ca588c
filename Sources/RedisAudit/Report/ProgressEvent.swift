import Logging

/// How a progress message is shown, carried as log metadata: on a terminal every one replaces
/// the last in one line on standard error; elsewhere only `line` and `done` messages are printed,
/// a plain line each, as a CI log reads them.
public enum ProgressEvent: String, Sendable {
    /// A frequent update: on a terminal only.
    case update
    /// An update worth a line everywhere (every few seconds, every tenth trial).
    case line
    /// The last one: on a terminal the progress line ends with it.
    case done

    /// The metadata key.
    public static let key = "progress"

    /// The metadata that marks a message as this kind of progress.
    public var metadata: Logger.Metadata { [Self.key: .string(rawValue)] }

    /// `12.3/s, about 4 s left` for `done` of `total` in `seconds`, or just the rate when nothing is left.
    public static func rate(done: Int, total: Int, seconds: Double) -> String {
        let rate = Double(done) / max(seconds, 0.001)
        let shown = rate >= 10 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
        guard done < total, rate > 0 else { return "\(shown)/s" }
        return "\(shown)/s, about \(Int((Double(total - done) / rate).rounded(.up))) s left"
    }
}
