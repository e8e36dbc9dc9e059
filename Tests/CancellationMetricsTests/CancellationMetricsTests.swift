#if Metrics
import Cancellation
import CancellationMetrics
import CancellationTesting
import CoreMetrics
import Logging
import MetricsTestKit
import Testing

@Suite("Metrics")
struct CancellationMetricsTests {
    /// Diagnostics that count into `metrics` and log nowhere.
    static func counting(into metrics: TestMetrics, scopeDimension: Bool = false, gracePeriod: Duration? = nil) -> CancellationDiagnostics {
        CancellationDiagnostics(
            gracePeriod: gracePeriod,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            observer: CancellationMetrics.observer(factory: metrics, scopeDimension: scopeDimension)
        )
    }

    @Test("each fired timeout increments cancellation.deadline.expired; one in time does not")
    func deadlineExpired() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        try await CancellationDiagnostics.$current.withValue(Self.counting(into: metrics)) {
            for _ in 0..<3 {
                _ = try await withTimeoutOrNil(.zero, clock: clock) { try await clock.sleep(for: .seconds(1)) }
            }
            _ = try await withTimeout(.seconds(1), clock: clock) { 1 }
        }
        #expect(try metrics.expectCounter(CancellationMetrics.Label.deadlineExpired).totalValue == 3)
        #expect(metrics.counters(label: CancellationMetrics.Label.lateResult).isEmpty)
    }

    @Test("late results, uncooperative operations and how long they ignored cancellation are recorded")
    func lateAndUncooperative() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.counting(into: metrics, gracePeriod: .seconds(2))) {
                try await withTimeout(.seconds(1), clock: clock) { () async -> String in
                    await withCancellationShield { try? await clock.sleep(for: .seconds(10)) }
                    return "late"
                }
            }
        }
        try await clock.waitForSleepers(count: 1)
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .seconds(1))
        try await clock.waitForTimer(at: ManualClock.Instant(offset: .seconds(3)))
        clock.advance(by: .seconds(9))
        #expect(try await task.value == "late")
        #expect(try metrics.expectCounter(CancellationMetrics.Label.deadlineExpired).totalValue == 1)
        #expect(try metrics.expectCounter(CancellationMetrics.Label.lateResult).totalValue == 1)
        #expect(try metrics.expectCounter(CancellationMetrics.Label.uncooperative).totalValue == 1)
        #expect(try metrics.expectTimer(CancellationMetrics.Label.ignoredCancellation).values == [2_000_000_000])
    }

    @Test("abandoned operations are counted")
    func abandoned() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.counting(into: metrics)) {
                try await withTimeout(.seconds(1), clock: clock, abandoningAfter: .seconds(2), onLateOutcome: { _ in }) {
                    await withCancellationShield { try? await clock.sleep(for: .seconds(100)) }
                    return 1
                }
            }
        }
        try await clock.waitForSleepers(count: 1)
        try await clock.waitForTimers(count: 2)
        clock.advance(by: .seconds(1))
        clock.advance(by: .seconds(2))
        await #expect(throws: TimeoutError.self) { try await task.value }
        #expect(try metrics.expectCounter(CancellationMetrics.Label.abandoned).totalValue == 1)
        clock.advance(by: .seconds(100))
    }

    @Test("with scopeDimension, each metric names the scope's source location")
    func scopeDimension() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let line = #line + 2
        _ = try await CancellationDiagnostics.$current.withValue(Self.counting(into: metrics, scopeDimension: true)) {
            try await withTimeoutOrNil(.zero, clock: clock) { try await clock.sleep(for: .seconds(1)) }
        }
        let counter = try metrics.expectCounter(CancellationMetrics.Label.deadlineExpired, [("code.location", "\(#fileID):\(line)")])
        #expect(counter.totalValue == 1)
    }

    @Test("a bounded shield that runs out increments cancellation.shield.expired")
    func shieldExpired() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let task = Task {
            try await CancellationDiagnostics.$current.withValue(Self.counting(into: metrics)) {
                try await withCancellationShield(timeout: .seconds(1), clock: clock) {
                    try await clock.sleep(for: .seconds(10))
                }
            }
        }
        try await clock.waitForSleepers(count: 1)
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .seconds(1))
        await #expect(throws: TimeoutError.self) { try await task.value }
        #expect(try metrics.expectCounter(CancellationMetrics.Label.shieldExpired).totalValue == 1)
        #expect(try metrics.expectCounter(CancellationMetrics.Label.deadlineExpired).totalValue == 1)
    }
}
#endif
