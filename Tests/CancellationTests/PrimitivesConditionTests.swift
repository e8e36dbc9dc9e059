@testable import Cancellation
import CancellationTesting
import Testing

@Suite("AsyncCondition")
struct PrimitivesConditionTests {
    /// State guarded by a condition's lock in these tests.
    ///
    /// `@unchecked Sendable` is sound: `items` is read and written only while the test holds the
    /// condition's lock (inside `withLock` bodies and predicates), which orders every access.
    final class Guarded: @unchecked Sendable {
        var items: [Int] = []
    }

    @Test("wait(for:) releases the lock while waiting and returns holding it once the predicate holds")
    func waitForPredicate() async throws {
        let condition = AsyncCondition()
        let guarded = Guarded()
        let consumer = Task {
            try await condition.withLock { held in
                try await condition.wait(for: { !guarded.items.isEmpty }, holding: &held)
                #expect(condition.lock.isLocked)
                return guarded.items.removeFirst()
            }
        }
        await waitUntil { condition.waiterCount == 1 }
        // The waiter released the lock: another task can take it.
        try await condition.withLock { _ in
            guarded.items.append(7)
            #expect(condition.notify() == 1)
        }
        #expect(try await consumer.value == 7)
        #expect(!condition.lock.isLocked)
        #expect(condition.waiterCount == 0)
    }

    @Test("a predicate that already holds returns at once, without waiting or releasing the lock")
    func predicateAlreadyTrue() async throws {
        let condition = AsyncCondition()
        let value = try await condition.withLock { held in
            let before = held
            try await condition.wait(for: { true }, holding: &held)
            #expect(held == before)
            return 1
        }
        #expect(value == 1)
    }

    @Test("notify wakes waiters in FIFO order, up to count; notifyAll wakes the rest; counts are returned")
    func notifyOrder() async throws {
        let condition = AsyncCondition()
        let order = Recorder<Int>()
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<5 {
            tasks.append(Task {
                try await condition.withLock { held in
                    try await condition.wait(holding: &held)
                    order.record(index)
                }
            })
            await waitUntil { condition.waiterCount == index + 1 }
        }
        #expect(condition.notify() == 1)
        await waitUntil { order.all.count == 1 }
        #expect(condition.notify(2) == 2)
        await waitUntil { order.all.count == 3 }
        #expect(condition.notify(0) == 0)
        #expect(condition.notifyAll() == 2)
        for task in tasks { try await task.value }
        #expect(order.all.prefix(3) == [0, 1, 2])
        #expect(Set(order.all) == Set(0..<5))
        #expect(condition.notify() == 0)
        #expect(!condition.lock.isLocked)
    }

    @Test("a cancelled wait takes the lock again before it throws, and consumed no notification")
    func cancelledWaitReacquires() async throws {
        let condition = AsyncCondition()
        let heldAfterThrow = Recorder<Bool>()
        let task = Task {
            try await condition.withLock { held in
                do {
                    try await condition.wait(holding: &held)
                } catch {
                    heldAfterThrow.record(condition.lock.holds(held))
                    throw error
                }
            }
        }
        await waitUntil { condition.waiterCount == 1 }
        let mine = try await condition.lock.acquire()
        task.cancel()
        #expect(condition.waiterCount == 0)
        // The cancelled waiter now waits for the lock, which this test holds.
        await waitUntil { condition.lock.waiterCount == 1 }
        #expect(heldAfterThrow.all.isEmpty)
        try condition.lock.release(mine)
        #expect(await task.result.failure is CancellationError)
        #expect(heldAfterThrow.all == [true])
        #expect(!condition.lock.isLocked)
        #expect(condition.notify() == 0)
    }

    @Test("a task cancelled before it waits throws at once, never releasing the lock")
    func alreadyCancelled() async throws {
        let condition = AsyncCondition()
        let task = Task {
            try await condition.withLock { held in
                withUnsafeCurrentTask { $0?.cancel() }
                let before = held
                do {
                    try await condition.wait(holding: &held)
                } catch {
                    #expect(held == before)
                    #expect(condition.lock.holds(held))
                    throw error
                }
            }
        }
        #expect(await task.result.failure is CancellationError)
        #expect(condition.waiterCount == 0)
        #expect(!condition.lock.isLocked)
    }

