import Cancellation
import CancellationTesting
import Logging
import Testing

/// Operations that ignore cancellation are reported, so callers do not wait forever in silence.
@Suite("Uncooperative operations")
struct DiagnosticsTests {
    @Test("an operation that ignores its scope's cancellation past the grace period is reported, then its end")
    func reportsUncooperativeOperation() async throws {
        let clock = ManualClock()
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let line = #line + 3
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(.init(gracePeriod: .seconds(2), logger: logger)) {
                try await withTimeout(.seconds(1), clock: clock) { () async throws -> String in
                    // Ignores cancellation: the cleanup is shielded and takes ten seconds.
                    await withCancellationShield { try? await clock.sleep(for: .seconds(10)) }
                    return "late"
                }
            }
        }
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the shielded sleep, the deadline
        clock.advance(by: .seconds(1))     // the deadline fires; the grace timer is armed
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(3)))
        #expect(clock.pendingSleepers == 1)  // the shielded sleep goes on
        clock.advance(by: .seconds(2))     // the grace period passes
        await handler.waitForEntries(1)
        #expect(clock.firedTimers == 2)  // the deadline, then the grace timer
        let warning = try #require(handler.entries.first)
        #expect(warning.level == .warning)
        #expect(warning.metadata["scope"] == "\(#fileID):\(line)")
        #expect(warning.metadata["ignored_for"] == "2 seconds")
        #expect(warning.message.contains("ignored cancellation for 2 seconds"))
        clock.advance(by: .seconds(7))
        #expect(try await task.value == "late")
        await handler.waitForEntries(2)
        #expect(handler.entries[1].level == .notice)
        #expect(handler.entries[1].message.contains("finished 9 seconds after it was cancelled"))
    }

    @Test("a cooperative operation is never reported, and reporting can be turned off")
    func cooperativeIsSilent() async throws {
        let clock = ManualClock()
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        for grace in [.seconds(1), .zero, .seconds(-1), nil] as [Duration?] {
            let task = Task {
                try await CancellationDiagnostics.$current.withValue(.init(gracePeriod: grace, logger: logger)) {
                    try await withTimeoutOrNil(.seconds(1), clock: clock) {
                        try await clock.sleep(for: .seconds(10))
                    }
                }
            }
            try await clock.waitForPending(sleeps: 1, timers: 1)  // the operation's sleep, the deadline
            clock.advance(by: .seconds(1))
            #expect(try await task.value == false)
        }
        #expect(handler.entries.isEmpty)
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)  // no grace timer lingers
    }
}
