import Logging
import RedisAudit

/// Writes a proxy's events to standard error from a task of its own, so a slow standard error
/// never holds an event loop: `proxy` and `record` print fault firings the same way.
struct ProxyEventPrinter {
    /// What the proxy is given; nil when no event is wanted (with -q, or without rules unless -v),
    /// so none is made.
    let observer: (@Sendable (ProxyEvent) -> Void)?
    private let sink: AsyncStream<ProxyEvent>.Continuation
    private let printer: Task<Void, Never>

    init(quiet: Bool, verbose: Bool, hasRules: Bool, logger: Logger) {
        let (events, sink) = AsyncStream.makeStream(of: ProxyEvent.self)
        self.sink = sink
        printer = Task { for await event in events { Proxy.log(event, to: logger) } }
        if !quiet && (verbose || hasRules) {
            observer = { event in sink.yield(event) }
        } else {
            observer = nil
        }
    }

    /// Prints what is left, once the proxy stopped.
    func finish() async {
        sink.finish()
        await printer.value
    }
}
