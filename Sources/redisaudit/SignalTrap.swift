import Dispatch
import Foundation
import Logging
import RedisAudit

/// Turns the first Ctrl-C (or SIGTERM) into a request to stop after cleaning up; a second one exits at once.
enum SignalTrap {
    /// What an audit that wrote into run namespaces says on the first Ctrl-C.
    static let cleanupNotice = "interrupted: cleaning up the run namespace (press Ctrl-C again to exit at once)"

    static func install(_ interruption: Interruption, logger: Logger, notice: String = cleanupNotice) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if interruption.isRequested { exit(ExitStatus.interrupted) }
                interruption.request()
                logger.notice("\(notice)")
            }
            source.resume()
            return source
        }
    }
}

extension SignalTrap {
    /// Returns once SIGINT or SIGTERM arrives (for commands that run until stopped), or once
    /// `seconds` have passed when given.
    static func waitForTermination(orAfter seconds: Double? = nil) async {
        let queue = DispatchQueue(label: "redisaudit.signals")
        let signals = [SIGINT, SIGTERM]
        let sources = signals.map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: queue)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            for source in sources {
                source.setEventHandler { once.resume() }
                source.resume()
            }
            if let seconds { queue.asyncAfter(deadline: .now() + seconds) { once.resume() } }
        }
        for source in sources { source.cancel() }
    }
}

/// Resumes a continuation the first time only.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func resume() {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }
}
