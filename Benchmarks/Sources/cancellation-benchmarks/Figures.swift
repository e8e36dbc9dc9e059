@_spi(Benchmarks) import Cancellation
import Foundation
import Synchronization

func runAll(_ options: Options) async throws -> Report {
    var report = Report()

    // B1, B2, B6: per-call costs, all sides of one operation shape measured together, order rotating.
    var costs: [String: Double] = [:]
    var jobs: [String: Double] = [:]
    if options.runs("B1") {
    for (suffix, operation) in operations {
        let measured = try await perCall(iterations: options.iterations, rounds: options.rounds, countingJobs: true, [
            ("immediateChild", { await immediateChild(operation) }),
            ("asyncLetChild", { await asyncLetChild(operation) }),
            ("taskGroupChild", { await taskGroupChild(operation) }),
            ("withTimeout", { try await withTimeout(.seconds(60)) { await operation() } }),
            ("scopeFloor", { await scopeFloor(.seconds(60), operation) }),
            ("scopeFloorShaped", { try await scopeFloorShaped(.seconds(60)) { await operation() } }),
            ("scopeFloorAsyncLet", { try await scopeFloorAsyncLet(.seconds(60)) { await operation() } }),
            ("leastCorrectTimeout", { try await leastCorrectTimeout(.seconds(60)) { await operation() } }),
            ("race", { try await handWrittenRace(.seconds(60)) { await operation() } }),
            ("shield", { await withCancellationShield { await operation() } }),
            ("cancelScope", { await withCancelScope(deadline: .now + .seconds(60)) { _ in await operation() } ?? 0 }),
        ])
        for name in measured.samples.keys { costs[name + suffix] = measured[name] }
        for (name, count) in measured.jobs { jobs[name + suffix] = count }
    }
    func us(_ key: String) -> String { format(costs[key]! / 1_000, digits: 3) }
    let b1 = costs["withTimeout"]! / costs["immediateChild"]!
    let b1Suspending = costs["withTimeout_suspending"]! / costs["asyncLetChild_suspending"]!
    report.add("B1", json: format(b1, digits: 3), line:
        "B1 non-firing withTimeout ÷ immediate child task, no-op operation: \(format(b1)) (target ≤ 1.5) — withTimeout \(us("withTimeout")) µs, immediate child \(us("immediateChild")) µs, async let child \(us("asyncLetChild")) µs, task-group child \(us("taskGroupChild")) µs per call")
    report.add("B1_suspending", json: format(b1Suspending, digits: 3), line:
        "B1 non-firing withTimeout ÷ async let child task, operation suspending once: \(format(b1Suspending)) (target ≤ 1.2) — withTimeout \(us("withTimeout_suspending")) µs, async let child \(us("asyncLetChild_suspending")) µs, immediate child \(us("immediateChild_suspending")) µs, task-group child \(us("taskGroupChild_suspending")) µs per call")
    let floor = costs["scopeFloor"]! / costs["immediateChild"]!
    let floorSuspending = costs["scopeFloor_suspending"]! / costs["asyncLetChild_suspending"]!
    report.add("B1_floor", json: jsonObject([("noOperation", floor), ("suspending", floorSuspending)], digits: 3), line:
        "B1 floor, the least a scope on a child task does (a clock reading, an object, a deadline registered and withdrawn under a lock, a task-local binding) ÷ the same baselines: no-op \(format(floor)), suspending \(format(floorSuspending)) — \(us("scopeFloor")) / \(us("scopeFloor_suspending")) µs per call")
    let shaped = costs["scopeFloorShaped"]! / costs["immediateChild"]!
    let shapedSuspending = costs["scopeFloorShaped_suspending"]! / costs["asyncLetChild_suspending"]!
    let onAsyncLet = costs["scopeFloorAsyncLet"]! / costs["immediateChild"]!
    let onAsyncLetSuspending = costs["scopeFloorAsyncLet_suspending"]! / costs["asyncLetChild_suspending"]!
    let least = costs["leastCorrectTimeout"]! / costs["immediateChild"]!
    let leastSuspending = costs["leastCorrectTimeout_suspending"]! / costs["asyncLetChild_suspending"]!
    let overLeast = costs["withTimeout"]! / costs["leastCorrectTimeout"]!
    let overLeastSuspending = costs["withTimeout_suspending"]! / costs["leastCorrectTimeout_suspending"]!
    let raceOverLeast = costs["race"]! / costs["leastCorrectTimeout"]!
    let raceOverLeastSuspending = costs["race_suspending"]! / costs["leastCorrectTimeout_suspending"]!
    report.add("B1_shape", json: jsonObject([
        ("floor_noOperation", shaped), ("floor_suspending", shapedSuspending),
        ("floor_async_let_noOperation", onAsyncLet), ("floor_async_let_suspending", onAsyncLetSuspending),
        ("leastCorrect_noOperation", least), ("leastCorrect_suspending", leastSuspending),
        ("withTimeout_over_leastCorrect_noOperation", overLeast), ("withTimeout_over_leastCorrect_suspending", overLeastSuspending),
        ("race_over_leastCorrect_noOperation", raceOverLeast), ("race_over_leastCorrect_suspending", raceOverLeastSuspending),
    ], digits: 3), line:
        "B1 with withTimeout's API shape (a non-escaping operation on the caller's isolation, generic, throwing) ÷ the same baselines: the floor no-op \(format(shaped)), suspending \(format(shapedSuspending)); the floor on an async let child no-op \(format(onAsyncLet)), suspending \(format(onAsyncLetSuspending)); the least correct timeout no-op \(format(least)), suspending \(format(leastSuspending)); withTimeout ÷ the least correct timeout \(format(overLeast)) / \(format(overLeastSuspending)); the race ÷ the least correct timeout (B2 for it) \(format(raceOverLeast)) / \(format(raceOverLeastSuspending)) — \(us("scopeFloorShaped")) / \(us("scopeFloorShaped_suspending")) µs and \(us("leastCorrectTimeout")) / \(us("leastCorrectTimeout_suspending")) µs per call")
    report.add("B1_us", json: jsonObject(costs.sorted { $0.key < $1.key }.map { ($0.key, $0.value / 1_000) }), line:
        "B1 per call, µs: " + costs.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value / 1_000, digits: 3))" }.joined(separator: ", "))
    if !jobs.isEmpty {
        report.add("B1_jobs", json: jsonObject(jobs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), line:
            "B1 jobs on the global executor per call (one counted pass each): " + jobs.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value, digits: 2))" }.joined(separator: ", "))
    }
    let b2 = costs["race"]! / costs["withTimeout"]!, b2Suspending = costs["race_suspending"]! / costs["withTimeout_suspending"]!
    report.add("B2", json: format(b2, digits: 3), line:
        "B2 hand-written race ÷ withTimeout, no-op operation: \(format(b2)) (target ≥ 5) — race \(us("race")) µs per call")
    report.add("B2_suspending", json: format(b2Suspending, digits: 3), line:
        "B2 hand-written race ÷ withTimeout, operation suspending once: \(format(b2Suspending)) (target ≥ 5) — race \(us("race_suspending")) µs per call")
    }

    // B3: memory per pending operation, each side in a fresh process, less the bare pending operation.
    if options.runs("B3") {
    let count = options.pendingCount
    var bytes: [String: Double] = [:]
    for side in ["bare", "withTimeout", "asyncLetChild", "immediateChild", "race"] {
        for shape in ["sleep", "continuation"] where side != "race" || shape == "sleep" {
            bytes["\(side)_\(shape)"] = try Double(child("memory", "\(side)_\(shape)", count: count))! / Double(count)
        }
    }
    var extra: [(String, Double)] = []
    for (key, value) in bytes.sorted(by: { $0.key < $1.key }) where !key.hasPrefix("bare_") {
        let shape = key.hasSuffix("_sleep") ? "sleep" : "continuation"
        extra.append((key, value - bytes["bare_\(shape)"]!))
    }
    let extraBytes = Dictionary(uniqueKeysWithValues: extra)
    func bytesText(_ key: String) -> String { format(extraBytes[key]!, digits: 0) }
    report.add("B3", json: jsonObject([("sleep", extraBytes["withTimeout_sleep"]!), ("continuation", extraBytes["withTimeout_continuation"]!)] + extra, digits: 0), line:
        "B3 extra resident memory per pending withTimeout (\(count) pending, target ≤ 1,536 B): operation in Task.sleep \(bytesText("withTimeout_sleep")) B, waiting on a continuation \(bytesText("withTimeout_continuation")) B — async let child alone \(bytesText("asyncLetChild_sleep")) / \(bytesText("asyncLetChild_continuation")) B, immediate child alone \(bytesText("immediateChild_sleep")) / \(bytesText("immediateChild_continuation")) B, hand-written race \(bytesText("race_sleep")) B")

    }

    // B4: lateness of timeouts firing under load, each side in a fresh process.
    if options.runs("B4") {
    let firing = try Lateness(child("firing", "withTimeout", count: options.firingCount))
    let raceFiring = try Lateness(child("firing", "race", count: options.firingCount))
    let sleeping = try Lateness(child("firing", "sleep", count: options.firingCount))
    let valid = firing.isValid && raceFiring.isValid && sleeping.isValid
    report.add("B4", json: "{\"p50_ms\": \(format(firing.p50, digits: 3)), \"p99_ms\": \(format(firing.p99, digits: 3)), \"max_ms\": \(format(firing.max, digits: 3)), \"started_late\": \(firing.startedLate), \"wrong_errors\": \(firing.wrongErrors), \"valid\": \(valid), \"race\": \(raceFiring.json), \"sleep\": \(sleeping.json)}", line:
        "B4 lateness of \(options.firingCount) timeouts firing over one second: p50 \(format(firing.p50, digits: 3)) ms, p99 \(format(firing.p99, digits: 3)) ms, max \(format(firing.max, digits: 1)) ms (targets ≤ 0.5 / ≤ 5) — bare Task.sleep(until:) to the same deadlines p50 \(format(sleeping.p50, digits: 3)) ms, p99 \(format(sleeping.p99, digits: 3)) ms, max \(format(sleeping.max, digits: 1)) ms; hand-written race p50 \(format(raceFiring.p50, digits: 1)) ms, p99 \(format(raceFiring.p99, digits: 1)) ms, max \(format(raceFiring.max, digits: 1)) ms" + (valid ? "" : " — NOT VALID: \(firing.startedLate + raceFiring.startedLate + sleeping.startedLate) calls started after their deadline, \(firing.wrongErrors + raceFiring.wrongErrors) ended with another error"))

    }

    // B5: a scope rescheduled 1,000 times against 1,000 engine inserts (each with its removal).
    if options.runs("B5") {
    let reschedules = try await perCall(iterations: max(10, options.iterations / 100), rounds: options.rounds, [
        ("rescheduled", {
            await withCancelScope(deadline: .now + .seconds(3_600)) { scope in
                for step in 0..<1_000 { scope.reschedule(after: .seconds(3_600 + Int64(step))) }
                return 1
            } ?? 0
        }),
        ("scope", { await withCancelScope(deadline: .now + .seconds(3_600)) { _ in 1 } ?? 0 }),
        ("inserts", { TimerEngineProbe.armAndDisarm(count: 1_000) }),
    ])
    let rescheduleCost = reschedules["rescheduled"] - reschedules["scope"]
    let insertCost = reschedules["inserts"]
    report.add("B5", json: format(rescheduleCost / insertCost, digits: 3), line:
        "B5 1,000 reschedules of one scope ÷ 1,000 engine inserts: \(format(rescheduleCost / insertCost)) (target ≤ 1) — \(format(rescheduleCost / 1_000)) µs vs \(format(insertCost / 1_000)) µs")
    report.add("B5_us", json: jsonObject([("reschedules", rescheduleCost / 1_000), ("inserts", insertCost / 1_000)], digits: 3), line:
        "B5 µs per 1,000: reschedules \(format(rescheduleCost / 1_000, digits: 3)), engine inserts \(format(insertCost / 1_000, digits: 3))")

    }

    // B6: the other scopes against the same immediate child, and a caller on an actor.
    if options.runs("B1") {
    let shield = costs["shield"]! / costs["immediateChild"]!, scope = costs["cancelScope"]! / costs["immediateChild"]!
    let fromActor = try await ActorCaller().perCall(iterations: options.iterations, rounds: options.rounds)
    let actorRatio = fromActor.withTimeout / fromActor.bare
    report.add("B6", json: jsonObject([("shield", shield), ("cancel_scope", scope), ("with_timeout_on_actor", actorRatio), ("with_timeout_on_actor_us", fromActor.withTimeout / 1_000), ("immediate_child_on_actor_us", fromActor.bare / 1_000)], digits: 3), line:
        "B6 per call ÷ immediate child task, no-op operation: withCancellationShield \(format(shield)), withCancelScope with a deadline \(format(scope)); withTimeout called on an actor ÷ an immediate child started there running the same actor-isolated operation \(format(actorRatio)) — \(format(fromActor.withTimeout / 1_000)) µs vs \(format(fromActor.bare / 1_000)) µs")
    }
    if options.runs("S1") { try await addStreamFigures(to: &report, options) }
    if options.runs("L") { try await addPrimitiveFigures(to: &report, options) }
    if options.runs("H") { try await addHedgingFigures(to: &report, options) }
    return report
}

