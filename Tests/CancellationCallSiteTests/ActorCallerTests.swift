import Cancellation
import Testing

/// A custom actor caller: a cache whose operations read and return its own entries.
actor DocumentCache {
    var entries: [String: Document] = [:]
    let lock = AsyncLock()
    let semaphore = AsyncSemaphore(permits: 2)

    /// Get-or-create under a lock, the shape that needs the caller's state to come out of the body.
    func document(named name: String) async throws -> Document {
        try await lock.withLock {
            if let existing = entries[name] { return existing }
            await Task.yield()
            self.preconditionIsolated()
            let created = Document(name)
            entries[name] = created
            return created
        }
    }

    /// Read an entry under a time limit; `nil` only if the limit expired.
    func cached(_ name: String) async -> Document? {
        await withTimeoutOrNil(generous) { entries[name] }?.flatMap { $0 }
    }

    /// Each form returns the stored entry itself, read on the actor after a suspension.
    func ownStateFromEveryForm() async throws -> [String: Bool] {
        let stored = try await document(named: "stored")
        var same: [String: Bool] = [:]
        same["withTimeout"] = try await withTimeout(generous) {
            await Task.yield()
            self.preconditionIsolated()
            return entries["stored"]
        } === stored
        same["withTimeout(at:) scope"] = try await withTimeout(at: generousDeadline()) { _ in entries["stored"] } === stored
        same["withTimeoutOrNil"] = await cached("stored") === stored
        same["withCancelScope"] = await withCancelScope { _ in entries["stored"] }?.flatMap { $0 } === stored
        same["withCancellationShield"] = await withCancellationShield {
            await Task.yield()
            self.preconditionIsolated()
            return entries["stored"]
        } === stored
        same["withCancellationShield(timeout:)"] = try await withCancellationShield(timeout: generous) { entries["stored"] } === stored
        same["withLockIfAvailable"] = await lock.withLockIfAvailable { entries["stored"] }?.flatMap { $0 } === stored
        same["withPermit"] = try await semaphore.withPermit { entries["stored"] } === stored
        return same
    }

    /// Gets or creates the entry `name`.
    func touch(_ name: String) async throws {
        _ = try await document(named: name)
    }

    /// How many entries the cache holds, and whether `name` is one of them.
    func summary(of name: String) async -> (count: Int, hasEntry: Bool) {
        (entries.count, await cached(name) != nil)
    }

    /// A race from an actor: the winner is a fresh non-`Sendable` value, `sending` into the actor.
    func raced() async throws -> String {
        let winner = try await firstResult(of: { Document("first") }, { Document("second") })
        entries["winner"] = winner
        return winner.text
    }
}

@Suite("Call sites: a custom actor caller")
struct ActorCallerTests {
    @Test("every scoped form returns the actor's own state, read on the actor")
    func ownState() async throws {
        let failures = allTrue(try await DocumentCache().ownStateFromEveryForm())
        #expect(failures.isEmpty, "not the actor's own object: \(failures)")
    }

    @Test("get-or-create under a lock stores once and hands back the stored entry")
    func getOrCreate() async throws {
        let cache = DocumentCache()
        async let a: Void = cache.touch("k")
        async let b: Void = cache.touch("k")
        _ = try await (a, b)
        let summary = await cache.summary(of: "k")
        #expect(summary.count == 1)
        #expect(summary.hasEntry)
    }

    @Test("a race's fresh winner can be kept by the actor")
    func race() async throws {
        let text = try await DocumentCache().raced()
        #expect(["first", "second"].contains(text))
    }
}
