import Cancellation
import CancellationTesting
import Testing

/// An operation for races: sleeps on `clock` until `seconds`, records how it ended, then returns `value` or
/// throws `OperationError(code: failing)`.
func timedOperation(
    _ name: String,
    at seconds: Int64,
    clock: ManualClock,
    log: Recorder<String>,
    failing: Int? = nil
) -> @Sendable () async throws -> sending String {
    {
        do {
            try await clock.sleep(until: ManualClock.Instant(offset: .seconds(seconds)))
        } catch {
            log.record("\(name) cancelled")
            throw error
        }
        log.record("\(name) finished")
        if let failing { throw OperationError(code: failing) }
        return name
    }
}

/// An actor with non-`Sendable` state that races operations producing non-`Sendable` values.
actor RacingActor {
    var kept: [Counter] = []

    func keepFirst() async throws -> Int {
        let counter = try await firstResult(of: { Counter() }, { Counter() })
        counter.value = 7
        kept.append(counter)
        let other = try await firstSuccess(of: { () async throws -> Counter in throw OperationError() }, { Counter() })
        kept.append(other)
        return kept.count
    }
}

@Suite("firstResult(of:) — the first operation to finish decides")
struct FirstResultTests {
    @Test("returns the first value; the losers are cancelled and have ended before it returns")
    func firstValueWins() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            try await firstResult(of: [
                timedOperation("slow", at: 3, clock: clock, log: log),
                timedOperation("fast", at: 1, clock: clock, log: log),
                timedOperation("medium", at: 2, clock: clock, log: log),
            ])
        }
        try await clock.waitForSleepers(count: 3)
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        #expect(try await task.value == "fast")
        #expect(Set(log.all) == ["fast finished", "slow cancelled", "medium cancelled"])
        #expect(clock.pendingSleepers == 0)
    }

    @Test("throws the error of the first operation to finish, and still cancels and awaits the others")
    func firstErrorWins() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            try await firstResult(
                of: timedOperation("failing", at: 1, clock: clock, log: log, failing: 5),
                timedOperation("slow", at: 2, clock: clock, log: log)
            )
        }
        try await clock.waitForSleepers(count: 2)
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        #expect(await task.result.failure as? OperationError == OperationError(code: 5))
        #expect(Set(log.all) == ["failing finished", "slow cancelled"])
    }

    @Test("a cancelled caller cancels every operation and gets CancellationError")
    func callerCancelled() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            try await firstResult(of: [timedOperation("a", at: 5, clock: clock, log: log), timedOperation("b", at: 6, clock: clock, log: log)])
        }
        try await clock.waitForSleepers(count: 2)
        task.cancel()
        #expect(await task.result.failure is CancellationError)
        #expect(Set(log.all) == ["a cancelled", "b cancelled"])
    }

    @Test("works from an actor with non-Sendable results")
    func nonSendableResults() async throws {
        #expect(try await RacingActor().keepFirst() == 2)
    }
}

@Suite("firstSuccess(of:) — failures are ignored until all fail")
struct FirstSuccessTests {
    @Test("skips failures and returns the first value; the rest are cancelled and awaited")
    func skipsFailures() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            try await firstSuccess(of: [
                timedOperation("fails", at: 1, clock: clock, log: log, failing: 1),
                timedOperation("succeeds", at: 2, clock: clock, log: log),
                timedOperation("slow", at: 3, clock: clock, log: log),
            ])
        }
        try await clock.waitForSleepers(count: 3)
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        clock.advance(to: ManualClock.Instant(offset: .seconds(2)))
        #expect(try await task.value == "succeeds")
        #expect(Set(log.all) == ["fails finished", "succeeds finished", "slow cancelled"])
        #expect(clock.pendingSleepers == 0)
    }

    @Test("when all fail, AllOperationsFailedError carries every error in the operations' order")
    func allFail() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            try await firstSuccess(
                of: timedOperation("a", at: 3, clock: clock, log: log, failing: 1),
                timedOperation("b", at: 1, clock: clock, log: log, failing: 2),
                timedOperation("c", at: 2, clock: clock, log: log, failing: 3)
            )
        }
        try await clock.waitForSleepers(count: 3)
        clock.advance(to: ManualClock.Instant(offset: .seconds(3)))
        let error = try #require(await task.result.failure as? AllOperationsFailedError)
        #expect(error.errors.map { ($0 as? OperationError)?.code } == [1, 2, 3])
    }

    @Test("with no operations it throws AllOperationsFailedError with no errors")
    func noOperations() async throws {
        let operations: [@Sendable () async throws -> Int] = []
        let error = try #require(await #expect(throws: AllOperationsFailedError.self) { try await firstSuccess(of: operations) } as AllOperationsFailedError?)
        #expect(error.errors.isEmpty)
    }

    @Test("operations made with map, as the documentation shows")
    func mappedOperations() async throws {
        let value = try await firstSuccess(of: [1, 2, 3].map { number in
            { () async throws -> Int in
                if number != 2 { throw OperationError(code: number) }
                return number
            }
        })
        #expect(value == 2)
    }

    @Test("a cancelled caller gets CancellationError, not AllOperationsFailedError")
    func callerCancelled() async throws {
        let clock = ManualClock()
        let log = Recorder<String>()
        let task = Task {
            try await firstSuccess(of: [timedOperation("a", at: 5, clock: clock, log: log), timedOperation("b", at: 6, clock: clock, log: log)])
        }
        try await clock.waitForSleepers(count: 2)
        task.cancel()
        #expect(await task.result.failure is CancellationError)
        #expect(Set(log.all) == ["a cancelled", "b cancelled"])
    }
}
