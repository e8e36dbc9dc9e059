import Cancellation
import CancellationTesting
import Testing

/// Cancel scopes: reschedulable deadlines, explicit cancellation with reasons, and what they report.
@Suite("Cancel scopes")
struct CancelScopeTests {
    @Test("a scope without a deadline runs to completion and reports nothing")
    func scopeWithoutDeadline() async throws {
        let clock = ManualClock()
        let scopeBox = Recorder<CancelScope<ManualClock>>()
        let value = await withCancelScope(clock: clock) { scope in
            scopeBox.record(scope)
            #expect(scope.deadline == nil)
            #expect(scope.remaining == nil)
            return 5
        }
        #expect(value == 5)
        let scope = try #require(scopeBox.all.first)
        #expect(!scope.isCancelled)
        #expect(!scope.didCatchCancellation)
        #expect(scope.reason == nil)
    }

    @Test("moving the deadline later while the block runs gives it more time")
    func rescheduleLater() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withCancelScope(deadline: clock.now.advanced(by: .seconds(1)), clock: clock) { scope in
                scope.reschedule(after: .seconds(5))
                try await clock.sleep(for: .seconds(3))
                return "done"
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the block's sleep, the scope's deadline
        #expect(clock.pendingTimerDeadlines == [ManualClock.Instant(offset: .seconds(5))])  // moved, not added
        clock.advance(by: .seconds(3))
        #expect(try await task.value == "done")
        #expect(clock.firedTimers == 0)
    }