    @Test("gh-112202: notify racing a cancelled waiter never loses the notification", arguments: [false, true])
    func notifyRacingCancel(cancelFirst: Bool) async throws {
        let condition = AsyncCondition()
        let woken = Recorder<String>()
        func waiter(_ name: String) -> Task<Void, any Error> {
            Task {
                try await condition.withLock { held in
                    try await condition.wait(holding: &held)
                    woken.record(name)
                }
            }
        }
        let a = waiter("A")
        await waitUntil { condition.waiterCount == 1 }
        let b = waiter("B")
        await waitUntil { condition.waiterCount == 2 }
        if cancelFirst {
            a.cancel()                           // A leaves the queue ...
            #expect(condition.notify() == 1)     // ... so the notification goes to B
            try await b.value
            #expect(await a.result.failure is CancellationError)
            #expect(woken.all == ["B"])
        } else {
            #expect(condition.notify() == 1)     // A is notified ...
            a.cancel()                           // ... and cancelled in the same instant: the notification wins
            try await a.value
            #expect(woken.all == ["A"])
            #expect(condition.waiterCount == 1)  // B still waits for a notification of its own
            #expect(condition.notify() == 1)
            try await b.value
        }
        #expect(!condition.lock.isLocked)
    }

    @Test("withTimeout around wait throws TimeoutError with the lock held again")
    func timeoutAroundWait() async throws {
        let clock = ManualClock()
        let condition = AsyncCondition()
        let task = Task {
            try await condition.withLock { held in
                do {
                    try await withTimeout(.seconds(1), clock: clock) {
                        try await condition.wait(holding: &held)
                    }
                } catch {
                    #expect(condition.lock.holds(held))
                    throw error
                }
            }
        }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { condition.waiterCount == 1 }
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        #expect(condition.waiterCount == 0)
        #expect(!condition.lock.isLocked)
    }

    @Test("waiting with an ownership that does not hold the lock throws notHeld and changes nothing")
    func waitNotHeld() async throws {
        let condition = AsyncCondition()
        let other = AsyncLock()
        var foreign = try #require(other.tryAcquire())
        await #expect(throws: AsyncLockError.notHeld) { try await condition.wait(holding: &foreign) }
        var stale = try #require(condition.lock.tryAcquire())
        try condition.lock.release(stale)
        await #expect(throws: AsyncLockError.notHeld) { try await condition.wait(holding: &stale) }
        #expect(condition.waiterCount == 0)
        #expect(!condition.lock.isLocked)
        #expect(other.isLocked)
        try other.release(foreign)
    }

    @Test("conditions sharing one lock notify independently")
    func sharedLock() async throws {
        let lock = AsyncLock()
        let notEmpty = AsyncCondition(lock: lock)
        let notFull = AsyncCondition(lock: lock)
        let task = Task {
            try await notEmpty.withLock { held in try await notEmpty.wait(holding: &held) }
        }
        await waitUntil { notEmpty.waiterCount == 1 }
        #expect(notFull.notify() == 0)
        #expect(notEmpty.waiterCount == 1)
        #expect(notEmpty.notify() == 1)
        try await task.value
        #expect(!lock.isLocked)
    }

    // MARK: State machine

    @Test("state machine: FIFO notifications skip cancelled waiters; a cancellation before registration is remembered")
    func stateMachine() {
        var machine = AsyncConditionStateMachine<String>()
        let a = machine.reserve(), b = machine.reserve(), c = machine.reserve(), d = machine.reserve()
        #expect(machine.register(a, "A") == .suspended)
        #expect(machine.register(b, "B") == .suspended)
        guard case .none = machine.cancel(c) else { Issue.record("C is not queued yet"); return }
        #expect(machine.register(c, "C") == .resumeCancelled)
        #expect(machine.register(d, "D") == .suspended)
        guard case .resumeCancelled("A") = machine.cancel(a) else { Issue.record("A should be removed"); return }
        let first = machine.notify(1)
        #expect(first.notified == 1 && first.resume == "B")
        guard case .none = machine.cancel(b) else { Issue.record("B was notified; its cancellation does nothing"); return }
        // D is notified, but resumed only once B holds the lock again.
        let second = machine.notify(5)
        #expect(second.notified == 1 && second.resume == nil)
        #expect(machine.reacquired() == "D")
        #expect(machine.reacquired() == nil)
        let none = machine.notify(1)
        #expect(none.notified == 0 && none.resume == nil)
        #expect(machine.notifyAll().notified == 0)
        #expect(machine.waiters.isEmpty && machine.handOff.isEmpty && !machine.handOffInProgress)
        #expect(machine.registrations.pendingCount == 0)
    }

