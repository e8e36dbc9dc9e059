/// One figure: median nanoseconds per request with and without the integration.
struct HopFigure {
    var with: Double
    var without: Double
    var ratio: Double { with / without }
}

/// Times `requests` sequential calls of each side per round, interleaving the sides round by round so
/// drift in the machine affects both alike; returns each side's median nanoseconds per request.
func interleaved(
    rounds: Int,
    requests: Int,
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
    for round in 0..<rounds {
        // Alternate which side goes first, so neither always runs right after the other's garbage.
        let order = round.isMultiple(of: 2) ? [false, true] : [true, false]
        for useIntegration in order {
            let start = clock.now
            for _ in 0..<requests {
                try await useIntegration ? with() : without()
            }
            let perRequest = nanoseconds(start.duration(to: clock.now)) / Double(requests)
            if useIntegration { withSamples.append(perRequest) } else { withoutSamples.append(perRequest) }
        }
    }
    return HopFigure(with: median(withSamples), without: median(withoutSamples))
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}
