import Cancellation
import CancellationTesting
import Testing

@Suite("Hedged calls")
struct HedgingTests {
    /// What an attempt saw when it ended.
    struct Ending: Sendable, Equatable {
        var attempt: Int
        var cancelled: Bool
        var reason: String?
    }

    /// An attempt that sleeps `duration` on `clock` and returns its number, recording how it ended.
    @Sendable
    static func sleeping(
        _ attempt: Int, for duration: Duration, on clock: ManualClock, into endings: Recorder<Ending>
    ) async throws -> Int {
        do {
            try await clock.sleep(for: duration)
            endings.record(Ending(attempt: attempt, cancelled: false))
            return attempt
        } catch {
            endings.record(Ending(attempt: attempt, cancelled: true, reason: CancellationReason.current.map { "\($0)" }))
            throw error
        }
    }

    @Test("a slow attempt gets a second one after the delay; the first answer wins and the loser is cancelled and awaited")
    func hedgeWins() async throws {
        let clock = ManualClock()
        let endings = Recorder<Ending>()
        let policy = HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(100)))
        let task = Task {
            try await withHedging(policy, clock: clock) { attempt in
                try await Self.sleeping(attempt, for: attempt == 1 ? .seconds(10) : .milliseconds(20), on: clock, into: endings)
            }
        }
        try await clock.waitForSleepers(count: 1)  // attempt 1
        try await clock.waitForTimer(at: clock.now.advanced(by: .milliseconds(100)))  // the delay, a library timer
        clock.advance(by: .milliseconds(100))
        try await clock.waitForSleeper(until: clock.now.advanced(by: .milliseconds(20)))  // attempt 2
        clock.advance(by: .milliseconds(20))
        #expect(try await task.value == 2)
        // Awaited: the loser's ending was recorded before withHedging returned.
        let loser = try #require(endings.all.first { $0.attempt == 1 })
        #expect(loser.cancelled)
        #expect(loser.reason?.contains("another hedged attempt (2) finished first") == true)
        #expect(clock.pendingSleepers == 0 && clock.pendingTimers == 0, "nothing is left running")
    }

    @Test("an attempt that answers before the delay is the only one")
    func noHedgeWhenFast() async throws {
        let clock = ManualClock()
        let starts = Recorder<Int>()
        let value = try await withHedging(HedgingPolicy(maxAttempts: 3, delay: .fixed(.seconds(1))), clock: clock) { attempt in
            starts.record(attempt)
            return attempt
        }
        #expect(value == 1)
        #expect(starts.all == [1])
        #expect(clock.pendingTimers == 0, "the delay's timer was disarmed and its task awaited")
    }

    @Test("no more than maxAttempts attempts are ever started")
    func atMostMaxAttempts() async throws {
        let clock = ManualClock()
        let endings = Recorder<Ending>()
        let starts = Recorder<Int>()
        let task = Task {
            try await withHedging(HedgingPolicy(maxAttempts: 3, delay: .fixed(.milliseconds(50))), clock: clock) { attempt in
                starts.record(attempt)
                return try await Self.sleeping(attempt, for: .seconds(1), on: clock, into: endings)
            }
        }
        for running in 1...3 {
            try await clock.waitForSleepers(count: running)
            #expect(starts.all.count == running)
            if running < 3 {
                try await clock.waitForTimer(at: clock.now.advanced(by: .milliseconds(50)))
                clock.advance(by: .milliseconds(50))
            }
        }
        #expect(clock.pendingSleepers == 3)
        #expect(clock.pendingTimers == 0, "no further delay after the last attempt")
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))  // only attempt 1's sleep is due
        #expect(try await task.value == 1, "the first to answer wins")
        #expect(starts.all == [1, 2, 3])
    }

    @Test("an attempt that fails while none other runs is followed at once, without waiting for the delay")
    func failureStartsNextAtOnce() async throws {
        let clock = ManualClock()
        let value = try await withHedging(HedgingPolicy(maxAttempts: 3, delay: .fixed(.seconds(10))), clock: clock) { attempt in
            if attempt == 1 { throw AttemptFailed(attempt: 1) }
            return attempt
        }
        #expect(value == 2)
        #expect(clock.now.offset == .zero)
    }

    @Test("when every attempt fails, RetryError reports them all and the last error")
    func allFail() async throws {
        let clock = ManualClock()
        let error = try #require(await #expect(throws: RetryError.self) {
            try await withHedging(HedgingPolicy(maxAttempts: 3, delay: .fixed(.seconds(1))), clock: clock) { attempt -> Int in
                throw AttemptFailed(attempt: attempt)
            }
        })
        #expect(error.attempts == 3)
        #expect(error.reason == .attemptsExhausted)
        #expect(error.lastError as? AttemptFailed == AttemptFailed(attempt: 3))
    }

    @Test("a non-retryable failure ends the call, and the attempts still running are cancelled and awaited")
    func notRetryableEndsCall() async throws {
        let clock = ManualClock()
        let endings = Recorder<Ending>()
        let task = Task {
            try await withHedging(HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(10))), clock: clock, isRetryable: { !($0 is Fatal) }) { attempt -> Int in
                if attempt == 2 { throw Fatal() }
                return try await Self.sleeping(attempt, for: .seconds(1), on: clock, into: endings)
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .milliseconds(10))
        let error = try #require(await #expect(throws: RetryError.self) { try await task.value })
        #expect(error.reason == .notRetryable)
        #expect(error.attempts == 2)
        let ending = try #require(endings.all.first)
        #expect(endings.all.count == 1)
        #expect(ending.attempt == 1 && ending.cancelled)
        #expect(ending.reason?.contains("was cancelled: the hedged call ended") == true)
    }

    @Test("the budget limits further attempts: without a token, the call waits for the first")
    func budgetLimitsHedges() async throws {
        let clock = ManualClock()
        let endings = Recorder<Ending>()
        let budget = RetryBudget(ratio: 0, reserve: 0)
        let task = Task {
            try await withHedging(HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(10)), budget: budget), clock: clock) { attempt in
                try await Self.sleeping(attempt, for: .seconds(1), on: clock, into: endings)
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .milliseconds(10))
        try await clock.waitForSleepers(count: 1)
        #expect(clock.pendingSleepers == 1, "no second attempt")
        clock.advance(by: .seconds(1))
        #expect(try await task.value == 1)
        #expect(endings.all.map(\.attempt) == [1])
    }

    @Test("every attempt sees the caller's effective deadline, less the time already spent")
    func effectiveDeadlineInsideAttempts() async throws {
        let clock = ManualClock()
        let remaining = Recorder<Duration>()
        let endings = Recorder<Ending>()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                try await withHedging(HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(300))), clock: clock) { attempt in
                    remaining.record(EffectiveDeadline.current?.remaining ?? .zero)
                    return try await Self.sleeping(attempt, for: attempt == 1 ? .seconds(5) : .milliseconds(1), on: clock, into: endings)
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // attempt 1; the deadline and the delay
        clock.advance(by: .milliseconds(300))
        try await clock.waitForSleeper(until: clock.now.advanced(by: .milliseconds(1)))
        clock.advance(by: .milliseconds(1))
        #expect(try await task.value == 2)
        #expect(remaining.all == [.seconds(1), .milliseconds(700)])
    }

    @Test("no further attempt starts when less than the minimum attempt time is left before the deadline")
    func deadlineStopsHedging() async throws {
        let clock = ManualClock()
        let starts = Recorder<Int>()
        let endings = Recorder<Ending>()
        let task = Task {
            try await withTimeout(.milliseconds(500), clock: clock) {
                let policy = HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(400)), minimumAttemptDuration: .milliseconds(200))
                return try await withHedging(policy, clock: clock) { attempt in
                    starts.record(attempt)
                    return try await Self.sleeping(attempt, for: .milliseconds(450), on: clock, into: endings)
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)
        clock.advance(by: .milliseconds(400))
        clock.advance(by: .milliseconds(50))
        #expect(try await task.value == 1)
        #expect(starts.all == [1], "100 ms left was less than the 200 ms an attempt needs")
    }

    @Test("the caller's cancellation cancels and awaits every attempt and is rethrown as CancellationError")
    func callerCancellation() async throws {
        let clock = ManualClock()
        let endings = Recorder<Ending>()
        let task = Task {
            try await withHedging(HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(10))), clock: clock) { attempt in
                try await Self.sleeping(attempt, for: .seconds(1), on: clock, into: endings)
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .milliseconds(10))
        try await clock.waitForSleeper(until: clock.now.advanced(by: .seconds(1)))  // attempt 2
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Set(endings.all.map(\.attempt)) == [1, 2])
        #expect(endings.all.allSatisfy { $0.cancelled })
    }

    @Test("a percentile delay follows the recorded latencies, and successful attempts are recorded")
    func percentileDelay() async throws {
        let clock = ManualClock()
        let tracker = LatencyTracker(capacity: 10)
        for milliseconds in stride(from: 10, through: 100, by: 10) {
            tracker.record(.milliseconds(milliseconds))
        }
        #expect(tracker.percentile(0.9) == .milliseconds(90))
        #expect(tracker.percentile(1) == .milliseconds(100))
        #expect(tracker.percentile(0) == .milliseconds(10))
        let endings = Recorder<Ending>()
        let policy = HedgingPolicy(maxAttempts: 2, delay: .percentile(0.9, of: tracker, otherwise: .seconds(1)))
        let task = Task {
            try await withHedging(policy, clock: clock) { attempt in
                try await Self.sleeping(attempt, for: .milliseconds(30), on: clock, into: endings)
            }
        }
        try await clock.waitForSleepers(count: 1)
        try await clock.waitForTimer(at: clock.now.advanced(by: .milliseconds(90)))
        clock.advance(by: .milliseconds(30))
        #expect(try await task.value == 1)
        #expect(tracker.count == 10, "a window of ten")
        #expect(tracker.percentile(0) == .milliseconds(20), "the oldest (10 ms) made way for the new 30 ms")
        #expect(LatencyTracker().percentile(0.5) == nil)
    }
}