    @Test("state machine: notified waiters are resumed one at a time, in notification order, each after the one before took the lock")
    func handOffOrder() {
        var machine = AsyncConditionStateMachine<String>()
        for name in ["A", "B", "C", "D"] {
            #expect(machine.register(machine.reserve(), name) == .suspended)
        }
        let all = machine.notifyAll()
        #expect(all.notified == 4 && all.resume == "A")
        #expect(machine.notify(1).notified == 0)  // nobody left waiting
        var resumed = ["A"]
        while let next = machine.reacquired() { resumed.append(next) }
        #expect(resumed == ["A", "B", "C", "D"])
        #expect(!machine.handOffInProgress)
    }

    // MARK: Stress

    /// Outcomes of the stress test's waits and notifications.
    final class Outcomes: Sendable {
        private let state = LockedValue<(notified: Int, returned: Int, cancelled: Int, finished: Int)>((0, 0, 0, 0))

        func notified(_ count: Int) { state.withLock { $0.notified += count } }
        func returned() { state.withLock { $0.returned += 1 } }
        func cancelled() { state.withLock { $0.cancelled += 1 } }
        func finished() { state.withLock { $0.finished += 1 } }
        var summary: (notified: Int, returned: Int, cancelled: Int, finished: Int) { state.withLock { $0 } }
    }

    @Test("stress: with random cancellations and timeouts, every notification wakes exactly one waiter that returns normally", .timeLimit(.minutes(5)), arguments: [UInt64(51), 52])
    func stress(seed: UInt64) async throws {
        var generator = SplitMix64(state: seed)
        let waitersPerRound = 8
        var totalReturned = 0, totalCancelled = 0
        for _ in 0..<100 {
            let condition = AsyncCondition()
            let outcomes = Outcomes()
            let tasks = (0..<waitersPerRound).map { _ in
                let timeout = PrimitivesStressTests.randomTimeout(using: &generator)
                return Task {
                    defer { outcomes.finished() }
                    let returned = try await PrimitivesStressTests.attempt(timeout) {
                        try await condition.withLock { held in
                            do {
                                try await condition.wait(holding: &held)
                            } catch {
                                // Cancelled or not, the wait ends holding the lock.
                                if !condition.lock.holds(held) { Issue.record("a cancelled wait returned without the lock") }
                                throw error
                            }
                            if !condition.lock.holds(held) { Issue.record("a wait returned without the lock") }
                        }
                    }
                    if returned { outcomes.returned() } else { outcomes.cancelled() }
                }
            }
            for _ in 0..<Int.random(in: 0...16, using: &generator) {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: tasks[Int.random(in: 0..<waitersPerRound, using: &generator)].cancel()
                case 1: await Task.yield()
                default: outcomes.notified(condition.notify())
                }
            }
            // Wake whoever is left until every waiter has ended.
            while outcomes.summary.finished < waitersPerRound {
                outcomes.notified(condition.notifyAll())
                await Task.yield()
            }
            for task in tasks { try await task.value }
            let summary = outcomes.summary
            #expect(summary.notified == summary.returned)
            #expect(summary.returned + summary.cancelled == waitersPerRound)
            #expect(condition.waiterCount == 0)
            #expect(!condition.lock.isLocked)
            totalReturned += summary.returned
            totalCancelled += summary.cancelled
        }
        #expect(totalReturned > 0)
        #expect(totalCancelled > 0)
    }
}
