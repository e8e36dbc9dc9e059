// Miss class: a function whose name merely contains a teardown word ("cleanup", "stop", "close",
// "shutdown", "cancel") was taken for a shutdown path, and its swallowed cancellation went unreported.
// Teardown is decided by structure now: `defer`, `deinit`, `onCancel:`, a shield, an XCTest `tearDown`
// override, or a function called only from those.

final class Poller {
    func stopPolling() async {
        while true {
            do {
                try await fetchNext()
            } catch {  // EXPECT: swallowed-cancellation-loop
                print("poll failed: \(error)")
            }
        }
    }

    func cleanupExpiredSessions() async -> Int {
        do {
            return try await store.deleteExpired()
        } catch {  // EXPECT: catch-all-fallback
            return 0
        }
    }

    func cancelPendingUploads() async {
        try? await Task.sleep(for: .seconds(1))  // EXPECT: try-sleep
        await uploader.flush()
    }

    // Teardown by structure: a private function called only from a `defer`.
    private func releaseResources() async {
        do { try await connection.close() } catch { print("close failed") }
        await pool.drain()
    }

    func run() async {
        defer { Task { await releaseResources() } }
        await work()
    }

    deinit {
        Task { [connection] in
            do { try await connection.close() } catch { print("close failed") }
            await pool.drain()
        }
    }
}

func fetchNext() async throws { try await Task.sleep(for: .seconds(1)) }
