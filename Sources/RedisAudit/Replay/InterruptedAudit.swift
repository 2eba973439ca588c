import NIOConcurrencyHelpers

extension Interruption {
    /// Runs an audit that writes into run namespaces. Once interrupted, whatever happens ends in
    /// ``InterruptedError`` with what the cleanup confirmed (keys from `ledger`, temporary users
    /// from `confinement`, released here if the stop landed before the audit could), never in a
    /// report of a half-run audit.
    static func audit(
        _ interruption: Interruption?, runID: String, endpoints: [(role: String, endpoint: Endpoint)],
        options: ConnectionOptions, ledger: CleanupLedger, confinement: NIOLockedValueBox<RunConfinement?>,
        _ body: () async throws -> AuditReport
    ) async throws -> AuditReport {
        do {
            let report = try await body()
            if interruption?.isRequested == true { throw InterruptedError() }
            return report
        } catch  where interruption?.isRequested == true {
            let users = await confinement.withLockedValue { $0 }?.interrupted(endpoints: endpoints, options: options)
            throw InterruptedError(
                cleanup: ledger.interruptedNote(roles: endpoints.map(\.role), runID: runID), confinement: users)
        }
    }
}
