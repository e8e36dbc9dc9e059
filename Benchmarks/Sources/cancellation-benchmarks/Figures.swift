@_spi(Benchmarks) import Cancellation
import Foundation
import Synchronization

func runAll(_ options: Options) async throws -> Report {
    var report = Report()

    // B1, B2, B6: per-call costs, all sides interleaved in one measurement.
    let costs = try await perCall(iterations: options.iterations, rounds: options.rounds, [
        ("bare", { await bareChildTask() }),
        ("bareImmediate", { await bareImmediateChildTask() }),
        ("withTimeout", { try await withTimeout(.seconds(60)) { await trivialOperation() } }),
        ("race", { try await handWrittenRace(.seconds(60)) { await trivialOperation() } }),
        ("shield", { await withCancellationShield { await trivialOperation() } }),
        ("cancelScope", { try await withCancelScope(deadline: .now + .seconds(60)) { _ in await trivialOperation() } ?? 0 }),
    ])
    let bare = costs["bare"]!, ours = costs["withTimeout"]!, race = costs["race"]!, immediate = costs["bareImmediate"]!
    report.add("B1", json: format(ours / bare, digits: 3), line:
        "B1 non-firing withTimeout ÷ bare child task: \(format(ours / bare)) (target ≤ 1.3) — withTimeout \(format(ours / 1_000)) µs, bare child task \(format(bare / 1_000)) µs per call; ÷ a bare immediate child task (\(format(immediate / 1_000)) µs, how withTimeout starts its child): \(format(ours / immediate))")
    report.add("B2", json: format(race / ours, digits: 3), line:
        "B2 hand-written race ÷ withTimeout: \(format(race / ours)) (target ≥ 5) — race \(format(race / 1_000)) µs per call")

    // B3: memory per pending timeout, each side in a fresh process.
    let count = options.pendingCount
    let baseBytes = try Double(child("memory", "bare", count: count))!
    let timeoutBytes = try Double(child("memory", "withTimeout", count: count))!
    let raceBytes = try Double(child("memory", "race", count: count))!
    let childBytes = try Double(child("memory", "bareChild", count: count))!
    let extra = (timeoutBytes - baseBytes) / Double(count)
    let raceExtra = (raceBytes - baseBytes) / Double(count)
    let childExtra = (childBytes - baseBytes) / Double(count)
    report.add("B3", json: format(extra, digits: 0), line:
        "B3 extra resident memory per pending timeout (\(count) pending): \(format(extra, digits: 0)) bytes (target ≤ 256) — hand-written race \(format(raceExtra, digits: 0)) bytes; a bare child task alone \(format(childExtra, digits: 0)) bytes, so the scope adds \(format(extra - childExtra, digits: 0)) bytes to the child it needs")

    // B4: lateness of timeouts firing under load, each side in a fresh process.
    let firing = try parseLateness(child("firing", "withTimeout", count: options.firingCount))
    let raceFiring = try parseLateness(child("firing", "race", count: options.firingCount))
    report.add("B4", json: "{\"p50_ms\": \(format(firing.p50, digits: 3)), \"p99_ms\": \(format(firing.p99, digits: 3))}", line:
        "B4 lateness of \(options.firingCount) timeouts firing over one second: p50 \(format(firing.p50, digits: 3)) ms, p99 \(format(firing.p99, digits: 3)) ms (targets ≤ 0.5 / ≤ 5) — hand-written race p50 \(format(raceFiring.p50, digits: 1)) ms, p99 \(format(raceFiring.p99, digits: 1)) ms")

    // B5: a scope rescheduled 1,000 times against 1,000 engine inserts (each with its removal).
    let reschedules = try await perCall(iterations: max(10, options.iterations / 100), rounds: options.rounds, [
        ("rescheduled", {
            try await withCancelScope(deadline: .now + .seconds(3_600)) { scope in
                for step in 0..<1_000 { scope.reschedule(after: .seconds(3_600 + Int64(step))) }
                return 1
            } ?? 0
        }),
        ("scope", { try await withCancelScope(deadline: .now + .seconds(3_600)) { _ in 1 } ?? 0 }),
        ("inserts", { TimerEngineProbe.armAndDisarm(count: 1_000) }),
    ])
    let rescheduleCost = reschedules["rescheduled"]! - reschedules["scope"]!
    let insertCost = reschedules["inserts"]!
    report.add("B5", json: format(rescheduleCost / insertCost, digits: 3), line:
        "B5 1,000 reschedules of one scope ÷ 1,000 engine inserts: \(format(rescheduleCost / insertCost)) (target ≤ 1) — \(format(rescheduleCost / 1_000)) µs vs \(format(insertCost / 1_000)) µs")

    let shield = costs["shield"]!, scope = costs["cancelScope"]!
    let fromActor = try await ActorCaller().perCall(iterations: options.iterations, rounds: options.rounds)
    let actorRatio = fromActor.withTimeout / fromActor.bare
    report.add("B6", json: "{\"shield\": \(format(shield / bare, digits: 3)), \"cancel_scope\": \(format(scope / bare, digits: 3)), \"with_timeout_on_actor\": \(format(actorRatio, digits: 3))}", line:
        "B6 per call ÷ bare child task: withCancellationShield \(format(shield / bare)), withCancelScope with a deadline \(format(scope / bare)); withTimeout called on an actor ÷ a bare child task called there \(format(actorRatio)) — \(format(fromActor.withTimeout / 1_000)) µs vs \(format(fromActor.bare / 1_000)) µs")
    try await addStreamFigures(to: &report, options)
    try await addPrimitiveFigures(to: &report, options)
    return report
}

