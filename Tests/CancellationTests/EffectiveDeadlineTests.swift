import Cancellation
import CancellationTesting
import Testing

/// The effective deadline: the earliest deadline of every enclosing scope, readable anywhere inside.
@Suite("Effective deadline")
struct EffectiveDeadlineTests {
    @Test("outside every scope there is no effective deadline")
    func noScope() {
        #expect(EffectiveDeadline.current == nil)
    }

    @Test("the earliest of the enclosing deadlines applies, with the time remaining")
    func earliestWins() async throws {
        let clock = ManualClock()
        let outerLine = #line + 1
        let remaining = try await withTimeout(.seconds(5), clock: clock) {
            try await withTimeout(.seconds(30), clock: clock) {
                let deadline = try #require(EffectiveDeadline.current)
                #expect(deadline.location.line == outerLine)
                #expect(deadline.instant(in: clock) == ManualClock.Instant(offset: .seconds(5)))
                return deadline.remaining
            }
        }
        #expect(remaining == .seconds(5))
    }

    @Test("an inner, earlier deadline takes over, and the outer one applies again after it")
    func innerEarlier() async throws {
        let clock = ManualClock()
        let (inner, after) = try await withTimeout(.seconds(30), clock: clock) {
            let inner = try await withTimeout(.seconds(2), clock: clock) { EffectiveDeadline.current?.remaining }
            return (inner, EffectiveDeadline.current?.remaining)
        }
        #expect(inner == .seconds(2))
        #expect(after == .seconds(30))
    }

    @Test("the time remaining shrinks as the clock advances and is never negative")
    func remainingShrinks() async throws {
        let clock = ManualClock()
        let task = Task {
            await withCancelScope(deadline: clock.now.advanced(by: .seconds(5)), clock: clock) { _ in
                try? await clock.sleep(for: .seconds(2))
                let atTwo = EffectiveDeadline.current?.remaining
                try? await clock.sleep(for: .seconds(10))
                return (atTwo, EffectiveDeadline.current?.remaining, EffectiveDeadline.current?.hasExpired)
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the first sleep, the scope's deadline at 5 s
        clock.advance(by: .seconds(2))
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the second sleep, the same deadline
        clock.advance(by: .seconds(3))
        let values = await task.value
        #expect(values?.0 == .seconds(3))
        #expect(values?.1 == .zero)
        #expect(values?.2 == true)
    }

    @Test("a rescheduled deadline is what code inside sees")
    func rescheduledDeadline() async throws {
        let clock = ManualClock()
        let seen = try await withTimeout(.seconds(5), clock: clock) { scope in
            scope.reschedule(after: .seconds(9))
            return EffectiveDeadline.current?.remaining
        }
        #expect(seen == .seconds(9))
    }

    @Test("deadlines on different clocks are compared by the time they leave")
    func mixedClocks() async throws {
        let manual = ManualClock()
        let remaining = try await withTimeout(.seconds(3_600)) {
            try await withTimeout(.seconds(2), clock: manual) {
                EffectiveDeadline.current?.remaining
            }
        }
        #expect(remaining == .seconds(2))
        let converted = try await withTimeout(.seconds(2), clock: manual) {
            EffectiveDeadline.current?.instant(in: ContinuousClock())
        }
        let now = ContinuousClock.now
        let instant = try #require(converted)
        #expect(instant > now && instant <= now + .seconds(2))
    }

    @Test("a cancel scope without a deadline adds none")
    func scopeWithoutDeadline() async throws {
        let clock = ManualClock()
        let seen = await withCancelScope(clock: clock) { _ in EffectiveDeadline.current == nil }
        #expect(seen == true)
    }

    @Test("deadlines outside a shield do not apply inside it; its own bound does")
    func shieldHidesOuterDeadlines() async throws {
        let clock = ManualClock()
        let (unbounded, bounded) = try await withTimeout(.seconds(1), clock: clock) {
            let unbounded = await withCancellationShield { EffectiveDeadline.current }
            let bounded = try await withCancellationShield(timeout: .seconds(10), clock: clock) {
                EffectiveDeadline.current?.remaining
            }
            return (unbounded, bounded)
        }
        #expect(unbounded == nil)
        #expect(bounded == .seconds(10))
    }

    @Test("the description says how much time is left and whose deadline it is")
    func description() async throws {
        let clock = ManualClock()
        let line = #line + 1
        let text = try await withTimeout(.milliseconds(250), clock: clock) { EffectiveDeadline.current?.description }
        #expect(text == "250 ms left (scope at \(#fileID):\(line))")
    }
}