    @Test("moving the deadline earlier cancels the block sooner")
    func rescheduleEarlier() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(100), clock: clock) { scope in
                scope.deadline = clock.now.advanced(by: .seconds(2))
                try await clock.sleep(for: .seconds(50))
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the block's sleep, the scope's deadline
        clock.advance(by: .seconds(2))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(2))
        // The moved deadline fired in the clock's timer engine; the only sleep was the block's.
        #expect(clock.firedTimers == 1)
        #expect(clock.totalSleeps == 1)
    }

    @Test("moving the deadline into the past cancels the block at once")
    func rescheduleIntoPast() async throws {
        let clock = ManualClock()
        let value = try await withCancelScope(deadline: clock.now.advanced(by: .seconds(10)), clock: clock) { scope in
            scope.reschedule(to: clock.now)
            #expect(Task.isCancelled)
            try await clock.sleep(for: .seconds(1))
            return 1
        }
        #expect(value == nil)
    }

    @Test("removing the deadline lets the block run on")
    func removeDeadline() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) { scope in
                scope.deadline = nil
                try await clock.sleep(for: .seconds(100))
                return scope.isCancelled
            }
        }
        try await clock.waitForSleepers(count: 1)
        #expect(clock.pendingTimers == 0)  // the deadline was disarmed
        clock.advance(by: .seconds(50))
        #expect(clock.pendingSleepers == 1)
        #expect(clock.pendingTimers == 0)
        clock.advance(by: .seconds(50))
        #expect(try await task.value == false)
    }

    @Test("rescheduling many times keeps only the last deadline")
    func rescheduleManyTimes() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) { scope in
                for step in 1...1_000 {
                    scope.reschedule(after: .seconds(Int64(step)))
                }
                try await clock.sleep(for: .seconds(2_000))
            }
        }
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(1_000)))
        try await clock.waitForSleeper(until: ManualClock.Instant(offset: .seconds(2_000)))
        #expect(clock.pendingTimers == 1)  // the stale deadlines were disarmed, not left pending
        #expect(clock.pendingSleepers == 1)
        clock.advance(by: .seconds(999))
        #expect(clock.pendingTimers == 1)
        #expect(clock.pendingSleepers == 1)
        #expect(clock.firedTimers == 0)
        clock.advance(by: .seconds(1))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(1_000))
        #expect(clock.firedTimers == 1)  // only the last deadline fired
    }

    @Test("a scope cancelled from another task with a reason returns nil and reports why")
    func explicitCancelFromAnotherTask() async throws {
        let clock = ManualClock()
        let (handles, handOff) = AsyncStream.makeStream(of: CancelScope<ManualClock>.self)
        let reasons = Recorder<CancellationReason?>()
        let line = #line + 2
        let task = Task {
            try await withCancelScope(clock: clock) { scope in
                handOff.yield(scope)
                do {
                    try await clock.sleep(for: .seconds(100))
                } catch {
                    reasons.record(CancellationReason.current)
                    throw error
                }
                return "finished"
            }
        }
        var iterator = handles.makeAsyncIterator()
        let scope = try #require(await iterator.next())
        try await clock.waitForSleepers(count: 1)
        Task.detached { scope.cancel(reason: "shutting down") }
        #expect(try await task.value == nil)
        let expected = CancellationReason.cancelled(reason: "shutting down", scope: ScopeLocation(fileID: #fileID, line: line))
        #expect(reasons.all == [expected])
        #expect(scope.isCancelled)
        #expect(scope.didCatchCancellation)
        #expect(scope.reason == expected)
        // Cancelling again, or after the end, changes nothing.
        scope.cancel(reason: "again")
        #expect(scope.reason == expected)
    }

    @Test("an explicit cancel of a throwing timeout scope throws ScopeCancelledError, not TimeoutError")
    func explicitCancelOfTimeoutScope() async throws {
        let clock = ManualClock()
        let error = await #expect(throws: ScopeCancelledError.self) {
            try await withTimeout(.seconds(10), clock: clock) { scope in
                scope.cancel(reason: "user pressed stop")
                try await clock.sleep(for: .seconds(1))
            }
        }
        #expect(error?.reason == "user pressed stop")
        #expect(error?.description.hasSuffix("was cancelled: user pressed stop") == true)
    }

    @Test("a scope whose block finishes despite its cancellation did not catch it")
    func cancelledButNotCaught() async throws {
        let clock = ManualClock()
        let scopes = Recorder<CancelScope<ManualClock>>()
        let value = await withCancelScope(clock: clock) { scope in
            scopes.record(scope)
            scope.cancel(reason: "stop")
            return "finished anyway"
        }
        #expect(value == "finished anyway")
        let scope = try #require(scopes.all.first)
        #expect(scope.isCancelled)
        #expect(!scope.didCatchCancellation)
    }

    @Test("the caller's cancellation is never caught by a cancel scope")
    func callerCancellationIsNotCaught() async throws {
        let clock = ManualClock()
        let scopes = Recorder<CancelScope<ManualClock>>()
        let task = Task {
            try await withCancelScope(clock: clock) { scope in
                scopes.record(scope)
                try await clock.sleep(for: .seconds(100))
            }
        }
        try await clock.waitForSleepers(count: 1)
        task.cancel()
        #expect(await task.result.failure is CancellationError)
        let scope = try #require(scopes.all.first)
        #expect(!scope.isCancelled)
        #expect(!scope.didCatchCancellation)
    }

    @Test("a scope's handle is usable from a detached thread while the block runs")
    func rescheduleFromAnotherTask() async throws {
        let clock = ManualClock()
        let (handles, handOff) = AsyncStream.makeStream(of: CancelScope<ManualClock>.self)
        let task = Task {
            try await withTimeout(.seconds(100), clock: clock) { scope in
                handOff.yield(scope)
                try await clock.sleep(for: .seconds(1_000))
            }
        }
        var iterator = handles.makeAsyncIterator()
        let scope = try #require(await iterator.next())
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the block's sleep, the scope's deadline
        await Task.detached { scope.reschedule(after: .seconds(5)) }.value
        #expect(clock.pendingTimerDeadlines == [ManualClock.Instant(offset: .seconds(5))])
        #expect(scope.remaining == .seconds(5))
        clock.advance(by: .seconds(5))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(5))
    }
}