func parseLateness(_ output: String) throws -> (p50: Double, p99: Double) {
    let parts = output.split(separator: " ").compactMap { Double($0) }
    guard parts.count == 2 else { throw BenchmarkError("unexpected child output: \(output)") }
    return (parts[0], parts[1])
}

/// Counts operations that have started and are now waiting.
let started = Atomic<Int>(0)

func runChild(figure: String, side: String, count: Int) async throws -> String {
    switch figure {
    case "memory":
        return try await pendingMemory(side: side, count: count)
    case "firing":
        return try await firingLateness(side: side, count: count)
    default:
        throw BenchmarkError("unknown figure \(figure)")
    }
}

/// The operation that never finishes by itself.
@Sendable func waitForever() async throws -> Int {
    started.add(1, ordering: .relaxed)
    try await Task.sleep(for: .seconds(3_600))
    return 0
}

@Sendable func pendingWithTimeout() async throws -> Int {
    try await withTimeout(.seconds(3_600)) { try await waitForever() }
}

@Sendable func pendingRace() async throws -> Int {
    try await handWrittenRace(.seconds(3_600)) { try await waitForever() }
}

@Sendable func pendingBareChild() async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        group.addTask { try await waitForever() }
        return try await group.next()!
    }
}

@Sendable func pendingScope() async throws -> Int {
    try await withCancelScope { _ in try await waitForever() } ?? 0
}

/// Resident memory with `count` operations pending, each wrapped as `side` says.
func pendingMemory(side: String, count: Int) async throws -> String {
    // Each side is its own function, chosen before the tasks start: a task's async frames hold the locals
    // of everything its closure might run, and a switch over every side inside the closure would give each
    // task the frames of the largest side.
    let body: @Sendable () async throws -> Int
    switch side {
    case "withTimeout": body = pendingWithTimeout
    case "race": body = pendingRace
    case "bareChild": body = pendingBareChild
    case "scope": body = pendingScope
    default: body = waitForever
    }
    func spawn(_ n: Int) -> [Task<Int, any Error>] {
        (0..<n).map { _ in Task { try await body() } }
    }
    // Warm up: the same work at a small scale, so one-off allocations are not counted.
    let warm = spawn(1_000)
    while started.load(ordering: .relaxed) < 1_000 { try await Task.sleep(for: .milliseconds(5)) }
    for task in warm { task.cancel() }
    for task in warm { _ = await task.result }
    started.store(0, ordering: .relaxed)
    try await Task.sleep(for: .milliseconds(50))

    let before = residentBytes()
    let tasks = spawn(count)
    while started.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(10)) }
    try await Task.sleep(for: .milliseconds(200))  // let the last ones suspend
    let after = residentBytes()
    _ = tasks
    return String(after - before)
}

/// Lateness, in milliseconds, of `count` timeouts whose deadlines are spread evenly over one second.
func firingLateness(side: String, count: Int) async throws -> String {
    let clock = ContinuousClock()
    let lateness = Samples(capacity: count)
    let start = clock.now.advanced(by: .milliseconds(count >= 50_000 ? 1_500 : 500))  // time to spawn first
    let spacing = Duration.seconds(1) / count
    await withTaskGroup(of: Void.self) { group in
        for index in 0..<count {
            let deadline = start.advanced(by: spacing * index)
            group.addTask {
                do {
                    if side == "race" {
                        _ = try await handWrittenRace(until: deadline) { try await waitForever() }
                    } else {
                        _ = try await withTimeout(at: deadline) { try await waitForever() }
                    }
                } catch {
                    let late = nanoseconds(deadline.duration(to: clock.now)) / 1e6
                    lateness.append(late)
                }
            }
        }
    }
    let values = lateness.values
    return "\(percentile(values, 0.5)) \(percentile(values, 0.99))"
}

/// Measurements appended from many tasks.
///
/// The storage is reserved up front: growing an array while timeouts fire would make a large allocation
/// inside the measured second, under this lock, and glibc's allocator merges every freed small block when
/// it serves one — a pause of several milliseconds that every other recording task waits out, which the
/// lateness figures would then report as the timeouts' own.
final class Samples: Sendable {
    private let storage: Mutex<[Double]>

    init(capacity: Int) {
        var values: [Double] = []
        values.reserveCapacity(capacity)
        storage = Mutex(values)
    }

    func append(_ value: Double) {
        storage.withLock { $0.append(value) }
    }

    var values: [Double] { storage.withLock { $0 } }
}
