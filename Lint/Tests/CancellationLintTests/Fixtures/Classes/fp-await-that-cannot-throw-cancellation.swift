// False-positive class: a catch-all around an `await` whose callee cannot throw `CancellationError`. The
// callee, declared in the same file, never suspends: it wraps synchronous work (blocking I/O) in an async
// API, so the only errors are its own.

struct Store {
    func read(_ name: String) async throws -> Data {
        try FileHandle(forReadingFrom: url(name)).readToEnd() ?? Data()
    }

    func load(_ name: String) async -> Data? {
        do {
            return try await read(name)
        } catch {
            return nil
        }
    }

    // A callee that suspends can throw the cancellation: reported.
    func fetch(_ name: String) async throws -> Data {
        try await client.get(name)
    }

    func loadRemote(_ name: String) async -> Data? {
        do {
            return try await fetch(name)
        } catch {  // EXPECT: catch-all-fallback
            return nil
        }
    }

    // A callee that throws cancellation itself: reported.
    func checked() async throws -> Int {
        try Task.checkCancellation()
        return 1
    }

    func loadChecked() async -> Int {
        do {
            return try await checked()
        } catch {  // EXPECT: catch-all-fallback
            return 0
        }
    }
}
