import Cancellation
import CancellationTesting
import Testing

/// Suspends until `condition` holds. Used only for liveness (to know that a task reached a wait); the
/// outcomes the tests assert never depend on how long this takes.
func waitUntil(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
}

/// A non-`Sendable` piece of state owned by an actor, to prove primitives' bodies run on the caller's actor.
actor LockedAccount {
    var history = Counter()

    func deposit(_ lock: AsyncLock) async throws -> Int {
        try await lock.withLock {
            history.value += 1
            return history.value
        }
    }
}

@Suite("AsyncLock")
struct PrimitivesLockTests {
    @Test("an uncontended withLock runs the body and leaves the lock free; tryAcquire fails while held")
    func uncontended() async throws {
        let lock = AsyncLock()
        let value = try await lock.withLock {
            #expect(lock.isLocked)
            #expect(lock.tryAcquire() == nil)
            return 42
        }
        #expect(value == 42)
        #expect(!lock.isLocked)
    }

    @Test("the lock is released when the body throws")
    func releasedOnThrow() async throws {
        let lock = AsyncLock()
        await #expect(throws: OperationError.self) {
            try await lock.withLock { throw OperationError() }
        }
        #expect(!lock.isLocked)
    }

    @Test("an actor caller's body uses its non-Sendable state under the lock")
    func actorCaller() async throws {
        let lock = AsyncLock()
        let account = LockedAccount()
        #expect(try await account.deposit(lock) == 1)
        #expect(try await account.deposit(lock) == 2)
    }

    @Test("waiters get the lock in FIFO order, one at a time")
    func fifoOrder() async throws {
        let lock = AsyncLock()
        let order = Recorder<Int>()
        let held = try #require(lock.tryAcquire())
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<5 {
            tasks.append(Task {
                try await lock.withLock {
                    order.record(index)
                    #expect(lock.isLocked)
                }
            })
            await waitUntil { lock.waiterCount == index + 1 }
        }
        // The lock is held: a newcomer cannot take it.
        #expect(lock.tryAcquire() == nil)
        try lock.release(held)
        for task in tasks { try await task.value }
        #expect(order.all == [0, 1, 2, 3, 4])
        #expect(!lock.isLocked)
    }

    @Test("a cancelled waiter throws CancellationError, never runs its body, and the lock stays consistent")
    func cancelledWaiter() async throws {
        let lock = AsyncLock()
        let ran = Recorder<String>()
        let held = try #require(lock.tryAcquire())
        let a = Task { try await lock.withLock { ran.record("A") } }
        await waitUntil { lock.waiterCount == 1 }
        let b = Task { try await lock.withLock { ran.record("B") } }
        await waitUntil { lock.waiterCount == 2 }
        a.cancel()
        #expect(await a.result.failure is CancellationError)
        #expect(lock.waiterCount == 1)
        #expect(lock.isLocked)
        try lock.release(held)
        try await b.value
        #expect(ran.all == ["B"])
        #expect(!lock.isLocked)
    }

    @Test("a task cancelled before it asks throws at once and does not take even a free lock")
    func alreadyCancelled() async throws {
        let lock = AsyncLock()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await lock.withLock { 1 }
        }
        #expect(await task.result.failure is CancellationError)
        #expect(!lock.isLocked)
        #expect(try await lock.withLock { 2 } == 2)
    }

    @Test("cleanup in a cancelled task waits for the lock inside withCancellationShield and gets it")
    func shieldedCleanup() async throws {
        let lock = AsyncLock()
        let held = try #require(lock.tryAcquire())
        let cleaned = Recorder<Bool>()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            #expect(await (try? lock.withLock { 0 }) == nil)  // unshielded: refused at once
            try await withCancellationShield {
                try await lock.withLock { cleaned.record(true) }
            }
        }
        await waitUntil { lock.waiterCount == 1 }
        try lock.release(held)
        try await task.value
        #expect(cleaned.all == [true])
        #expect(!lock.isLocked)
    }

    @Test("withTimeout around withLock on a held lock throws TimeoutError and leaves the lock unchanged")
    func timeoutAroundWithLock() async throws {
        let clock = ManualClock()
        let lock = AsyncLock()
        let held = try #require(lock.tryAcquire())
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                try await lock.withLock { 1 }
            }
        }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { lock.waiterCount == 1 }
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        #expect(lock.isLocked)
        #expect(lock.waiterCount == 0)
        try lock.release(held)
        #expect(!lock.isLocked)
    }

    @Test("a cancel scope around acquire: cancelling the scope ends the wait with no effect")
    func cancelScopeAroundAcquire() async throws {
        let lock = AsyncLock()
        let held = try #require(lock.tryAcquire())
        let scopes = Recorder<CancelScope<ContinuousClock>>()
        let task = Task {
            try await withCancelScope { scope in
                scopes.record(scope)
                return try await lock.acquire()
            }
        }
        await waitUntil { lock.waiterCount == 1 && !scopes.all.isEmpty }
        scopes.all[0].cancel()
        #expect(try await task.value == nil)
        #expect(lock.waiterCount == 0)
        try lock.release(held)
        #expect(!lock.isLocked)
    }

    @Test("bad use has a defined answer: releasing twice, a stale or a foreign ownership throws notHeld")
    func badRelease() async throws {
        let lock = AsyncLock()
        let other = AsyncLock()
        let held = try await lock.acquire()
        let foreign = try #require(other.tryAcquire())
        #expect(throws: AsyncLockError.notHeld) { try lock.release(foreign) }
        try lock.release(held)
        #expect(throws: AsyncLockError.notHeld) { try lock.release(held) }
        let again = try #require(lock.tryAcquire())
        #expect(throws: AsyncLockError.notHeld) { try lock.release(held) }
        #expect(lock.isLocked)
        try lock.release(again)
        try other.release(foreign)
    }

    @Test("withLockIfAvailable runs only when the lock is free")
    func ifAvailable() async throws {
        let lock = AsyncLock()
        #expect(await lock.withLockIfAvailable { 1 } == 1)
        let held = try #require(lock.tryAcquire())
        #expect(await lock.withLockIfAvailable { 2 } == nil)
        try lock.release(held)
    }
}

/// Drives a barging scenario on one actor: the woken waiter is isolated to the same actor, so it cannot run
/// until the driver suspends, which makes the interleaving deterministic.
actor BargingDriver {
    private(set) var events: [String] = []

    func record(_ event: String) {
        events.append(event)
    }

    func run() async throws {
        let lock = AsyncLock()
        let held = try #require(lock.tryAcquire())
        let waiter = Task {
            try await lock.withLock { self.record("waiter") }
        }
        while lock.waiterCount == 0 { await Task.yield() }
        try lock.release(held)  // wakes the waiter, which cannot run before this actor suspends
        // A running task takes the free lock before the woken waiter has run: the documented barging.
        let barger = try #require(lock.tryAcquire())
        record("barger")
        #expect(lock.waiterCount == 1)  // the woken waiter still counts as waiting
        try lock.release(barger)        // the waiter is on its way; there is nobody else to wake
        try await waiter.value          // it runs now, finds the lock free and takes it
        #expect(events == ["barger", "waiter"])
        #expect(!lock.isLocked)
        #expect(lock.waiterCount == 0)
    }
}

@Suite("AsyncLock barging")
struct PrimitivesLockBargingTests {
    @Test("a running task may take the lock before a woken waiter has run; the woken waiter then gets it")
    func barging() async throws {
        try await BargingDriver().run()
    }
}
