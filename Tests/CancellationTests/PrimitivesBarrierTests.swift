@testable import Cancellation
import CancellationTesting
import Testing

@Suite("AsyncBarrier")
struct PrimitivesBarrierTests {
    @Test("the last arrival trips the barrier: everybody proceeds, each with its own arrival index; the barrier is reusable")
    func tripAndReuse() async throws {
        let barrier = AsyncBarrier(parties: 3)
        for _ in 0..<2 {
            let first = Task { try await barrier.wait() }
            await waitUntil { barrier.waiterCount == 1 }
            let second = Task { try await barrier.wait() }
            await waitUntil { barrier.waiterCount == 2 }
            #expect(try await barrier.wait() == 2)
            #expect(try await first.value == 0)
            #expect(try await second.value == 1)
            #expect(barrier.waiterCount == 0)
        }
        #expect(!barrier.isBroken)
        #expect(try await AsyncBarrier(parties: 1).wait() == 0)
    }

    @Test("a cancelled waiter withdraws: it is not counted, and the barrier still needs all parties")
    func cancelledWaiterWithdraws() async throws {
        let barrier = AsyncBarrier(parties: 2)
        let a = Task { try await barrier.wait() }
        await waitUntil { barrier.waiterCount == 1 }
        a.cancel()
        #expect(await a.result.failure is CancellationError)
        #expect(barrier.waiterCount == 0)
        #expect(!barrier.isBroken)
        let b = Task { try await barrier.wait() }
        await waitUntil { barrier.waiterCount == 1 }  // B alone does not trip it
        #expect(try await barrier.wait() == 1)
        #expect(try await b.value == 0)
    }

    @Test("a task cancelled before it waits throws at once and does not arrive")
    func alreadyCancelled() async throws {
        let barrier = AsyncBarrier(parties: 1)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await barrier.wait()
        }
        #expect(await task.result.failure is CancellationError)
        #expect(try await barrier.wait() == 0)
    }

    @Test("abort fails waiting and later waits with broken until reset; reset fails the pending waits and mends the barrier")
    func abortAndReset() async throws {
        let barrier = AsyncBarrier(parties: 3)
        let a = Task { try await barrier.wait() }
        await waitUntil { barrier.waiterCount == 1 }
        barrier.abort()
        #expect(await a.result.failure as? AsyncBarrierError == .broken)
        #expect(barrier.isBroken)
        await #expect(throws: AsyncBarrierError.broken) { try await barrier.wait() }
        barrier.reset()
        #expect(!barrier.isBroken)
        let b = Task { try await barrier.wait() }
        await waitUntil { barrier.waiterCount == 1 }
        barrier.reset()  // pending waits fail, the barrier stays usable
        #expect(await b.result.failure as? AsyncBarrierError == .broken)
        #expect(!barrier.isBroken)
        #expect(barrier.waiterCount == 0)
    }

    @Test("withTimeout around wait throws TimeoutError and withdraws the arrival")
    func timeoutAroundWait() async throws {
        let clock = ManualClock()
        let barrier = AsyncBarrier(parties: 2)
        let task = Task { try await withTimeout(.seconds(1), clock: clock) { try await barrier.wait() } }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { barrier.waiterCount == 1 }
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        #expect(barrier.waiterCount == 0)
    }

    @Test("state machine: a trip wins over a simultaneous cancellation; a cancellation before registration withdraws")
    func stateMachine() {
        var machine = AsyncBarrierStateMachine<String>(parties: 3)
        guard case .wait(let a) = machine.arrive(), case .wait(let b) = machine.arrive() else { Issue.record("expected to wait"); return }
        guard case .suspended = machine.register(a, "A") else { Issue.record("A should wait"); return }
        guard case .none = machine.cancel(b) else { Issue.record("B is not queued yet"); return }
        guard case .resumeCancelled = machine.register(b, "B") else { Issue.record("B withdrew"); return }
        guard case .wait(let c) = machine.arrive(), case .suspended = machine.register(c, "C") else { Issue.record("C should wait: B withdrew"); return }
        guard case .trip(let index, let released) = machine.arrive() else { Issue.record("the third arrival trips"); return }
        #expect(index == 2)
        #expect(released.map(\.token) == ["A", "C"])
        #expect(released.map(\.index) == [0, 1])
        guard case .none = machine.cancel(a) else { Issue.record("A was released; its cancellation does nothing"); return }
        #expect(machine.waiters.isEmpty)
        #expect(machine.registrations.pendingCount == 0)
    }

    /// Arrival indices returned by the stress test's waits.
    final class Indices: Sendable {
        private let state = LockedValue<(indices: [Int], failures: Int)>(([], 0))

        func returned(_ index: Int) { state.withLock { $0.indices.append(index) } }
        func failed() { state.withLock { $0.failures += 1 } }
        var summary: (indices: [Int], failures: Int) { state.withLock { $0 } }
    }

    @Test("stress: with random cancellations and timeouts, every trip releases exactly `parties` tasks with distinct indices", .timeLimit(.minutes(5)), arguments: [UInt64(61), 62])
    func stress(seed: UInt64) async throws {
        var generator = SplitMix64(state: seed)
        let parties = 3, tasksPerRound = 10
        var totalReturned = 0, totalFailed = 0
        for _ in 0..<100 {
            let barrier = AsyncBarrier(parties: parties)
            let indices = Indices()
            let tasks = (0..<tasksPerRound).map { _ in
                let timeout = PrimitivesStressTests.randomTimeout(using: &generator)
                return Task {
                    do {
                        let index: Int
                        if let timeout {
                            index = try await withTimeout(timeout) { try await barrier.wait() }
                        } else {
                            index = try await barrier.wait()
                        }
                        indices.returned(index)
                    } catch {
                        indices.failed()
                    }
                }
            }
            for _ in 0..<Int.random(in: 0...8, using: &generator) { await Task.yield() }
            for task in tasks where Int.random(in: 0..<4, using: &generator) == 0 { task.cancel() }
            // Fewer than `parties` tasks may be left waiting for good: once every task has ended or waits,
            // break the barrier to release them.
            while indices.summary.indices.count + indices.summary.failures + barrier.waiterCount < tasksPerRound {
                await Task.yield()
            }
            barrier.abort()
            for task in tasks { await task.value }
            let summary = indices.summary
            let counts = (0..<parties).map { index in summary.indices.count { $0 == index } }
            #expect(summary.indices.allSatisfy { (0..<parties).contains($0) })
            #expect(Set(counts).count == 1)  // each trip hands out 0, 1 and 2 once
            #expect(summary.indices.count + summary.failures == tasksPerRound)
            totalReturned += summary.indices.count
            totalFailed += summary.failures
        }
        #expect(totalReturned > 0)
        #expect(totalFailed > 0)
    }
}
