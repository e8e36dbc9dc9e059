import BenchmarkSupport

/// One figure: median nanoseconds per request with and without the integration, and what each side cost
/// the process (client and server together) per request: CPU time, and context switches — voluntary (a
/// thread parked because it had nothing to run) and involuntary (a thread preempted).
struct HopFigure {
    var with: Double
    var without: Double
    var ratio: Double { with / without }
    var withUsage = Usage()
    var withoutUsage = Usage()
    /// Jobs on the global executor per request with and without the integration, from one counted pass of
    /// each side after the timed rounds; `nil` where not counted.
    var jobs: (with: Double, without: Double)?
}

/// Process CPU time and context switches; per request once divided by `since(_:per:)`.
typealias Usage = ProcessUsage

extension ProcessUsage {
    /// What happened between `start` and `self`, divided by `requests`.
    func since(_ start: Usage, per requests: Int) -> Usage {
        let count = Double(requests)
        return Usage(
            cpu: (cpu - start.cpu) / count,
            voluntarySwitches: (voluntarySwitches - start.voluntarySwitches) / count,
            involuntarySwitches: (involuntarySwitches - start.involuntarySwitches) / count
        )
    }

    /// The median of each field over `samples`.
    static func median(of samples: [Usage]) -> Usage {
        Usage(
            cpu: wire_benchmarks.median(samples.map(\.cpu)),
            voluntarySwitches: wire_benchmarks.median(samples.map(\.voluntarySwitches)),
            involuntarySwitches: wire_benchmarks.median(samples.map(\.involuntarySwitches))
        )
    }
}

/// Times `requests` sequential calls of each side per round, interleaving the sides round by round so
/// drift in the machine affects both alike; returns each side's median nanoseconds per request.
func interleaved(
    rounds: Int,
    requests: Int,
    countingJobs: Bool = false,
    without: () async throws -> Void,
    with: () async throws -> Void
) async throws -> HopFigure {
    let clock = ContinuousClock()
    // Warm up both sides: connections, lazily started threads, metadata caches.
    for _ in 0..<min(requests, 200) {
        try await without()
        try await with()
    }
    var withSamples: [Double] = []
    var withoutSamples: [Double] = []
    var withUsage: [Usage] = []
    var withoutUsage: [Usage] = []
    for round in 0..<rounds {
        // Alternate which side goes first, so neither always runs right after the other's garbage.
        let order = round.isMultiple(of: 2) ? [false, true] : [true, false]
        for useIntegration in order {
            let startUsage = Usage.now()
            let start = clock.now
            for _ in 0..<requests {
                try await useIntegration ? with() : without()
            }
            let perRequest = nanoseconds(start.duration(to: clock.now)) / Double(requests)
            let usage = Usage.now().since(startUsage, per: requests)
            if useIntegration {
                withSamples.append(perRequest)
                withUsage.append(usage)
            } else {
                withoutSamples.append(perRequest)
                withoutUsage.append(usage)
            }
        }
    }
    var jobs: (with: Double, without: Double)?
    if countingJobs,
       let withCount = try await Executions.count(operations: requests, { for _ in 0..<requests { try await with() } }),
       let withoutCount = try await Executions.count(operations: requests, { for _ in 0..<requests { try await without() } })
    {
        jobs = (withCount.jobs, withoutCount.jobs)
    }
    return HopFigure(
        with: median(withSamples),
        without: median(withoutSamples),
        withUsage: .median(of: withUsage),
        withoutUsage: .median(of: withoutUsage),
        jobs: jobs
    )
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}
