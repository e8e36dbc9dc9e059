import Cancellation
import Testing

/// A main-actor caller, such as a view model: its operations read and return its own state.
@MainActor
final class Editor {
    var document = Document("draft")
    var documents: [String: Document] = [:]
    let lock = AsyncLock()
    let semaphore = AsyncSemaphore(permits: 1)
    let condition = AsyncCondition()

    /// Each form returns `document` itself; the operation suspends first, so it must come back to the
    /// main actor to read it.
    func ownStateFromEveryForm() async throws -> [String: Bool] {
        var same: [String: Bool] = [:]
        same["withTimeout"] = try await withTimeout(generous) {
            await Task.yield()
            MainActor.preconditionIsolated()
            return self.document
        } === document
        same["withTimeout(at:)"] = try await withTimeout(at: generousDeadline()) { document } === document
        same["withTimeout scope"] = try await withTimeout(generous) { scope in
            scope.deadline = scope.deadline  // the handle is usable here
            return document
        } === document
        same["withTimeoutOrNil"] = await withTimeoutOrNil(generous) { document } === document
        same["withTimeoutOrNil(at:)"] = await withTimeoutOrNil(at: generousDeadline()) { document } === document
        same["withCancelScope"] = await withCancelScope { _ in document } === document
        same["withCancellationShield"] = await withCancellationShield {
            await Task.yield()
            MainActor.preconditionIsolated()
            return document
        } === document
        same["withCancellationShield(timeout:)"] = try await withCancellationShield(timeout: generous) { document } === document
        same["withLock"] = try await lock.withLock { document } === document
        same["withLockIfAvailable"] = await lock.withLockIfAvailable { document } === document
        same["withPermit"] = try await semaphore.withPermit { document } === document
        same["AsyncCondition.withLock"] = try await condition.withLock { _ in document } === document
        return same
    }

    /// Get-or-create under a lock: the value may be the caller's existing entry or a new one.
    func document(named name: String) async throws -> Document {
        try await lock.withLock {
            if let existing = documents[name] { return existing }
            let created = Document(name)
            documents[name] = created
            return created
        }
    }

    /// Operations that return nothing: statements, with no unused-result warning, and the move-on forms
    /// report completion as `Bool`.
    func voidForms() async throws -> (timeoutOrNil: Bool, cancelScope: Bool) {
        try await withTimeout(generous) { document.text += "1" }
        try await withTimeout(generous) { document.text.count }  // a value nobody needs: discardable
        try await withCancellationShield(timeout: generous) { document.text.count }
        await withCancellationShield { document.text += "2" }
        let completed = await withTimeoutOrNil(generous) { document.text += "3" }
        let finished = await withCancelScope { _ in document.text += "4" }
        await withTimeoutOrNil(generous) { document.text += "5" }  // discardable too
        return (completed, finished)
    }

    /// A fresh value leaves the operation as before.
    func freshValue() async throws -> Document {
        try await withTimeout(generous) { Document("fresh") }
    }
}

@Suite("Call sites: a @MainActor caller")
@MainActor
struct MainActorCallerTests {
    @Test("every scoped form returns the caller's own state, read on the main actor")
    func ownState() async throws {
        let editor = Editor()
        let failures = allTrue(try await editor.ownStateFromEveryForm())
        #expect(failures.isEmpty, "not the caller's own object: \(failures)")
    }

    @Test("get-or-create under a lock hands back the stored entry the second time")
    func getOrCreate() async throws {
        let editor = Editor()
        let first = try await editor.document(named: "a")
        let second = try await editor.document(named: "a")
        #expect(first === second)
        #expect(editor.documents["a"] === first)
    }

    @Test("Void operations: statements without warnings, completion as Bool")
    func voidOperations() async throws {
        let editor = Editor()
        let (completed, finished) = try await editor.voidForms()
        #expect(completed)
        #expect(finished)
        #expect(editor.document.text == "draft12345")
    }

    @Test("fresh values come out as before")
    func fresh() async throws {
        #expect(try await Editor().freshValue().text == "fresh")
    }
}
