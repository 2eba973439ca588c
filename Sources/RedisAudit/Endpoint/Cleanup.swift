/// Runs `body`, then awaits `cleanup` whether `body` returned or threw: the asynchronous `defer`
/// for connections, catalogs and proxies, so a close has finished before the caller goes on
/// instead of being left to a detached task.
func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    let value: T
    do {
        value = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return value
}
