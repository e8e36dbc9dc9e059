import Cancellation
import CancellationTesting
import Testing

/// The bugs asyncio and AnyIO shipped in their primitives, as Swift scenarios. Each ordering of the racing
/// events is forced explicitly, so every test is deterministic.
@Suite("Primitives: asyncio bug scenarios")
struct PrimitivesAsyncioScenarioTests {
    @Test("bpo-27585: the lock is handed to a waiter cancelled at that moment → it runs or passes it on, the next waiter gets it", arguments: [false, true])
    func lockHandedToCancelledWaiter(cancelFirst: Bool) async throws {
        let lock = AsyncLock()
        let ran = Recorder<String>()
        let held = try #require(lock.tryAcquire())
        let a = Task { try await lock.withLock { ran.record("A") } }
        await waitUntil { lock.waiterCount == 1 }
        let b = Task { try await lock.withLock { ran.record("B") } }
        await waitUntil { lock.waiterCount == 2 }
        if cancelFirst {
            a.cancel()
            try lock.release(held)
        } else {
            try lock.release(held)  // A is granted the lock ...
            a.cancel()              // ... and cancelled in the same instant
        }
        let outcomeA = await a.result
        try await b.value
        if cancelFirst {
            #expect(outcomeA.failure is CancellationError)
            #expect(ran.all == ["B"])
        } else {
            // The hand-off won: A held the lock, ran, released it to B.
            #expect(outcomeA.failure == nil)
            #expect(ran.all == ["A", "B"])
        }
        #expect(!lock.isLocked)
        #expect(lock.waiterCount == 0)
    }

    @Test("gh-90155 / bpo-45997: semaphore(0), waiters A and B, one signal, A cancelled before it resumes → A holds the permit or B gets it, never neither", arguments: [false, true])
    func semaphoreSignalRacingCancel(cancelFirst: Bool) async throws {
        let semaphore = AsyncSemaphore(permits: 0)
        let a = Task { try await semaphore.wait() }
        await waitUntil { semaphore.waiterCount == 1 }
        let b = Task { try await semaphore.wait() }
        await waitUntil { semaphore.waiterCount == 2 }
        if cancelFirst {
            a.cancel()
            try semaphore.signal()
        } else {
            try semaphore.signal()
            a.cancel()
        }
        let aHolds = await a.result.failure == nil
        if aHolds {
            // A owns the permit; B still waits for it.
            #expect(semaphore.waiterCount == 1)
            try semaphore.signal()
        }
        try await b.value
        #expect(aHolds == !cancelFirst)
        #expect(semaphore.availablePermits == 0)
        #expect(semaphore.waiterCount == 0)
    }

    @Test("gh-90155: after cancelled waiters, a free permit is never left unclaimed while someone waits")
    func semaphoreNoStrandedWaiter() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.wait()
        // One at a time, so that the queue's order is the tasks' order: tasks started together reach the
        // semaphore in whatever order the executor runs them, and the test signals for tasks[1], then [3].
        var tasks: [Task<Void, any Error>] = []
        for count in 1...4 {
            tasks.append(Task { try await semaphore.wait() })
            await waitUntil { semaphore.waiterCount == count }
        }
        tasks[0].cancel()
        tasks[2].cancel()
        #expect(await tasks[0].result.failure is CancellationError)
        #expect(await tasks[2].result.failure is CancellationError)
        try semaphore.signal()
        try await tasks[1].value
        try semaphore.signal()
        try await tasks[3].value
        try semaphore.signal()
        #expect(semaphore.availablePermits == 1)
    }

    @Test("AnyIO #1145: lock waiters do not deadlock after a waiter is cancelled by a timeout")
    func lockWaitersAfterTimeout() async throws {
        let clock = ManualClock()
        let lock = AsyncLock()
        let held = try #require(lock.tryAcquire())
        let timedOut = Task { try await withTimeout(.seconds(1), clock: clock) { try await lock.withLock { 0 } } }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { lock.waiterCount == 1 }
        let patient = Task { try await lock.withLock { 1 } }
        await waitUntil { lock.waiterCount == 2 }
        clock.advance(by: .seconds(1))
        #expect(await timedOut.result.failure is TimeoutError)
        try lock.release(held)
        #expect(try await patient.value == 1)
        // And the lock keeps working for newcomers.
        #expect(try await lock.withLock { 2 } == 2)
        #expect(!lock.isLocked)
    }

    @Test("gh-112202-style lost wakeup: set() immediately followed by reset() still releases every waiter")
    func eventSetThenReset() async throws {
        let event = AsyncEvent()
        let waiters = (0..<3).map { _ in Task { try await event.wait() } }
        await waitUntil { event.waiterCount == 3 }
        event.set()
        event.reset()
        for waiter in waiters { try await waiter.value }
        #expect(!event.isSet)
    }

    @Test("asyncio.Queue get() cancelled while an item is handed to it → the item is neither lost nor duplicated", arguments: [false, true])
    func queueGetRacingCancel(cancelFirst: Bool) async throws {
        let queue = AsyncQueue<Int>(capacity: 8)
        let a = Task { try await queue.receive() }
        await waitUntil { queue.waiterCount.receivers == 1 }
        if cancelFirst {
            a.cancel()
            await waitUntil { queue.waiterCount.receivers == 0 }
            try queue.trySend(1)
        } else {
            try queue.trySend(1)
            a.cancel()
        }
        var seen: [Int] = []
        if case .success(let element?) = await a.result { seen.append(element) }
        while let element = queue.tryReceive() { seen.append(element) }
        #expect(seen == [1])
    }
}
