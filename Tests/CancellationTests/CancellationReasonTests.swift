import Cancellation
import CancellationTesting
import Testing

/// Why was I cancelled?
@Suite("Cancellation reasons")
struct CancellationReasonTests {
    @Test("no reason while the task is not cancelled")
    func notCancelled() async throws {
        #expect(CancellationReason.current == nil)
        let inside = try await withTimeout(.seconds(1), clock: ManualClock()) { CancellationReason.current }
        #expect(inside == nil)
    }

    @Test("an expired deadline names its scope")
    func deadlineReason() async throws {
        let clock = ManualClock()
        let line = #line + 2
        let task = Task {
            try await withTimeoutOrNil(.seconds(1), clock: clock) { () async throws -> CancellationReason? in
                try? await clock.sleep(for: .seconds(10))
                return CancellationReason.current
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        let reason = try await task.value
        #expect(reason == .some(.deadlineExpired(scope: ScopeLocation(fileID: #fileID, line: line))))
        #expect(reason??.description == "deadline of the scope at \(#fileID):\(line) expired")
    }

    @Test("cancellation from outside every scope is taskCancelled")
    func outsideCancellation() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(10), clock: clock) { () async throws -> CancellationReason? in
                try? await clock.sleep(for: .seconds(100))
                return CancellationReason.current
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        #expect(try await task.value == .taskCancelled)
        // A task cancelled without any scope.
        let bare = Task { () -> CancellationReason? in
            withUnsafeCurrentTask { $0?.cancel() }
            return CancellationReason.current
        }
        #expect(await bare.value == .taskCancelled)
    }

    @Test("the first cause wins: an outer deadline that expired before an inner one")
    func firstCauseWins() async throws {
        let clock = ManualClock()
        let outerLine = #line + 3
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(.init(gracePeriod: .seconds(100))) {
                try await withTimeoutOrNil(.seconds(1), clock: clock) {
                    try await withTimeoutOrNil(.seconds(2), clock: clock) { () async throws -> CancellationReason? in
                        await withCancellationShield { try? await clock.sleep(for: .seconds(5)) }
                        return CancellationReason.current
                    }
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)  // the shielded sleep, both deadlines
        clock.advance(by: .seconds(1))
        // The outer deadline fired within `advance`, and its cancellation armed the outer scope's grace timer.
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(101)))
        clock.advance(by: .seconds(1))
        clock.advance(by: .seconds(3))
        let reason = try await task.value
        #expect(reason == .some(.some(.deadlineExpired(scope: ScopeLocation(fileID: #fileID, line: outerLine)))))
    }

    @Test("an outside cancellation that came before a scope's deadline stays the reason")
    func outsideBeforeDeadline() async throws {
        let clock = ManualClock()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) { () async throws -> CancellationReason? in
                await withCancellationShield { try? await clock.sleep(for: .seconds(5)) }
                return CancellationReason.current
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        clock.advance(by: .seconds(5))
        #expect(try await task.value == .taskCancelled)
    }

    @Test("an explicit cancellation carries its reason")
    func explicitReason() async throws {
        let clock = ManualClock()
        let reason = await withCancelScope(clock: clock) { scope in
            scope.cancel(reason: "client went away")
            return CancellationReason.current
        }
        guard case .cancelled(let text, _)?? = reason else {
            Issue.record("expected an explicit reason, got \(String(describing: reason))")
            return
        }
        #expect(text == "client went away")
    }

    @Test("inside a shield there is no reason, even though the caller is cancelled")
    func shieldHasNoReason() async throws {
        let task = Task { () -> (CancellationReason?, CancellationReason?) in
            withUnsafeCurrentTask { $0?.cancel() }
            let inside = await withCancellationShield { CancellationReason.current }
            return (inside, CancellationReason.current)
        }
        let (inside, outside) = await task.value
        #expect(inside == nil)
        #expect(outside == .taskCancelled)
    }
}
