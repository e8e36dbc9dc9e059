import Cancellation
import CancellationTesting
import Testing

/// Shields: cleanup that runs to completion even when the surrounding task or scope is cancelled.
@Suite("Cancellation shields")
struct ShieldTests {
    @Test("a shield runs its block to completion although the caller is cancelled, and the caller stays cancelled")
    func runsToCompletion() async throws {
        let clock = ManualClock()
        let steps = Recorder<String>()
        let task = Task { () async throws -> Bool in
            do {
                try await clock.sleep(for: .seconds(100))
            } catch {
                await withCancellationShield {
                    steps.record("cleanup started, cancelled: \(Task.isCancelled)")
                    try? await clock.sleep(for: .seconds(2))  // closing a connection takes time
                    steps.record("cleanup finished")
                }
                throw error
            }
            return false
        }
        try await clock.waitForSleepers(count: 1)
        task.cancel()
        try await clock.waitForSleepers(count: 1)
        clock.advance(by: .seconds(2))
        #expect(await task.result.failure is CancellationError)
        #expect(steps.all == ["cleanup started, cancelled: false", "cleanup finished"])
    }

    @Test("after the shield, the caller's cancellation is still visible")
    func callerStaysCancelled() async {
        let task = Task { () -> (Bool, Bool) in
            withUnsafeCurrentTask { $0?.cancel() }
            let inside = await withCancellationShield { Task.isCancelled }
            return (inside, Task.isCancelled)
        }
        let (inside, after) = await task.value
        #expect(!inside)
        #expect(after)
    }

    @Test("a shield inside an expired scope is not cancelled by it")
    func shieldInsideExpiredScope() async throws {
        let clock = ManualClock()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(.init(gracePeriod: .seconds(100))) {
            try await withTimeout(.seconds(1), clock: clock) { () async throws -> String in
                let cleanup = await withCancellationShield { () async -> String in
                    try? await clock.sleep(for: .seconds(3))
                    return Task.isCancelled ? "interrupted" : "completed"
                }
                #expect(cleanup == "completed")
                try Task.checkCancellation()
                return cleanup
            }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the shielded sleep, the scope's deadline
        clock.advance(by: .seconds(1))
        // The deadline fired within `advance`, and the scope's cancellation armed its grace timer.
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(101)))
        clock.advance(by: .seconds(2))
        #expect(await task.result.failure is TimeoutError)
    }

    @Test("a shield passes its block's value and error through, with typed throws")
    func valuesAndErrors() async throws {
        let value = await withCancellationShield { 42 }
        #expect(value == 42)
        do {
            try await withCancellationShield { () throws(OperationError) -> Void in throw OperationError(code: 9) }
            Issue.record("expected an error")
        } catch {
            #expect(error == OperationError(code: 9))
        }
    }

    @Test("a bounded shield stops a block that would hang shutdown, and says so with TimeoutError")
    func boundedShield() async throws {
        let clock = ManualClock()
        let line = #line + 3
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await withCancellationShield(timeout: .seconds(5), clock: clock) {
                try await clock.sleep(for: .seconds(3_600))
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the block's sleep, the shield's bound
        clock.advance(by: .seconds(5))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.location.line == line)
        #expect(error.timeout == .seconds(5))
        // The bound was enforced by the clock's timer engine; the only sleep was the block's.
        #expect(clock.firedTimers == 1)
        #expect(clock.totalSleeps == 1)
    }

    @Test("a bounded shield that finishes in time returns its value")
    func boundedShieldInTime() async throws {
        let value = try await withCancellationShield(timeout: .seconds(30)) { "closed" }
        #expect(value == "closed")
    }

    @MainActor
    @Test("a shield runs its block on the caller's actor with its non-Sendable state")
    func shieldOnMainActor() async {
        let counter = Counter()
        await withCancellationShield {
            MainActor.preconditionIsolated()
            counter.value += 1
            await Task.yield()
            MainActor.preconditionIsolated()  // still there after a suspension
            counter.value += 1
        }
        #expect(counter.value == 2)
    }

    @Test("task-local values carry into a shield")
    func taskLocalsCarryOver() async {
        let seen = await TestLocals.$requestID.withValue("req-7") {
            await withCancellationShield { TestLocals.requestID }
        }
        #expect(seen == "req-7")
    }
}

enum TestLocals {
    @TaskLocal static var requestID = "none"
}
