import Cancellation
import CancellationTesting
import Testing

/// The opt-in that stops waiting for operations that ignore cancellation, without losing their outcome.
@Suite("Abandoning uncooperative operations")
struct AbandonTests {
    @Test("a cooperative operation times out as usual and has no late outcome")
    func cooperative() async throws {
        let clock = ManualClock()
        let late = Recorder<String>()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock, abandoningAfter: .seconds(2), onLateOutcome: { _ in late.record("late") }) {
                try await clock.sleep(for: .seconds(10))
                return 1
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the operation's sleep; the deadline's and the abandonment's timers
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        #expect(late.all.isEmpty)
        #expect(try await withTimeout(.seconds(1), clock: clock, abandoningAfter: .seconds(1), onLateOutcome: { _ in }) { 5 } == 5)
    }

    @Test("an operation that ignores its deadline is abandoned after the grace period, and its late value is delivered")
    func abandonedAfterDeadline() async throws {
        let clock = ManualClock()
        let (lateOutcomes, lateSink) = AsyncStream.makeStream(of: Result<String, any Error>.self)
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock, abandoningAfter: .seconds(2), onLateOutcome: { lateSink.yield($0) }) {
                await withCancellationShield { try? await clock.sleep(for: .seconds(100)) }
                return "finally"
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the operation's sleep; the deadline's and the abandonment's timers
        clock.advance(by: .seconds(1))
        clock.advance(by: .seconds(2))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(1))
        // The operation is still running, detached; its value arrives when it ends.
        clock.advance(by: .seconds(97))
        var iterator = lateOutcomes.makeAsyncIterator()
        let outcome = try #require(await iterator.next())
        #expect(try outcome.get() == "finally")
    }

    @Test("a cancelled caller stops waiting after the grace period and gets CancellationError")
    func abandonedAfterCallerCancelled() async throws {
        let clock = ManualClock()
        let (lateOutcomes, lateSink) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let task = Task {
            try await withTimeout(.seconds(60), clock: clock, abandoningAfter: .seconds(5), onLateOutcome: { lateSink.yield($0) }) {
                await withCancellationShield { try? await clock.sleep(for: .seconds(30)) }
                throw OperationError(code: 4)
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the operation's sleep; the deadline's and the abandonment's timers
        task.cancel()
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(5)))  // abandonment, 5 s after the caller's cancellation
        clock.advance(by: .seconds(5))
        #expect(await task.result.failure is CancellationError)
        clock.advance(by: .seconds(25))
        var iterator = lateOutcomes.makeAsyncIterator()
        let outcome = try #require(await iterator.next())
        #expect(outcome.failure as? OperationError == OperationError(code: 4))
    }

    @Test("an operation that finishes within the grace period is waited for and its value returned")
    func finishesWithinGrace() async throws {
        let clock = ManualClock()
        let late = Recorder<String>()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock, abandoningAfter: .seconds(10), onLateOutcome: { _ in late.record("late") }) {
                await withCancellationShield { try? await clock.sleep(for: .seconds(3)) }
                return "in grace"
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the operation's sleep; the deadline's and the abandonment's timers
        clock.advance(by: .seconds(1))
        clock.advance(by: .seconds(2))
        #expect(try await task.value == "in grace")
        #expect(late.all.isEmpty)
    }
}
