import Cancellation
import CancellationTesting
import Testing

// Callers without an actor: a plain nonisolated async function, a `nonisolated(nonsending)` one (which runs
// on whatever isolation its caller has), and a task-group child. Their state lives in the task's region.

/// A nonisolated caller hands its own object in and gets the same object back from every form.
func nonisolatedCaller() async throws -> [String: Bool] {
    let document = Document("local")
    let lock = AsyncLock()
    var same: [String: Bool] = [:]
    same["withTimeout"] = try await withTimeout(generous) { document } === document
    same["withTimeoutOrNil"] = await withTimeoutOrNil(generous) { document } === document
    same["withCancelScope"] = await withCancelScope { _ in document } === document
    same["withCancellationShield"] = await withCancellationShield { document } === document
    same["withLock"] = try await lock.withLock { document } === document
    document.text += " (still mine)"  // the caller keeps using it afterwards
    return same
}

/// A `nonisolated(nonsending)` caller: its operations run on its caller's isolation.
nonisolated(nonsending) func nonsendingCaller(_ document: Document) async throws -> [String: Bool] {
    var same: [String: Bool] = [:]
    same["withTimeout"] = try await withTimeout(generous) {
        await Task.yield()
        return document
    } === document
    same["withTimeoutOrNil"] = await withTimeoutOrNil(generous) { document } === document
    same["withCancelScope"] = await withCancelScope { _ in document } === document
    same["withCancellationShield"] = await withCancellationShield { document } === document
    return same
}

@Suite("Call sites: nonisolated callers")
struct NonisolatedCallerTests {
    @Test("a nonisolated caller gets its own object back")
    func nonisolated() async throws {
        let failures = allTrue(try await nonisolatedCaller())
        #expect(failures.isEmpty, "not the caller's own object: \(failures)")
    }

    @Test("a nonisolated(nonsending) caller, called from the main actor, keeps the main actor's object")
    @MainActor
    func nonsendingFromMainActor() async throws {
        let document = Document("main")
        let failures = allTrue(try await nonsendingCaller(document))
        #expect(failures.isEmpty, "not the caller's own object: \(failures)")
        document.text = "still usable on the main actor"
    }

    @Test("a task-group child gets its own object back")
    func taskGroupChild() async throws {
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let document = Document("child \(index)")
                    let back = try await withTimeout(generous) { document }
                    let moved = await withTimeoutOrNil(generous) { back }
                    return back === document && moved === document
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }
}

@Suite("Call sites: races")
struct RaceCallSiteTests {
    @Test("the array forms take lists built with map, closures need no annotation; literals use the variadic forms")
    func arrayAndVariadicForms() async throws {
        let names = ["a", "b", "c"]
        let first = try await firstResult(of: names.map { name in { name.uppercased() } })
        let success = try await firstSuccess(of: names.map { name in { name + name } })
        let outcomes = await gather(timeout: generous, of: names.map { name in { name.count } })
        let literal = try await firstResult(of: { 1 }, { 2 })
        #expect(names.map { $0.uppercased() }.contains(first))
        #expect(names.map { $0 + $0 }.contains(success))
        #expect(outcomes.compactMap(\.value) == [1, 1, 1])
        #expect([1, 2].contains(literal))
    }
}

@Suite("Call sites: typed throws")
struct TypedThrowsTests {
    @Test("the move-on forms and shields throw the operation's own error type")
    func typedErrors() async {
        // Each `catch` binds `error` as `ParseError`: the forms keep the operation's error type.
        do {
            _ = try await withTimeoutOrNil(generous) { () throws(ParseError) -> Int in throw ParseError(line: 1) }
        } catch {
            #expect(error == ParseError(line: 1))
        }
        do {
            try await withCancelScope { (_) throws(ParseError) in throw ParseError(line: 2) }
        } catch {
            #expect(error == ParseError(line: 2))
        }
        do {
            try await withCancellationShield { () throws(ParseError) in throw ParseError(line: 3) }
        } catch {
            #expect(error == ParseError(line: 3))
        }
        do {
            try await AsyncLock().withLockIfAvailable { () throws(ParseError) in throw ParseError(line: 4) }
        } catch {
            #expect(error == ParseError(line: 4))
        }
    }

    @Test("an operation that cannot throw makes the move-on forms non-throwing")
    func nonThrowing() async {
        // No `try`: with a non-throwing operation these calls cannot throw.
        let value = await withTimeoutOrNil(generous) { 42 }
        let completed = await withCancelScope { _ in }
        let shielded = await withCancellationShield { "kept" }
        #expect(value == 42)
        #expect(completed)
        #expect(shielded == "kept")
    }

    @Test("a move-on form reports a fired deadline as nil or false, not as an error")
    func firedDeadline() async throws {
        let clock = ManualClock()
        async let value = withTimeoutOrNil(.seconds(1), clock: clock) { () async throws -> Int in
            try await clock.sleep(for: .seconds(5))
            return 1
        }
        async let completed = withTimeoutOrNil(.seconds(1), clock: clock) { () async throws in
            try await clock.sleep(for: .seconds(5))
        }
        try await clock.waitForSleepers(count: 2)
        try await clock.waitForTimers(count: 2)
        clock.advance(by: .seconds(1))
        #expect(try await value == nil)
        #expect(try await completed == false)
    }
}

@Suite("Call sites: clocks")
struct ClockIdentityTests {
    /// What SE-0526's `withDeadline` asks of a clock.
    func identity<C: Clock & Identifiable>(of clock: C) -> C.ID {
        clock.id
    }

    @Test("ManualClock is Identifiable: each clock is itself")
    func manualClockIdentity() {
        let first = ManualClock()
        let second = ManualClock()
        #expect(identity(of: first) == identity(of: first))
        #expect(identity(of: first) != identity(of: second))
    }
}