/// A JSON object of numbers.
func jsonObject(_ pairs: [(String, Double)], digits: Int = 3) -> String {
    "{" + pairs.map { "\"\($0.0)\": \(format($0.1, digits: digits))" }.joined(separator: ", ") + "}"
}

/// What a `firing` child reports: percentiles and maximum of the lateness in milliseconds, how many calls
/// started after their deadline, and how many ended with an error other than the timeout's.
struct Lateness {
    var p50: Double, p99: Double, max: Double
    var startedLate: Int, wrongErrors: Int

    init(_ output: String) throws {
        let parts = output.split(separator: " ")
        guard parts.count == 5, let p50 = Double(parts[0]), let p99 = Double(parts[1]), let max = Double(parts[2]),
              let startedLate = Int(parts[3]), let wrongErrors = Int(parts[4])
        else { throw BenchmarkError("unexpected child output: \(output)") }
        (self.p50, self.p99, self.max, self.startedLate, self.wrongErrors) = (p50, p99, max, startedLate, wrongErrors)
    }

    /// Whether every call started before its deadline and ended by its timeout.
    var isValid: Bool { startedLate == 0 && wrongErrors == 0 }

    var json: String {
        "{\"p50_ms\": \(format(p50, digits: 3)), \"p99_ms\": \(format(p99, digits: 3)), \"max_ms\": \(format(max, digits: 3)), \"started_late\": \(startedLate), \"wrong_errors\": \(wrongErrors)}"
    }
}

