import Cancellation
import CancellationTesting
import Testing

/// An error that a test's operation throws on purpose, numbered by attempt.
struct AttemptFailed: Error, Equatable {
    var attempt: Int
}

/// An error that is not worth retrying.
struct Fatal: Error {}

@Suite("Retries within the deadline")
struct RetryTests {
    /// A policy without jitter, so the backoff schedule is exact.
    func exactPolicy(maxAttempts: Int = 4, budget: RetryBudget? = nil, minimum: Duration = .zero) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: maxAttempts, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(300),
            multiplier: 2, jitter: .none, minimumAttemptDuration: minimum, budget: budget
        )
    }

    @Test("the backoff grows by the multiplier up to its maximum, and each retry waits for it on the clock")
    func backoffSchedule() async throws {
        let clock = ManualClock()
        let attempts = Recorder<Int>()
        let task = Task {
            try await withRetries(exactPolicy(), clock: clock) { attempt in
                attempts.record(attempt)
                if attempt < 4 { throw AttemptFailed(attempt: attempt) }
                return "answer"
            }
        }
        // 100 ms, then 200 ms, then 300 ms (the maximum, not 400 ms).
        for (retry, backoff) in [(1, 100), (2, 200), (3, 300)] {
            try await clock.waitForSleepers(count: 1)
            #expect(attempts.all.count == retry)
            #expect(clock.pendingDeadlines == [clock.now.advanced(by: .milliseconds(backoff))])
            clock.advance(by: .milliseconds(backoff - 1))
            #expect(clock.pendingSleepers == 1, "no retry before the backoff has passed")
            clock.advance(by: .milliseconds(1))
        }
        #expect(try await task.value == "answer")
        #expect(attempts.all == [1, 2, 3, 4])
        #expect(clock.now.offset == .milliseconds(600))
    }

    @Test("when every attempt fails, RetryError says how many ran, why it stopped, and carries the last error")
    func attemptsExhausted() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withRetries(exactPolicy(maxAttempts: 2), clock: clock) { attempt -> Int in
                throw AttemptFailed(attempt: attempt)
            }
        }
        try await clock.waitForSleepers(count: 1)
        clock.advance(by: .milliseconds(100))
        let error = try #require(await #expect(throws: RetryError.self) { try await task.value })
        #expect(error.attempts == 2)
        #expect(error.reason == .attemptsExhausted)
        #expect(error.lastError as? AttemptFailed == AttemptFailed(attempt: 2))
        #expect(error.location.fileID.hasSuffix("RetryTests.swift"))
        #expect(error.description.contains("gave up after 2 attempts (every attempt allowed was made)"))
    }

    @Test("an error the predicate rejects ends the retries at once")
    func notRetryable() async throws {
        let clock = ManualClock()
        let error = try #require(await #expect(throws: RetryError.self) {
            try await withRetries(exactPolicy(), clock: clock, isRetryable: { !($0 is Fatal) }) { _ -> Int in
                throw Fatal()
            }
        })
        #expect(error.attempts == 1)
        #expect(error.reason == .notRetryable)
        #expect(error.lastError is Fatal)
        #expect(clock.totalSleeps == 0)
    }

    @Test("no backoff is slept past the effective deadline: too little time left ends the retries early")
    func deadlineCutsOff() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.milliseconds(250), clock: clock) {
                try await withRetries(exactPolicy(), clock: clock) { attempt -> Int in
                    throw AttemptFailed(attempt: attempt)
                }
            }
        }
        // First backoff: 100 ms of the 250 ms remain afterwards — taken.
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .milliseconds(100))
        // The second backoff (200 ms) does not fit in the 150 ms left: it is not slept at all.
        let error = try #require(await #expect(throws: RetryError.self) { try await task.value })
        #expect(error.reason == .deadline)
        #expect(error.attempts == 2)
        #expect(clock.now.offset == .milliseconds(100))
        #expect(clock.totalSleeps == 1)
    }

    @Test("an attempt is not started when its minimum duration does not fit after the backoff")
    func minimumAttemptDuration() async throws {
        let clock = ManualClock()
        let error = try #require(await #expect(throws: RetryError.self) {
            try await withTimeout(.milliseconds(150), clock: clock) {
                try await withRetries(exactPolicy(minimum: .milliseconds(60)), clock: clock) { attempt -> Int in
                    throw AttemptFailed(attempt: attempt)
                }
            }
        })
        // 100 ms backoff + 60 ms attempt > 150 ms.
        #expect(error.reason == .deadline)
        #expect(error.attempts == 1)
    }

    @Test("the time attempts took counts: a retry that would need as long as the failed ones is not started")
    func attemptTimeEstimate() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.milliseconds(500), clock: clock) {
                try await withRetries(exactPolicy(), clock: clock) { attempt -> Int in
                    try await clock.sleep(for: .milliseconds(200))  // each attempt takes 200 ms, then fails
                    throw AttemptFailed(attempt: attempt)
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .milliseconds(200))
        // 300 ms left: 100 ms backoff + 200 ms attempt is not less than that, so no retry.
        let error = try #require(await #expect(throws: RetryError.self) { try await task.value })
        #expect(error.reason == .deadline)
        #expect(error.attempts == 1)
    }

    @Test("a spent budget ends the retries; the budget is shared between calls")
    func budgetExhausted() async throws {
        let clock = ManualClock()
        let budget = RetryBudget(ratio: 0, reserve: 1)
        let task = Task {
            try await withRetries(exactPolicy(budget: budget), clock: clock) { attempt -> Int in
                throw AttemptFailed(attempt: attempt)
            }
        }
        try await clock.waitForSleepers(count: 1)  // the one retry the reserve pays for
        #expect(budget.tokens == 0)
        clock.advance(by: .milliseconds(100))
        let error = try #require(await #expect(throws: RetryError.self) { try await task.value })
        #expect(error.reason == .budgetExhausted)
        #expect(error.attempts == 2)
        // A second call site holding the same budget gets no retry at all.
        let second = try #require(await #expect(throws: RetryError.self) {
            try await withRetries(exactPolicy(budget: budget), clock: clock) { attempt -> Int in
                throw AttemptFailed(attempt: attempt)
            }
        })
        #expect(second.reason == .budgetExhausted)
        #expect(second.attempts == 1)
    }

    @Test("under a storm of failures, retries stay within the budget's share of calls plus its reserve")
    func budgetShare() async throws {
        let clock = ManualClock()
        let budget = RetryBudget(ratio: 0.1, reserve: 5)
        let retries = Recorder<Int>()
        let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .zero, jitter: .none, budget: budget)
        for call in 0..<1_000 {
            _ = try? await withRetries(policy, clock: clock) { attempt -> Int in
                if attempt > 1 { retries.record(attempt) }
                if (call + attempt).isMultiple(of: 2) { throw AttemptFailed(attempt: attempt) }  // half fail
                return attempt
            }
        }
        #expect(retries.all.count <= 100 + 5)
        #expect(retries.all.count >= 95, "the budget earned by 1,000 calls is used")
    }

    @Test("the caller's cancellation during a backoff ends the retries with CancellationError, not RetryError")
    func callerCancellationIsNotExhaustion() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withRetries(exactPolicy(), clock: clock) { attempt -> Int in
                throw AttemptFailed(attempt: attempt)
            }
        }
        try await clock.waitForSleepers(count: 1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test("an enclosing deadline that passes during an attempt surfaces as that scope's TimeoutError")
    func enclosingDeadlineDuringAttempt() async throws {
        let clock = ManualClock()
        let attempts = Recorder<Int>()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) {
                try await withRetries(exactPolicy(), clock: clock) { attempt -> Int in
                    attempts.record(attempt)
                    try await clock.sleep(for: .seconds(5))
                    return attempt
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        await #expect(throws: TimeoutError.self) { try await task.value }
        #expect(attempts.all == [1], "a cancelled attempt is not retried")
    }

    @Test("a CancellationError from the operation while the caller runs on is not retried by default")
    func cancellationErrorNotRetriedByDefault() async throws {
        let clock = ManualClock()
        let error = try #require(await #expect(throws: RetryError.self) {
            try await withRetries(exactPolicy(), clock: clock) { _ -> Int in throw CancellationError() }
        })
        #expect(error.reason == .notRetryable)
        #expect(error.lastError is CancellationError)
    }

    @Test("full jitter stays below the ceiling, and a seed reproduces the schedule")
    func seededJitter() async throws {
        func schedule(seed: UInt64) async throws -> [Duration] {
            let clock = ManualClock()
            let policy = RetryPolicy(maxAttempts: 4, initialBackoff: .seconds(1), maxBackoff: .seconds(60), jitter: .fullSeeded(seed))
            let task = Task {
                try await withRetries(policy, clock: clock) { attempt -> Int in
                    if attempt < 4 { throw AttemptFailed(attempt: attempt) }
                    return attempt
                }
            }
            var delays: [Duration] = []
            for _ in 1...3 {
                try await clock.waitForSleepers(count: 1)
                let due = try #require(clock.pendingDeadlines.first)
                delays.append(clock.now.duration(to: due))
                clock.advance(to: due)
            }
            _ = try await task.value
            return delays
        }
        let first = try await schedule(seed: 7)
        #expect(try await schedule(seed: 7) == first)
        #expect(try await schedule(seed: 8) != first)
        for (index, delay) in first.enumerated() {
            #expect(delay >= .zero)
            #expect(delay <= .seconds(1 << index), "retry \(index + 1)'s ceiling")
        }
    }

    @Test("values out of range are brought into range, not trapped on")
    func badInput() {
        let policy = RetryPolicy(maxAttempts: -3, initialBackoff: .seconds(-1), maxBackoff: .seconds(-5), multiplier: .nan, minimumAttemptDuration: .seconds(-2))
        #expect(policy.maxAttempts == 1)
        #expect(policy.initialBackoff == .zero)
        #expect(policy.maxBackoff == .zero)
        #expect(policy.multiplier == 1)
        #expect(policy.minimumAttemptDuration == .zero)
        let huge = RetryPolicy(initialBackoff: .seconds(1), maxBackoff: .seconds(30), multiplier: 1e300)
        #expect(huge.multiplier == 1e6)
        #expect(huge.backoffCeiling(beforeRetry: Int.max) == .seconds(30))
        #expect(huge.backoffCeiling(beforeRetry: -4) == .seconds(1))
        let budget = RetryBudget(ratio: .infinity, reserve: -1)
        #expect(budget.ratio == 1)
        #expect(budget.reserve == 0)
        #expect(!budget.acquireRetry())
        budget.recordCall()
        #expect(budget.acquireRetry(), "a budget without reserve still earns retries")
        #expect(RetryBudget(ratio: .nan).ratio == 0)
    }

    @Test("operations run on the caller's actor and may return its non-Sendable state")
    @MainActor
    func runsOnCallersActor() async throws {
        let counter = Counter()
        let clock = ManualClock()
        let result = try await withRetries(exactPolicy(), clock: clock) { attempt -> Counter in
            MainActor.assertIsolated()
            counter.value = attempt
            return counter
        }
        #expect(result === counter)
    }
}
