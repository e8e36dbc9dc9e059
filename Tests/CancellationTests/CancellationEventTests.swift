import Cancellation
import CancellationTesting
import Logging
import Testing

/// The events scopes report to `CancellationDiagnostics.observer`, which metrics count.
@Suite("Cancellation events")
struct CancellationEventTests {
    /// Diagnostics that record every event (and log nowhere).
    static func recording(_ events: Recorder<CancellationEvent>, gracePeriod: Duration? = nil) -> CancellationDiagnostics {
        CancellationDiagnostics(gracePeriod: gracePeriod, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) {
            events.record($0)
        }
    }

    @Test("a deadline that passes reports deadlineExpired once, naming the scope; one already past does too")
    func deadlineExpired() async throws {
        let clock = ManualClock()
        let events = Recorder<CancellationEvent>()
        let line = #line + 3
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.recording(events)) {
                try await withTimeout(.seconds(1), clock: clock) { try await clock.sleep(for: .seconds(10)) }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        await #expect(throws: TimeoutError.self) { try await task.value }
        #expect(events.all == [.deadlineExpired(scope: ScopeLocation(fileID: #fileID, line: line))])

        let expired = Recorder<CancellationEvent>()
        _ = try await CancellationDiagnostics.$current.withValue(Self.recording(expired)) {
            try await withTimeoutOrNil(.zero, clock: clock) { try await clock.sleep(for: .seconds(1)) }
        }
        #expect(expired.all.count == 1)
        if case .deadlineExpired = expired.all.first {} else { Issue.record("expected deadlineExpired, got \(expired.all)") }
    }

    @Test("an operation that finishes in time, or a scope cancelled with a reason, reports no expiry")
    func noEventInTime() async throws {
        let clock = ManualClock()
        let events = Recorder<CancellationEvent>()
        try await CancellationDiagnostics.$current.withValue(Self.recording(events)) {
            _ = try await withTimeout(.seconds(1), clock: clock) { 42 }
            _ = try await withCancelScope(clock: clock) { scope in
                scope.cancel(reason: "not needed")
                try await clock.sleep(for: .seconds(1))
            }
        }
        #expect(events.all.isEmpty)
    }

    @Test("a value returned after the scope's cancellation is kept and reported as lateResult")
    func lateResult() async throws {
        let clock = ManualClock()
        let events = Recorder<CancellationEvent>()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.recording(events)) {
                try await withTimeout(.seconds(1), clock: clock) { () async -> String in
                    await withCancellationShield { try? await clock.sleep(for: .seconds(2)) }
                    return "late"
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(2))
        #expect(try await task.value == "late")
        #expect(events.all.count == 2)
        #expect(Set(events.all.map(\.scope)).count == 1, "both name the same scope")
        if case .deadlineExpired = events.all.first {} else { Issue.record("first: \(events.all)") }
        if case .lateResult = events.all.last {} else { Issue.record("last: \(events.all)") }
    }

    @Test("an operation that ignores cancellation past the grace period reports uncooperative, with how long")
    func uncooperative() async throws {
        let clock = ManualClock()
        let events = Recorder<CancellationEvent>()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.recording(events, gracePeriod: .seconds(2))) {
                try await withTimeout(.seconds(1), clock: clock) { () async -> String in
                    await withCancellationShield { try? await clock.sleep(for: .seconds(10)) }
                    return "late"
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(3)))
        clock.advance(by: .seconds(2))
        try await clock.waitForSleepers(count: 1)
        clock.advance(by: .seconds(7))
        #expect(try await task.value == "late")
        let uncooperative = events.all.compactMap { event -> Duration? in
            if case .uncooperative(_, let ignoredFor) = event { return ignoredFor }
            return nil
        }
        #expect(uncooperative == [.seconds(2)])
    }

    @Test("the abandoning timeout reports abandoned when it stops waiting")
    func abandoned() async throws {
        let clock = ManualClock()
        let events = Recorder<CancellationEvent>()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.recording(events)) {
                try await withTimeout(.seconds(1), clock: clock, abandoningAfter: .seconds(2), onLateOutcome: { _ in }) {
                    await withCancellationShield { try? await clock.sleep(for: .seconds(100)) }
                    return "finally"
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 2)
        clock.advance(by: .seconds(1))
        clock.advance(by: .seconds(2))
        #expect(await task.result.failure is TimeoutError)
        #expect(events.all.contains { if case .abandoned = $0 { true } else { false } })
        clock.advance(by: .seconds(100))  // let the detached operation end
    }

    @Test("a bounded shield that runs out reports shieldExpired at its own location; one in time, or an inner timeout, does not")
    func shieldExpired() async throws {
        let clock = ManualClock()
        let events = Recorder<CancellationEvent>()
        let line = #line + 3
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.recording(events)) {
                try await withCancellationShield(timeout: .seconds(1), clock: clock) {
                    try await clock.sleep(for: .seconds(10))
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        let shieldScope = ScopeLocation(fileID: #fileID, line: line)
        #expect(events.all.filter { if case .shieldExpired = $0 { true } else { false } } == [.shieldExpired(scope: shieldScope)])
        #expect(events.all.contains(.deadlineExpired(scope: shieldScope)))

        // In time: nothing. An inner timeout that fires and escapes the bounded shield: not the shield's.
        let quiet = Recorder<CancellationEvent>()
        try await CancellationDiagnostics.$current.withValue(Self.recording(quiet)) {
            _ = try await withCancellationShield(timeout: .seconds(1), clock: clock) { 1 }
            await #expect(throws: TimeoutError.self) {
                try await withCancellationShield(timeout: .seconds(5), clock: clock) {
                    try await withTimeout(.zero, clock: clock) { try await clock.sleep(for: .seconds(1)) }
                }
            }
        }
        #expect(!quiet.all.contains { if case .shieldExpired = $0 { true } else { false } }, "\(quiet.all)")
    }
}
