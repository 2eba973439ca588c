import ArgumentParser
import Foundation
import RedisAudit

/// The documented exit codes, and how each error maps to one.
enum ExitStatus {
    static let pass: Int32 = 0
    static let findings: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
    static let interrupted: Int32 = 130

    /// Prints the error (never a stack trace, never a password) and returns its exit code.
    static func report(_ error: Error) -> Int32 {
        switch error {
        case let exit as ExitCode:
            return exit.rawValue
        case let error as EndpointError:
            printError(error.description)
            switch error {
            case .invalidURL, .tlsConfiguration: return usage
            case .unreachable, .refused, .commandRefused, .primaryNotFound, .unsuitable: return unreachable
            }
        case let error as InputError:
            printError(error.description)
            return usage
        case is InterruptedError:
            printError(String(describing: error))
            return interrupted
        case let error as UsageError:
            printError(error.message)
            return usage
        default:
            let code = RedisAuditCommand.exitCode(for: error)
            let message = RedisAuditCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return pass
            }
            if !message.isEmpty { printError(message) }
            // Argument errors (ArgumentParser's validation failure) are usage errors.
            return usage
        }
    }

    /// A warning on standard error, in the same form as errors; the run goes on.
    static func printWarning(_ message: String) {
        let label = DiagnosticColour.standardError.paint("warning:", .warning)
        FileHandle.standardError.write(Data(("redisaudit: \(label) " + Endpoint.redactingURLs(in: message) + "\n").utf8))
    }

    static func printError(_ message: String) {
        let label = DiagnosticColour.standardError.paint("error:", .error)
        FileHandle.standardError.write(Data(("redisaudit: \(label) " + Endpoint.redactingURLs(in: message) + "\n").utf8))
    }
}

/// A usage problem found after parsing (a file that cannot be written, ...).
struct UsageError: Error {
    var message: String
}
