import Cancellation
import Synchronization

// H1: the shape of "The Tail at Scale" (Dean and Barroso, CACM 2013): a request fans out to 100 calls of a
// service with a heavy tail and waits for all of them, without and with hedged calls.
// H2: a retry storm against a service that fails half its calls, with and without a shared retry budget.
//
// Frozen before measuring (Benchmarks/README.md): median call 0.5 ms (uniform 0.4–0.6 ms), 1 % of calls
// 50 ms (100 × the median), seed 2013; 100 calls per request; 1,000 requests (100 with --quick), 4 in
// flight; hedging: at most 3 attempts, a further one after a fixed 2 ms, no budget (the extra calls are
// what is measured). H2: 10,000 calls, 50 % failing, at most 5 attempts without backoff, budget ratio 0.1
// and reserve 10.

/// The simulated service: seeded latencies, counted calls.
final class SimulatedService: Sendable {
    private let generator: Mutex<SplitMixGenerator>
    private let calls = Atomic<Int>(0)
    let median: Duration

    init(seed: UInt64, median: Duration) {
        generator = Mutex(SplitMixGenerator(state: seed))
        self.median = median
    }

    var callCount: Int { calls.load(ordering: .relaxed) }

    /// One call: 0.8–1.2 × the median, or 100 × the median for 1 % of calls.
    func call() async throws -> Int {
        calls.add(1, ordering: .relaxed)
        let (tail, spread) = generator.withLock { generator in
            (generator.next() % 100 == 0, Double(generator.next() % 1_000) / 1_000)
        }
        let latency = tail ? median * 100 : median * (0.8 + 0.4 * spread)
        try await Task.sleep(for: latency)
        return 1
    }
}

/// SplitMix64, for the service's seeded draws.
struct SplitMixGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Milliseconds each of `requests` requests took (100 calls each, `inFlight` requests at a time).
func requestLatencies(requests: Int, inFlight: Int, call: @escaping @Sendable () async throws -> Int) async throws -> [Double] {
    let clock = ContinuousClock()
    return try await withThrowingTaskGroup(of: Double.self) { group in
        var latencies: [Double] = []
        var started = 0
        func startRequest() {
            started += 1
            group.addTask {
                let start = clock.now
                try await withThrowingTaskGroup(of: Int.self) { calls in
                    for _ in 0..<100 { calls.addTask { try await call() } }
                    var answered = 0
                    for try await value in calls { answered += value }
                    precondition(answered == 100)
                }
                return nanoseconds(start.duration(to: clock.now)) / 1e6
            }
        }
        for _ in 0..<min(inFlight, requests) { startRequest() }
        for try await latency in group {
            latencies.append(latency)
            if started < requests { startRequest() }
        }
        return latencies
    }
}

/// H1's figures for one configuration: p99.9, p99 and p50 without and with hedging (ms), and the extra
/// calls hedging sent (a fraction of the calls).
struct TailFigures {
    var without: [Double], with: [Double], extra: Double

    var ratio: Double { percentile(without, 0.999) / percentile(with, 0.999) }

    func line(_ label: String) -> String {
        "p99.9 \(format(percentile(without, 0.999))) ms vs \(format(percentile(with, 0.999))) ms, p99 \(format(percentile(without, 0.99))) ms vs \(format(percentile(with, 0.99))) ms, p50 \(format(percentile(without, 0.5))) ms vs \(format(percentile(with, 0.5))) ms, \(format(extra * 100)) % extra calls (\(label))"
    }

    var json: String {
        jsonObject([
            ("ratio", ratio), ("extra_calls", extra),
            ("p999_without_ms", percentile(without, 0.999)), ("p999_with_ms", percentile(with, 0.999)),
            ("p99_without_ms", percentile(without, 0.99)), ("p99_with_ms", percentile(with, 0.99)),
            ("p50_without_ms", percentile(without, 0.5)), ("p50_with_ms", percentile(with, 0.5)),
        ], digits: 4)
    }
}

