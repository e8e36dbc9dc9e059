import Cancellation
import CancellationTesting
import CancellationWire
import Testing

@Suite("Server deadline policy")
struct ServerDeadlinePolicyTests {
    @Test("the client's timeout applies, capped by the maximum; the default fills in a missing one")
    func combinations() {
        let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(10), maximumTimeout: .seconds(30))
        #expect(policy.timeout(requested: .milliseconds(200)) == .milliseconds(200))
        #expect(policy.timeout(requested: .seconds(3_600)) == .seconds(30))
        #expect(policy.timeout(requested: nil) == .seconds(10))
        #expect(policy.timeout(requested: .zero) == .zero)
        #expect(policy.timeout(requested: .seconds(-4)) == .zero)
    }

    @Test("without a default a request with no header has no deadline unless there is a maximum")
    func noDefault() {
        #expect(ServerDeadlinePolicy().timeout(requested: nil) == nil)
        #expect(ServerDeadlinePolicy().timeout(requested: .seconds(5)) == .seconds(5))
        #expect(ServerDeadlinePolicy(maximumTimeout: .seconds(2)).timeout(requested: nil) == .seconds(2))
    }

    @Test("a default above the maximum is capped; negative settings count as zero")
    func oddSettings() {
        #expect(ServerDeadlinePolicy(defaultTimeout: .seconds(60), maximumTimeout: .seconds(5)).timeout(requested: nil) == .seconds(5))
        let negative = ServerDeadlinePolicy(defaultTimeout: .seconds(-1), maximumTimeout: .seconds(-1))
        #expect(negative.timeout(requested: nil) == .zero)
        #expect(negative.timeout(requested: .seconds(1)) == .zero)
        #expect(negative.description == "default 0.0 seconds, maximum 0.0 seconds")
    }

    @Test("a client can never raise the maximum, whatever it sends")
    func neverAboveMaximum() {
        var generator = SplitMix64(state: 99)
        let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(1), maximumTimeout: .seconds(3))
        for _ in 0..<10_000 {
            let requested = Duration.nanoseconds(Int64.random(in: Int64.min...Int64.max, using: &generator))
            let timeout = policy.timeout(requested: requested)
            #expect(timeout != nil && timeout! >= .zero && timeout! <= .seconds(3))
        }
    }
}

@Suite("Outgoing timeout")
struct OutgoingTimeoutTests {
    @Test("outside any scope it is the configured timeout, or none")
    func noScope() {
        #expect(OutgoingTimeout.current() == nil)
        #expect(OutgoingTimeout.current(configured: .seconds(2)) == .seconds(2))
        #expect(OutgoingTimeout.current(configured: .seconds(-2)) == .zero)
    }

    @Test("inside a scope it is the shorter of the configured timeout and the time left")
    func insideScope() async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(100))
        let values = await withCancelScope(deadline: deadline) { _ in
            (OutgoingTimeout.current(), OutgoingTimeout.current(configured: .seconds(1)), OutgoingTimeout.current(configured: .seconds(1_000)))
        }
        let (inherited, shorter, longer) = try #require(values)
        let inheritedValue = try #require(inherited)
        #expect(inheritedValue <= .seconds(100) && inheritedValue > .seconds(90))
        #expect(shorter == .seconds(1))
        let longerValue = try #require(longer)
        #expect(longerValue <= .seconds(100))
    }

    @Test("each attempt of a hedged call passes on what is left of the caller's deadline when it starts")
    func hedgedAttempts() async throws {
        let clock = ManualClock()
        let sent = LockedBudgets()
        let task = Task {
            try await withTimeout(.seconds(2), clock: clock) {
                try await withHedging(HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(500))), clock: clock) { attempt in
                    sent.append(attempt, OutgoingTimeout.current(configured: .seconds(10)))
                    try await clock.sleep(for: attempt == 1 ? .seconds(10) : .milliseconds(5))  // the call
                    return attempt
                }
            }
        }
        try await clock.waitForSleepers(count: 1)  // attempt 1
        try await clock.waitForTimers(count: 2)  // the deadline and the hedging delay
        clock.advance(by: .milliseconds(500))
        try await clock.waitForSleeper(until: clock.now.advanced(by: .milliseconds(5)))
        clock.advance(by: .milliseconds(5))
        #expect(try await task.value == 2)
        #expect(sent.all.sorted { $0.0 < $1.0 }.map(\.1) == [.seconds(2), .milliseconds(1_500)])
    }

    @Test("a deadline that has passed gives zero: do not send")
    func expired() async throws {
        let clock = ContinuousClock()
        // The operation does not suspend, so it runs to the end and its value is kept (the scope's rule).
        let value = await withCancelScope(deadline: clock.now.advanced(by: .seconds(-1))) { _ in
            OutgoingTimeout.current(configured: .seconds(5))
        }
        #expect(value == .some(.some(.zero)))
    }
}

/// The budgets a test's attempts would send, appended from concurrent attempts.
final class LockedBudgets: Sendable {
    private let values = LockedValue<[(Int, Duration?)]>([])

    func append(_ attempt: Int, _ budget: Duration?) {
        values.withLock { $0.append((attempt, budget)) }
    }

    var all: [(Int, Duration?)] { values.withLock { $0 } }
}
