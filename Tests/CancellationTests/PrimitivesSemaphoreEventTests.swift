import Cancellation
import CancellationTesting
import Testing

@Suite("AsyncSemaphore")
struct PrimitivesSemaphoreTests {
    @Test("permits are taken without suspending while available, and waiters are served in FIFO order")
    func fifo() async throws {
        let semaphore = AsyncSemaphore(permits: 2)
        try await semaphore.wait()
        #expect(semaphore.tryWait())
        #expect(!semaphore.tryWait())
        let order = Recorder<Int>()
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<4 {
            tasks.append(Task {
                try await semaphore.wait()
                order.record(index)
            })
            await waitUntil { semaphore.waiterCount == index + 1 }
        }
        // One permit at a time, waiting for its waiter to run: the order in which the waiters *record* is
        // then the order in which they were granted (with all four signalled at once, the woken tasks
        // would race each other to record).
        for granted in 1...4 {
            try semaphore.signal()
            await waitUntil { order.all.count == granted }
        }
        for task in tasks { try await task.value }
        #expect(order.all == [0, 1, 2, 3])
        #expect(semaphore.availablePermits == 0)
    }

    @Test("withPermit returns the permit when the body returns or throws")
    func withPermit() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        #expect(try await semaphore.withPermit { semaphore.availablePermits } == 0)
        await #expect(throws: OperationError.self) {
            try await semaphore.withPermit { throw OperationError() }
        }
        #expect(semaphore.availablePermits == 1)
    }

    @Test("a cancelled waiter takes no permit; the permit goes to the next waiter")
    func cancelledWaiter() async throws {
        let semaphore = AsyncSemaphore(permits: 0)
        let a = Task { try await semaphore.wait() }
        await waitUntil { semaphore.waiterCount == 1 }
        let b = Task { try await semaphore.wait() }
        await waitUntil { semaphore.waiterCount == 2 }
        a.cancel()
        #expect(await a.result.failure is CancellationError)
        try semaphore.signal()
        try await b.value
        #expect(semaphore.availablePermits == 0)
        #expect(semaphore.waiterCount == 0)
    }

    @Test("signalling past the bound throws overflow and changes nothing")
    func overflow() throws {
        let bounded = AsyncSemaphore(permits: 1, maximum: 1)
        #expect(throws: AsyncSemaphoreError.overflow) { try bounded.signal() }
        #expect(bounded.availablePermits == 1)
        #expect(bounded.tryWait())
        try bounded.signal()
        #expect(bounded.availablePermits == 1)
    }

    @Test("withTimeout around wait throws TimeoutError and takes no permit")
    func timeout() async throws {
        let clock = ManualClock()
        let semaphore = AsyncSemaphore(permits: 0)
        let task = Task { try await withTimeout(.seconds(1), clock: clock) { try await semaphore.wait() } }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { semaphore.waiterCount == 1 }
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        try semaphore.signal()
        #expect(semaphore.availablePermits == 1)
    }
}

@Suite("AsyncEvent")
struct PrimitivesEventTests {
    @Test("wait returns at once when set, and set releases every waiter")
    func setReleasesAll() async throws {
        let event = AsyncEvent()
        let tasks = (0..<4).map { _ in Task { try await event.wait() } }
        await waitUntil { event.waiterCount == 4 }
        event.set()
        for task in tasks { try await task.value }
        #expect(event.isSet)
        try await event.wait()
        event.reset()
        #expect(!event.isSet)
    }

    @Test("a cancelled waiter throws; the others are still released")
    func cancelledWaiter() async throws {
        let event = AsyncEvent()
        let a = Task { try await event.wait() }
        let b = Task { try await event.wait() }
        await waitUntil { event.waiterCount == 2 }
        a.cancel()
        #expect(await a.result.failure is CancellationError)
        #expect(event.waiterCount == 1)
        event.set()
        try await b.value
    }

    @Test("withTimeout around wait throws TimeoutError")
    func timeout() async throws {
        let clock = ManualClock()
        let event = AsyncEvent()
        let task = Task { try await withTimeout(.seconds(1), clock: clock) { try await event.wait() } }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { event.waiterCount == 1 }
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        #expect(event.waiterCount == 0)
    }
}
