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
///
/// On Linux, where the figures are measured, the child is started with `posix_spawn` and waited for with
/// `waitpid`, not with Foundation's `Process`. There `Process` learns that a child ended through a socket
/// the child inherits (swiftlang/swift-corelibs-foundation#4795), and `waitUntilExit()` polls a run loop
/// until it has; waits that never returned have been reported, and this is called from a task, off the main
/// thread. `waitpid` returns when the child ends, whatever thread calls it. Elsewhere `Process` is used.
func child(_ figure: String, _ side: String, count: Int) throws -> String {
    #if os(Linux)
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    let arguments = [executable, "--child", figure, side, String(count)]
    var pipeEnds: [Int32] = [-1, -1]
    guard pipe(&pipeEnds) == 0 else { throw BenchmarkError("pipe failed: errno \(errno)") }
    let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
    defer { close(readEnd) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, writeEnd, STDOUT_FILENO)
    posix_spawn_file_actions_addclose(&actions, readEnd)
    posix_spawn_file_actions_addclose(&actions, writeEnd)

    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    close(writeEnd)
    guard spawned == 0 else { throw BenchmarkError("posix_spawn of \(executable) failed: error \(spawned)") }

    // Read until the child closes its end (it exits), then reap it.
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        if count > 0 {
            output.append(contentsOf: buffer[..<count])
        } else if count == 0 {
            break
        } else if errno != EINTR {
            // Reap the child before reporting, and never hand a truncated output to the caller.
            let error = errno
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            throw BenchmarkError("reading child \(figure) \(side)'s output failed: errno \(error)")
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
        guard errno == EINTR else { throw BenchmarkError("waitpid failed: errno \(errno)") }
    }
    // `WIFEXITED` and `WEXITSTATUS` are C macros: the low 7 bits are the signal that ended the child (zero
    // for an exit), the next byte its exit status.
    let signal = status & 0x7f
    let exitStatus = (status >> 8) & 0xff
    guard signal == 0, exitStatus == 0 else {
        throw BenchmarkError("child \(figure) \(side) " + (signal == 0 ? "exited with status \(exitStatus)" : "was ended by signal \(signal)"))
    }
    return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    #else
    let process = Process()
    process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
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
    #endif
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
