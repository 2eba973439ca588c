import Dispatch
import Foundation
import Logging
import RedisAudit

/// Turns the first Ctrl-C (or SIGTERM) into a request to stop after cleaning up; a second one exits at once.
enum SignalTrap {
    static func install(_ interruption: Interruption, logger: Logger) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if interruption.isRequested { exit(ExitStatus.interrupted) }
                interruption.request()
                logger.notice("interrupted: cleaning up the run namespace (press Ctrl-C again to exit at once)")
            }
            source.resume()
            return source
        }
    }
}
