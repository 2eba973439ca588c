/// Where a drafted flow was captured: a `redis-cli MONITOR` file or a recording proxy.
public enum CaptureOrigin: Hashable, Sendable {
    /// `scenarios import` of this file.
    case monitor(file: String)
    /// `record` in front of this upstream (as `Endpoint.description` shows it, without secrets).
    case recording(upstream: String)
}
