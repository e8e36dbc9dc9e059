import Cancellation
import CancellationTesting
import Logging
import Testing

/// Every behaviour of the asyncio explainer that started the project
/// (`shared/reference/000_eabebed4b5399c1a.txt`), re-enacted with this library on a manual clock.
@Suite("The asyncio reference, in Swift")
struct ReferenceTests {
    /// `async def slow_operation(): await asyncio.sleep(10); return "done"`
    static func slowOperation(_ clock: ManualClock) async throws -> String {
        try await clock.sleep(for: .seconds(10))
        return "done"
    }

    @Test("wait_for(slow_operation(), timeout=2): cancels the operation and raises TimeoutError after 2 seconds")
    func waitFor() async throws {
        let clock = ManualClock()
        let task = Task { try await withTimeout(.seconds(2), clock: clock) { try await Self.slowOperation(clock) } }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the operation's sleep, the timeout's deadline
        clock.advance(by: .seconds(2))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.description.hasPrefix("timed out after 2 seconds"))
        #expect(clock.now == ManualClock.Instant(offset: .seconds(2)))
    }

    @Test("async with asyncio.timeout(2): one deadline covers every await of the block")
    func timeoutBlock() async throws {
        let clock = ManualClock()
        let steps = Recorder<String>()
        let task = Task {
            try await withTimeout(.seconds(2), clock: clock) {
                try await clock.sleep(for: .seconds(1.5))
                steps.record("first await done")
                _ = try await Self.slowOperation(clock)  // only 0.5 s of the budget is left
                steps.record("second await done")
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the first await, the block's deadline
        clock.advance(by: .seconds(1.5))
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the second await, the same deadline
        clock.advance(by: .seconds(0.5))
        #expect(await task.result.failure is TimeoutError)
        #expect(steps.all == ["first await done"])
    }

    @Test("task.cancel() raises at the next await; the worker cleans up, re-raises, and awaiting the task propagates it")
    func cancelWithCleanup() async throws {
        let clock = ManualClock()
        let steps = Recorder<String>()
        let worker = Task {
            do {
                try await clock.sleep(for: .seconds(100))
            } catch is CancellationError {
                steps.record("cleaning up before exiting")
                throw CancellationError()  // re-raise so the cancellation completes
            }
        }
        try await clock.waitForSleepers(count: 1)
        clock.advance(by: .seconds(1))  // await asyncio.sleep(1)
        worker.cancel()  // requests cancellation
        #expect(await worker.result.failure is CancellationError)  // await task
        #expect(steps.all == ["cleaning up before exiting"])
    }

    @Test("task.cancel() does not stop the task immediately: code up to the next cancellation point still runs")
    func cancelIsNotImmediate() async {
        let steps = Recorder<String>()
        let worker = Task {
            withUnsafeCurrentTask { $0?.cancel() }  // cancelled while running synchronous code
            steps.record("synchronous work after cancel() still runs")
            do {
                try Task.checkCancellation()  // the next await / cancellation point
                steps.record("not reached")
            } catch {
                steps.record("cancelled at the next cancellation point")
            }
        }
        await worker.value
        #expect(steps.all == ["synchronous work after cancel() still runs", "cancelled at the next cancellation point"])
    }

    @Test("a bare catch swallows cancellation and the worker carries on; catching only other errors lets it propagate")
    func blanketCatch() async throws {
        let clock = ManualClock()
        // bad_worker: `except:` — in Swift, a `catch` without a pattern.
        let bad = Task { () async -> String in
            do {
                try await clock.sleep(for: .seconds(100))
            } catch {  // cancellation-lint:disable:this catch-all-fallback -- the reference's bad_worker, on purpose
                // swallowed, on purpose: this is the reference's bad_worker
            }
            return "carried on as if nothing happened"
        }
        try await clock.waitForSleepers(count: 1)
        bad.cancel()
        #expect(await bad.value == "carried on as if nothing happened")

        // `except Exception:` does not catch CancelledError; in Swift, catch the errors you mean, and put
        // `catch is CancellationError { throw }` first when a catch-all follows.
        let good = Task { () async throws -> String in
            do {
                try await clock.sleep(for: .seconds(100))
            } catch let error as OperationError {
                return "handled \(error)"
            }
            return "finished"
        }
        try await clock.waitForSleepers(count: 1)
        good.cancel()
        #expect(await good.result.failure is CancellationError)
    }

    @Test("swallowed cancellation can leave callers waiting: it is reported, and an opt-in stops the wait")
    func swallowedCancellationIsVisible() async throws {
        let clock = ManualClock()
        let handler = CapturingLogHandler()
        let (late, lateSink) = AsyncStream.makeStream(of: Result<String, any Error>.self)
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(.init(gracePeriod: .seconds(1), logger: Logger(label: "t") { _ in handler })) {
                try await withTimeout(.seconds(2), clock: clock, abandoningAfter: .seconds(3), onLateOutcome: { lateSink.yield($0) }) {
                    do {
                        try await clock.sleep(for: .seconds(100))
                    } catch {  // cancellation-lint:disable:this catch-all-fallback - the swallow is what this test shows
                        // swallowed: the worker carries on with work that takes long and never checks again
                    }
                    await withCancellationShield { try? await clock.sleep(for: .seconds(100)) }
                    return "finished long after"
                }
            }
        }
        // The worker's sleep; the deadline's and the abandonment's timers.
        try await clock.waitForPending(sleeps: 1, timers: 2)
        clock.advance(by: .seconds(2))  // the deadline fires; the worker ignores it
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(3)))  // the report's grace timer
        try await clock.waitForSleeper(until: ManualClock.Instant(offset: .seconds(102)))  // the worker carries on
        clock.advance(by: .seconds(1))  // grace period of the report
        await handler.waitForEntries(1)
        #expect(handler.entries[0].message.contains("ignored cancellation"))
        clock.advance(by: .seconds(2))  // the abandonment deadline: the caller stops waiting
        #expect(await task.result.failure is TimeoutError)
        clock.advance(by: .seconds(100))  // the abandoned worker ends; its value is not lost
        var iterator = late.makeAsyncIterator()
        #expect(try await iterator.next()?.get() == "finished long after")
    }
}