/// Counts operations that have started and are now waiting.
let started = Atomic<Int>(0)
/// Counts the calls of a `firing` child that started after their deadline.
let startedLate = Atomic<Int>(0)
/// Counts the calls of a `firing` child that ended otherwise than by their timeout.
let wrongErrors = Atomic<Int>(0)

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

/// The operation that never finishes by itself: sleeping.
@Sendable func waitForever() async throws -> Int {
    started.add(1, ordering: .relaxed)
    try await Task.sleep(for: .seconds(3_600))
    return 0
}

/// Continuations of operations waiting forever, kept so that they are never destroyed.
let parked = Mutex<[UnsafeContinuation<Void, Never>]>([])

/// The operation that never finishes by itself: waiting on a continuation that is never resumed.
@Sendable func waitOnContinuation() async throws -> Int {
    started.add(1, ordering: .relaxed)
    await withUnsafeContinuation { continuation in parked.withLock { $0.append(continuation) } }
    return 0
}

// One function per side: a task's async frames hold the locals of everything its closure might run, and a
// switch over every side inside the closure would give each task the frames of the largest side.
@Sendable func withTimeoutSleep() async throws -> Int { try await withTimeout(.seconds(3_600)) { try await waitForever() } }
@Sendable func withTimeoutContinuation() async throws -> Int { try await withTimeout(.seconds(3_600)) { try await waitOnContinuation() } }
@Sendable func raceSleep() async throws -> Int { try await handWrittenRace(.seconds(3_600)) { try await waitForever() } }
@Sendable func asyncLetSleep() async throws -> Int {
    async let value = waitForever()
    return try await value
}
@Sendable func asyncLetContinuation() async throws -> Int {
    async let value = waitOnContinuation()
    return try await value
}
@Sendable func immediateSleep() async throws -> Int {
    try await withThrowingDiscardingTaskGroup { group in group.addImmediateTask { _ = try await waitForever() } }
    return 0
}
@Sendable func immediateContinuation() async throws -> Int {
    try await withThrowingDiscardingTaskGroup { group in group.addImmediateTask { _ = try await waitOnContinuation() } }
    return 0
}

