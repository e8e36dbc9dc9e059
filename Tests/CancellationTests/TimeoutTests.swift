import Cancellation
import CancellationTesting
import Testing

/// The contract of `withTimeout`, item by item (issue #2, 1a–1j).
@Suite("withTimeout contract")
struct TimeoutTests {
    // MARK: a. Finishes in time

    @Test("a. finishing in time returns the operation's value unchanged")
    func finishesInTimeReturnsValue() async throws {
        let clock = ManualClock()
        let value = try await withTimeout(.seconds(1), clock: clock) { 42 }
        #expect(value == 42)
    }

    @Test("a. finishing in time throws the operation's own error unchanged")
    func finishesInTimeThrowsOwnError() async throws {
        let clock = ManualClock()
        await #expect(throws: OperationError(code: 7)) {
            try await withTimeout(.seconds(1), clock: clock) { () async throws -> Int in
                throw OperationError(code: 7)
            }
        }
    }

    @Test("a. an operation that suspends and finishes before the deadline is not cancelled")
    func suspendingOperationFinishesInTime() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(5), clock: clock) { () async throws -> Bool in
                try await clock.sleep(for: .seconds(2))
                return Task.isCancelled
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the operation's sleep, the deadline's timer
        clock.advance(by: .seconds(2))
        #expect(try await task.value == false)
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)  // the deadline was disarmed when the operation returned
        #expect(clock.firedTimers == 0)
    }

    // MARK: b. Deadline passes

    @Test("b. when the deadline passes the operation is cancelled and TimeoutError is thrown")
    func deadlineCancelsAndThrowsTimeoutError() async throws {
        let clock = ManualClock()
        let sawCancellation = Recorder<Bool>()
        let line = #line + 2
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                do {
                    try await clock.sleep(for: .seconds(10))
                } catch {
                    sawCancellation.record(Task.isCancelled)
                    throw error
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the operation's sleep, the deadline's timer
        clock.advance(by: .seconds(1))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(1))
        #expect(error.location == ScopeLocation(fileID: #fileID, line: line))
        #expect(sawCancellation.all == [true])
        // The clock's timer engine enforced the deadline; the timeout is not a sleeping task.
        #expect(clock.firedTimers == 1)
        #expect(clock.totalSleeps == 1)  // only the operation's own sleep
    }

    @Test("b. the deadline is measured from the call, not from the first suspension")
    func deadlineIsAbsoluteFromEntry() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(3), clock: clock) {
                try await clock.sleep(for: .seconds(2))
                try await clock.sleep(for: .seconds(2))
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the first sleep, the deadline's timer at 3 s
        clock.advance(by: .seconds(2))
        // The second sleep, until 4 s; the deadline stays at 3 s, where it was armed at the call.
        try await clock.waitForSleeper(until: ManualClock.Instant(offset: .seconds(4)))
        #expect(clock.pendingTimerDeadlines == [ManualClock.Instant(offset: .seconds(3))])
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
    }

    // MARK: c. A late value is returned

    @Test("c. a value returned after the deadline fired is returned, never dropped")
    func lateValueIsReturned() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) { scope in
                try? await clock.sleep(for: .seconds(10))  // ignores cancellation on purpose
                return ("late result", scope.isCancelled)
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        let (value, scopeWasCancelled) = try await task.value
        #expect(value == "late result")
        #expect(scopeWasCancelled)
    }

    // MARK: d. Own error after the deadline

    @Test("d. the operation's own error thrown after the deadline fired is thrown, not masked")
    func ownErrorAfterDeadlineIsNotMasked() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                do {
                    try await clock.sleep(for: .seconds(10))
                } catch {
                    throw OperationError(code: 3)
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure as? OperationError == OperationError(code: 3))
    }

    // MARK: e. The caller is cancelled

    @Test("e. a caller cancelled before the call gets CancellationError, and the operation starts cancelled")
    func callerCancelledBeforeCall() async throws {
        let clock = ManualClock()
        let startedCancelled = Recorder<Bool>()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await withTimeout(.seconds(1), clock: clock) {
                startedCancelled.record(Task.isCancelled)
                try await clock.sleep(for: .seconds(10))
            }
        }
        #expect(await task.result.failure is CancellationError)
        #expect(startedCancelled.all == [true])
    }

    @Test("e. a caller cancelled during the call gets CancellationError, never TimeoutError")
    func callerCancelledDuringCall() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                try await clock.sleep(for: .seconds(10))
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        #expect(await task.result.failure is CancellationError)
        #expect(clock.now == ManualClock.Instant(offset: .zero))
    }

    @Test("e. a caller cancelled at the instant the deadline fires gets CancellationError")
    func callerCancelledAtDeadline() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                try await clock.sleep(for: .seconds(10))
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is CancellationError)
    }

    @Test("e. a caller cancelled after the deadline fired, before the operation ended, gets CancellationError")
    func callerCancelledAfterDeadlineFired() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                // Cleanup that outlives the deadline, then the cancellation surfaces.
                await withCancellationShield { try? await clock.sleep(for: .seconds(5)) }
                try Task.checkCancellation()
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        task.cancel()
        clock.advance(by: .seconds(4))
        #expect(await task.result.failure is CancellationError)
    }

    // MARK: f. Zero, negative, past and huge deadlines

    @Test("f. a zero timeout starts the operation cancelled, and a value returned without suspending is kept", arguments: [Duration.zero, .seconds(-1), .seconds(Int64.min)])
    func nonPositiveTimeoutKeepsImmediateValue(timeout: Duration) async throws {
        let clock = ManualClock()
        let (value, wasCancelled) = try await withTimeout(timeout, clock: clock) { ("kept", Task.isCancelled) }
        #expect(value == "kept")
        #expect(wasCancelled)
    }

    @Test("f. a zero or negative timeout stops the operation at its first cancellation point", arguments: [Duration.zero, .nanoseconds(-1), .seconds(Int64.min)])
    func nonPositiveTimeoutThrowsAtFirstSuspension(timeout: Duration) async throws {
        let clock = ManualClock()
        await #expect(throws: TimeoutError.self) {
            try await withTimeout(timeout, clock: clock) {
                try await clock.sleep(for: .seconds(1))
            }
        }
    }

    @Test("f. an absolute deadline already in the past starts the operation cancelled")
    func pastAbsoluteDeadline() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(10))
        let error = await #expect(throws: TimeoutError.self) {
            try await withTimeout(at: ManualClock.Instant(offset: .seconds(3)), clock: clock) {
                try await clock.sleep(for: .seconds(1))
            }
        }
        #expect(error?.timeout == .zero)
    }

    @Test("f. huge durations mean no deadline and never trap", arguments: [Duration.seconds(Int64.max), .seconds(Int64(UInt32.max)), .seconds(Int64.max) + .seconds(Int64.max)])
    func hugeDurationMeansNoDeadline(timeout: Duration) async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(timeout, clock: clock) { () async throws -> Bool in
                try await clock.sleep(for: .seconds(1_000_000))
                return EffectiveDeadline.current == nil
            }
        }
        try await clock.waitForSleepers(count: 1)
        #expect(clock.pendingSleepers == 1)  // only the operation's sleep
        #expect(clock.pendingTimers == 0)  // no timer was armed
        clock.advance(by: .seconds(1_000_000))
        #expect(try await task.value)
        // The continuous clock, where a naive `now + duration` conversion to a sleep would trap.
        #expect(try await withTimeout(timeout) { 7 } == 7)
    }

    // MARK: g. Nesting

    @Test("g. outer 50 ms around inner 10 s: the inner passes cancellation through, the outer throws naming itself")
    func outerExpiresFirst() async throws {
        let clock = ManualClock()
        let innerSaw = Recorder<String>()
        let outerLine = #line + 2
        let task = Task {
            try await withTimeout(.milliseconds(50), clock: clock) {
                do {
                    try await withTimeout(.seconds(10), clock: clock) {
                        try await clock.sleep(for: .seconds(100))
                    }
                } catch {
                    innerSaw.record(String(describing: type(of: error)))
                    throw error
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the innermost sleep, both deadlines
        clock.advance(by: .milliseconds(50))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.location.line == outerLine)
        #expect(error.timeout == .milliseconds(50))
        #expect(innerSaw.all == ["CancellationError"])
    }

    @Test("g. inner 50 ms inside outer 10 s: the inner throws, the outer body carries on")
    func innerExpiresFirst() async throws {
        let clock = ManualClock()
        let innerLine = #line + 4
        let task = Task {
            try await withTimeout(.seconds(10), clock: clock) { outer -> (Int?, Bool, Bool) in
                do {
                    try await withTimeout(.milliseconds(50), clock: clock) {
                        try await clock.sleep(for: .seconds(100))
                    }
                    return (nil, false, outer.isCancelled)
                } catch let error as TimeoutError {
                    return (error.location.line, Task.isCancelled, outer.isCancelled)
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the innermost sleep, both deadlines
        clock.advance(by: .milliseconds(50))
        let (line, bodyCancelled, outerCancelled) = try await task.value
        #expect(line == innerLine)
        #expect(!bodyCancelled)
        #expect(!outerCancelled)
    }

    // MARK: h. Nothing left behind

    @Test("h. after returning, nothing the call started is running and the caller is not cancelled")
    func nothingLeftRunning() async throws {
        let clock = ManualClock()
        let task = Task { () async throws -> Bool in
            let value: Void? = try? await withTimeout(.seconds(1), clock: clock) {
                try await clock.sleep(for: .seconds(10))
            }
            #expect(value == nil)
            return Task.isCancelled
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        #expect(try await task.value == false)
        #expect(clock.pendingSleepers == 0)  // the operation's sleep is gone
        #expect(clock.pendingTimers == 0)  // and so are the deadline and the grace timer its firing armed

        // Returning early disarms the deadline.
        let quick = try await withTimeout(.seconds(1), clock: clock) { "quick" }
        #expect(quick == "quick")
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
        #expect(!Task.isCancelled)
    }

    // MARK: i. Actors and non-Sendable state

    @MainActor
    @Test("i. works from @MainActor with non-Sendable captured state and results")
    func worksFromMainActor() async throws {
        let clock = ManualClock()
        let counter = Counter()
        let result = try await withTimeout(.seconds(1), clock: clock) {
            MainActor.preconditionIsolated()
            counter.value += 1
            await Task.yield()
            MainActor.preconditionIsolated()  // still there after a suspension
            return Counter()
        }
        // The same on the engine's clock, with a real suspension of the operation.
        let onEngine = try await withTimeout(.seconds(60)) {
            MainActor.preconditionIsolated()
            try await Task.sleep(for: .milliseconds(1))
            MainActor.preconditionIsolated()
            counter.value += 1
            return counter.value
        }
        #expect(onEngine == 2)
        result.value = 5
        #expect(counter.value == 2)
        #expect(result.value == 5)
    }

    @Test("i. works from a custom actor with its isolated state")
    func worksFromCustomActor() async throws {
        actor Account {
            var balance = 0
            let clock = ManualClock()
            let history = Counter()

            func deposit() async throws -> Int {
                try await withTimeout(.seconds(1), clock: clock) {
                    self.preconditionIsolated()
                    self.balance += 10
                    await Task.yield()
                    self.preconditionIsolated()  // still on the actor after a suspension
                    self.history.value += 1
                    return self.balance
                }
            }
        }
        let account = Account()
        #expect(try await account.deposit() == 10)
        #expect(try await account.deposit() == 20)
    }

    // MARK: j. TimeoutError

    @Test("j. TimeoutError is its own type, describes itself and names its scope")
    func timeoutErrorShape() async throws {
        let clock = ManualClock()
        let line = #line + 1
        let error = await #expect(throws: TimeoutError.self) { try await withTimeout(.zero, clock: clock) { try await clock.sleep(for: .seconds(2)) } }
        let timeout = try #require(error)
        #expect(!((timeout as Any) is CancellationError))
        #expect(timeout.location == ScopeLocation(fileID: #fileID, line: line))
        #expect(timeout.description == "timed out after 0 seconds (scope at \(#fileID):\(line))")
        #expect(TimeoutError(timeout: .seconds(2), location: ScopeLocation(fileID: "App/Fetch.swift", line: 42)).description
            == "timed out after 2 seconds (scope at App/Fetch.swift:42)")
        #expect(TimeoutError(timeout: .milliseconds(1500), location: ScopeLocation(fileID: "A/B.swift", line: 1)).description
            == "timed out after 1.5 seconds (scope at A/B.swift:1)")
    }

    // MARK: Move on (issue #2, item 2)

    @Test("move on: withTimeoutOrNil returns nil when the deadline ends the operation")
    func moveOnReturnsNil() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeoutOrNil(.seconds(1), clock: clock) {
                try await clock.sleep(for: .seconds(10))
                return "finished"
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        #expect(try await task.value == nil)
        #expect(await withTimeoutOrNil(.seconds(1), clock: clock) { "fast" } == "fast")
    }

    @Test("move on: the caller's cancellation is thrown, never turned into nil")
    func moveOnRethrowsCallerCancellation() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeoutOrNil(.seconds(1), clock: clock) {
                try await clock.sleep(for: .seconds(10))
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        #expect(await task.result.failure is CancellationError)
    }

    @Test("move on: an absolute deadline in the past gives nil at the first cancellation point")
    func moveOnAbsolute() async throws {
        let clock = ManualClock()
        let value = try await withTimeoutOrNil(at: clock.now, clock: clock) {
            try await clock.sleep(for: .seconds(1))
            return 1
        }
        #expect(value == nil)
    }

    // MARK: Any other clock

    @Test("a clock that only sleeps: the deadline is served by a task sleeping on it, stopped before withTimeout returns")
    func clockThatOnlySleepsEnforcesTheDeadline() async throws {
        let manual = ManualClock()
        let sleepOnly = SleepOnlyClock(wrapping: manual)
        let task = Task {
            try await withTimeout(.seconds(1), clock: sleepOnly) {
                try await manual.sleep(for: .seconds(10))
            }
        }
        // Both are sleeps on the wrapped clock: the library's sleeping task for the deadline, and the
        // operation's own sleep. The manual clock's timer engine is not involved.
        try await manual.waitForSleepers(count: 2)
        #expect(manual.pendingTimers == 0)
        manual.advance(by: .seconds(1))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(1))
        // The library's sleeping tasks were stopped and awaited before withTimeout returned.
        #expect(manual.pendingSleepers == 0)
        #expect(manual.pendingTimers == 0)
        #expect(manual.firedTimers == 0)
    }

    @Test("a clock that only sleeps: an operation that finishes before the deadline returns its value and leaves no sleep")
    func clockThatOnlySleepsFinishesInTime() async throws {
        let manual = ManualClock()
        let sleepOnly = SleepOnlyClock(wrapping: manual)
        let task = Task {
            try await withTimeout(.seconds(5), clock: sleepOnly) { () async throws -> Bool in
                try await manual.sleep(for: .seconds(2))
                return Task.isCancelled
            }
        }
        try await manual.waitForSleepers(count: 2)  // the library's sleeping task for the deadline, the operation's sleep
        manual.advance(by: .seconds(2))
        #expect(try await task.value == false)
        #expect(manual.pendingSleepers == 0)  // the library's sleep until 5 s was cancelled and awaited
        #expect(manual.pendingTimers == 0)

        // An operation that returns without suspending: nothing is left either.
        #expect(try await withTimeout(.seconds(1), clock: sleepOnly) { 42 } == 42)
        #expect(manual.pendingSleepers == 0)
        #expect(manual.now == ManualClock.Instant(offset: .seconds(2)))
    }

    @Test("the continuous-clock forms run and keep values")
    func continuousClockForms() async throws {
        #expect(try await withTimeout(.seconds(30)) { 1 } == 1)
        #expect(try await withTimeout(at: .now + .seconds(30)) { 2 } == 2)
        #expect(await withTimeoutOrNil(.seconds(30)) { 3 } == 3)
        #expect(await withTimeoutOrNil(at: .now + .seconds(30)) { 4 } == 4)
        #expect(try await withTimeout(.seconds(30)) { scope in scope.remaining! > .seconds(20) })
        await #expect(throws: TimeoutError.self) {
            try await withTimeout(.zero) { try await Task.sleep(for: .seconds(30)) }
        }
    }
}

/// A clock that can only tell the time and sleep — no timer engine of its own — as a third-party test clock
/// would be. It forwards to a ``ManualClock``, so a test drives it by advancing that clock; every deadline a
/// scope on it has is served by a task sleeping through ``sleep(until:tolerance:)``.
struct SleepOnlyClock: Clock {
    typealias Instant = ManualClock.Instant
    typealias Duration = Swift.Duration

    let wrapped: ManualClock

    init(wrapping clock: ManualClock) {
        wrapped = clock
    }

    var now: Instant { wrapped.now }

    var minimumResolution: Duration { wrapped.minimumResolution }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await wrapped.sleep(until: deadline, tolerance: tolerance)
    }
}