/// Requests of 100 calls each against the simulated service, without and then with hedged calls.
func tailFigures(requests: Int, inFlight: Int) async throws -> TailFigures {
    let median = Duration.microseconds(500)
    let plain = SimulatedService(seed: 2013, median: median)
    let without = try await requestLatencies(requests: requests, inFlight: inFlight) { try await plain.call() }
    let hedgedService = SimulatedService(seed: 2013, median: median)
    let policy = HedgingPolicy(maxAttempts: 3, delay: .fixed(.milliseconds(2)))
    let with = try await requestLatencies(requests: requests, inFlight: inFlight) {
        try await withHedging(policy) { _ in try await hedgedService.call() }
    }
    let calls = Double(requests * 100)
    return TailFigures(without: without, with: with, extra: (Double(hedgedService.callCount) - calls) / calls)
}

func addHedgingFigures(to report: inout Report, _ options: Options) async throws {
    let requests = options.quick ? 100 : 1_000
    let frozen = try await tailFigures(requests: requests, inFlight: 4)
    report.add("H1", json: format(frozen.ratio, digits: 3), line:
        "H1 p99.9 request latency (100-call fan-out, 1 % of calls 100× the median of 0.5 ms) without ÷ with hedging: \(format(frozen.ratio)) (target ≥ 10 with ≤ 5 % extra calls) — " + frozen.line("\(requests) requests, 4 in flight"))
    report.add("H1_extra_calls", json: format(frozen.extra, digits: 4), line:
        "H1 extra calls sent by hedging: \(format(frozen.extra * 100)) % (target ≤ 5 %)")
    report.add("H1_detail", json: frozen.json, line: "H1 detail: " + frozen.line("4 in flight"))
    // Added after the frozen configuration was first measured, to show how much of its tail is this host's
    // two cores running 400 calls at once: the same with one request in flight.
    let alone = try await tailFigures(requests: options.quick ? 100 : 300, inFlight: 1)
    report.add("H1_one_in_flight", json: alone.json, line:
        "H1 with one request in flight (added after the first measurement): \(format(alone.ratio)) — " + alone.line("\(options.quick ? 100 : 300) requests"))

    // H2: a retry storm.
    let stormCalls = 10_000
    let budget = RetryBudget(ratio: 0.1, reserve: 10)
    let share = budget.ratio + budget.reserve / Double(stormCalls)
    let budgeted = await retriesSent(calls: stormCalls, budget: budget)
    let unbudgeted = await retriesSent(calls: stormCalls, budget: nil)
    report.add("H2", json: format(Double(budgeted) / Double(stormCalls), digits: 4), line:
        "H2 retries sent ÷ calls against a service failing 50 % of calls, with a shared budget (ratio 0.1, reserve 10): \(format(Double(budgeted) / Double(stormCalls), digits: 3)) (target ≤ the budget's share, \(format(share, digits: 3))) — without a budget \(format(Double(unbudgeted) / Double(stormCalls), digits: 3))")
    report.add("H2_detail", json: jsonObject([
        ("budget_share", share), ("unbudgeted", Double(unbudgeted) / Double(stormCalls)),
    ], digits: 4), line: "H2 budget share \(format(share, digits: 4)), unbudgeted ratio \(format(Double(unbudgeted) / Double(stormCalls), digits: 4))")
}

/// Retries sent by `calls` calls, each retried up to 4 times without backoff, against a service that fails
/// half its calls (seeded).
func retriesSent(calls: Int, budget: RetryBudget?) async -> Int {
    var generator = SplitMixGenerator(state: 50)
    var retries = 0
    let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .zero, jitter: .none, budget: budget)
    for _ in 0..<calls {
        _ = try? await withRetries(policy) { attempt -> Int in
            if attempt > 1 { retries += 1 }
            if generator.next() % 2 == 0 { throw BenchmarkError("the service failed") }
            return attempt
        }
    }
    return retries
}