/// Resident memory with `count` operations pending, each wrapped as `side` says.
func pendingMemory(side: String, count: Int) async throws -> String {
    let body: @Sendable () async throws -> Int
    switch side {
    case "withTimeout_sleep": body = withTimeoutSleep
    case "withTimeout_continuation": body = withTimeoutContinuation
    case "race_sleep": body = raceSleep
    case "asyncLetChild_sleep": body = asyncLetSleep
    case "asyncLetChild_continuation": body = asyncLetContinuation
    case "immediateChild_sleep": body = immediateSleep
    case "immediateChild_continuation": body = immediateContinuation
    case "bare_sleep": body = waitForever
    case "bare_continuation": body = waitOnContinuation
    default: throw BenchmarkError("unknown memory side \(side)")
    }
    func spawn(_ n: Int) -> [Task<Int, any Error>] {
        (0..<n).map { _ in Task { try await body() } }
    }
    // Warm up: the same work at a small scale, so one-off allocations are not counted. (The warm-up's
    // continuation waiters stay parked; they are the same on every side.)
    _ = spawn(1_000)
    while started.load(ordering: .relaxed) < 1_000 { try await Task.sleep(for: .milliseconds(5)) }
    started.store(0, ordering: .relaxed)
    parked.withLock { $0.reserveCapacity(count + 2_000) }
    try await Task.sleep(for: .milliseconds(50))

    let before = residentBytes()
    let tasks = spawn(count)
    while started.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(10)) }
    try await Task.sleep(for: .milliseconds(200))  // let the last ones suspend
    let after = residentBytes()
    _ = tasks
    return String(after - before)
}

