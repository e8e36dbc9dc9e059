import Cancellation
import CancellationTesting
import Testing

/// A summary of an outcome that tests can compare.
func describe(_ outcome: GatherOutcome<String>) -> String {
    switch outcome {
    case .success(let value): return "success(\(value))"
    case .failure(let error as OperationError): return "failure(\(error.code))"
    case .failure(let error): return "failure(\(type(of: error)))"
    case .timedOut: return "timedOut"
    }
}

/// An actor with non-`Sendable` state that gathers non-`Sendable` values.
actor GatheringActor {
    var counters: [Counter] = []

    func gatherCounters() async -> Int {
        let outcomes = await gather(timeout: .seconds(60), of: { Counter() }, { Counter() })
        for outcome in outcomes {
            if case .success(let counter) = outcome { counters.append(counter) }
        }
        return counters.count
    }
}

@Suite("gather(timeout:of:) — every outcome under one deadline")
struct GatherTests {
    @Test("values and errors that came in time are kept; the straggler times out, cancelled and awaited")
    func mixedOutcomes() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            await gather(timeout: .seconds(5), clock: clock, of: [
                timedOperation("a", at: 1, clock: clock, log: log),
                timedOperation("b", at: 2, clock: clock, log: log, failing: 8),
                timedOperation("c", at: 10, clock: clock, log: log),
            ])
        }
        try await clock.waitForPending(sleeps: 3, timers: 1)  // three operations' sleeps, the deadline's timer
        clock.advance(to: ManualClock.Instant(offset: .seconds(2)))
        clock.advance(to: ManualClock.Instant(offset: .seconds(5)))
        let outcomes = await task.value
        #expect(outcomes.map(describe) == ["success(a)", "failure(8)", "timedOut"])
        #expect(Set(log.all) == ["a finished", "b finished", "c cancelled"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
        // The gather's deadline fired in the clock's timer engine; the only sleeps were the operations'.
        #expect(clock.firedTimers == 1)
        #expect(clock.totalSleeps == 3)
    }

    @Test("everything finishing in time gives every value in the operations' order, and no timer lingers")
    func allInTime() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            await gather(timeout: .seconds(5), clock: clock, of: [
                timedOperation("x", at: 2, clock: clock, log: log),
                timedOperation("y", at: 1, clock: clock, log: log),
            ])
        }
        try await clock.waitForPending(sleeps: 2, timers: 1)  // two operations' sleeps, the deadline's timer
        clock.advance(to: ManualClock.Instant(offset: .seconds(2)))
        #expect(await task.value.map(describe) == ["success(x)", "success(y)"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
        #expect(clock.firedTimers == 0)
    }

    @Test("a value or an own error produced after the deadline fired is kept, not reported as timed out")
    func lateOutcomesAreKept() async throws {
        let clock = ManualClock()
        let task = Task {
            await gather(timeout: .seconds(1), clock: clock, of: [
                { @Sendable () async throws -> String in
                    try? await clock.sleep(for: .seconds(10))  // ignores cancellation on purpose
                    return "late"
                },
                { @Sendable () async throws -> String in
                    do {
                        try await clock.sleep(for: .seconds(10))
                    } catch {
                        throw OperationError(code: 3)
                    }
                    return "never"
                },
            ])
        }
        try await clock.waitForPending(sleeps: 2, timers: 1)
        clock.advance(by: .seconds(1))
        #expect(await task.value.map(describe) == ["success(late)", "failure(3)"])
    }

    @Test("an absolute deadline works the same way")
    func absoluteDeadline() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            await gather(deadline: ManualClock.Instant(offset: .seconds(3)), clock: clock, of: [
                timedOperation("a", at: 2, clock: clock, log: log),
                timedOperation("b", at: 4, clock: clock, log: log),
            ])
        }
        try await clock.waitForPending(sleeps: 2, timers: 1)
        clock.advance(to: ManualClock.Instant(offset: .seconds(3)))
        #expect(await task.value.map(describe) == ["success(a)", "timedOut"])
    }

    @Test("a cancelled caller: unfinished operations fail with CancellationError, finished results are kept")
    func callerCancelled() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            await gather(timeout: .seconds(5), clock: clock, of: [
                timedOperation("a", at: 1, clock: clock, log: log),
                timedOperation("b", at: 4, clock: clock, log: log),
            ])
        }
        try await clock.waitForPending(sleeps: 2, timers: 1)
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        try await clock.waitForPendingDeadlines { $0 == [ManualClock.Instant(offset: .seconds(4))] }  // only b's sleep is left
        #expect(clock.pendingTimers == 1)  // and the deadline's timer
        task.cancel()
        #expect(await task.value.map(describe) == ["success(a)", "failure(CancellationError)"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
    }

    @Test("operations made with map, as the documentation shows, each get their own outcome")
    func mappedOperations() async throws {
        let outcomes = await gather(timeout: .seconds(60), of: [3, 1, 2].map { number in { number * 10 } })
        #expect(outcomes.map(\.value) == [30, 10, 20])
    }

    @Test("no operations give no outcomes")
    func noOperations() async throws {
        let operations: [@Sendable () async throws -> String] = []
        #expect(await gather(timeout: .seconds(1), clock: ManualClock(), of: operations).isEmpty)
    }

    @Test("works from an actor with non-Sendable values")
    func nonSendableValues() async throws {
        #expect(await GatheringActor().gatherCounters() == 2)
    }
}
