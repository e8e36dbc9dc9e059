import BenchmarkSupport
import Foundation

/// Times `iterations` sequential calls of each side in `rounds` rounds and returns each side's nanoseconds per
/// call, one sample per round. The order of the sides rotates every round, so that no side always runs first
/// or right after the same neighbour, and drift in the machine's speed falls on all of them alike.
func perCall(
    iterations: Int,
    rounds: Int,
    countingJobs: Bool = false,
    _ sides: [(name: String, body: @Sendable () async throws -> Int)]
) async throws -> Costs {
    var samples: [String: [Double]] = [:]
    let clock = ContinuousClock()
    // Warm up every side once (caches, lazily started engine threads, metadata).
    for side in sides {
        for _ in 0..<min(iterations, 1_000) { _ = try await side.body() }
    }
    for round in 0..<rounds {
        for offset in 0..<sides.count {
            let side = sides[(round + offset) % sides.count]
            var sink = 0
            let start = clock.now
            for _ in 0..<iterations { sink &+= try await side.body() }
            let elapsed = start.duration(to: clock.now)
            precondition(sink != Int.min)
            samples[side.name, default: []].append(nanoseconds(elapsed) / Double(iterations))
        }
    }
    // The account: one counted pass of each side after the timed rounds.
    var jobs: [String: Double] = [:]
    if countingJobs {
        for side in sides {
            var sink = 0
            if let counts = try await Executions.count(operations: iterations, {
                for _ in 0..<iterations { sink &+= try await side.body() }
            }) {
                jobs[side.name] = counts.jobs
            }
            precondition(sink != Int.min)
        }
    }
    return Costs(samples: samples, jobs: jobs)
}

/// Nanoseconds per call of each side of a per-call measurement, one sample per round.
struct Costs {
    var samples: [String: [Double]]
    /// Jobs on the global executor per call of each side, where counted.
    var jobs: [String: Double] = [:]

    /// The median over the rounds of side `name`.
    subscript(name: String) -> Double {
        median(samples[name] ?? [])
    }
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

func median(_ values: [Double]) -> Double {
    percentile(values, 0.5)
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let index = min(sorted.count - 1, max(0, Int((Double(sorted.count - 1) * fraction).rounded())))
    return sorted[index]
}

/// Resident memory of this process, in bytes.
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Runs this executable again with `--child …` and returns what it printed.
func child(_ figure: String, _ side: String, count: Int) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["--child", figure, side, String(count)]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchmarkError("child \(figure) \(side) exited with status \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