/// Lateness, in milliseconds, of `count` timeouts whose deadlines are spread evenly over one second: its
/// median, 99th percentile and maximum, how many calls started after their deadline (which would make the
/// figure meaningless), and how many ended with an error other than the side's timeout.
func firingLateness(side: String, count: Int) async throws -> String {
    let clock = ContinuousClock()
    let lateness = Samples(capacity: count)
    let start = clock.now.advanced(by: .milliseconds(count >= 50_000 ? 1_500 : 500))  // time to spawn first
    let spacing = Duration.seconds(1) / count
    await withTaskGroup(of: Void.self) { group in
        for index in 0..<count {
            let deadline = start.advanced(by: spacing * index)
            group.addTask {
                if clock.now >= deadline { startedLate.add(1, ordering: .relaxed) }
                do {
                    switch side {
                    case "race": _ = try await handWrittenRace(until: deadline) { try await waitForever() }
                    case "sleep": try await Task.sleep(until: deadline, clock: .continuous)
                    default: _ = try await withTimeout(at: deadline) { try await waitForever() }
                    }
                    if side != "sleep" { wrongErrors.add(1, ordering: .relaxed) }  // it returned: no timeout
                } catch {
                    let expected = side == "race" ? error is RaceTimeoutError : error is TimeoutError
                    if !expected { wrongErrors.add(1, ordering: .relaxed) }
                }
                lateness.append(nanoseconds(deadline.duration(to: clock.now)) / 1e6)
            }
        }
    }
    let values = lateness.values
    return "\(percentile(values, 0.5)) \(percentile(values, 0.99)) \(values.max() ?? .nan) \(startedLate.load(ordering: .relaxed)) \(wrongErrors.load(ordering: .relaxed))"
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
