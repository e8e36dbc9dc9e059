import AsyncAlgorithms
import BenchmarkSupport
import Cancellation
import Foundation
import Synchronization

/// State touched inside the critical sections of L1 and L2.
///
/// `@unchecked Sendable` is sound here: `value` is only read and written inside the critical section of the
/// lock under test (an `AsyncLock`, a `Mutex`, or `ActorLock`), which orders every access.
final class CriticalState: @unchecked Sendable {
    var value = 0
}

/// The lock an async programmer writes with an actor: the baseline for L2. FIFO, hand-off on unlock.
actor ActorLock {
    private var isLocked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    func lock() async {
        guard isLocked else {
            isLocked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        guard head < waiters.count else {
            isLocked = false
            return
        }
        let next = waiters[head]
        head += 1
        if head == waiters.count {
            waiters.removeAll(keepingCapacity: true)
            head = 0
        }
        next.resume()
    }
}

/// Wall-clock nanoseconds of `body`.
private func timed(_ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    return nanoseconds(start.duration(to: clock.now))
}

/// `tasks` tasks sharing `total` acquisitions of one lock; returns acquisitions per second.
private func contended(tasks: Int, total: Int, _ acquire: @escaping @Sendable () async throws -> Void) async throws -> Double {
    let perTask = total / tasks
    let elapsed = try await timed {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    for _ in 0..<perTask { try await acquire() }
                }
            }
            try await group.waitForAll()
        }
    }
    return Double(perTask * tasks) / (elapsed / 1e9)
}

/// One producer sending `count` integers, one consumer receiving them; returns items per second.
private func queueThroughput(count: Int) async throws -> Double {
    let queue = AsyncQueue<Int>(capacity: 64)
    let elapsed = try await timed {
        let consumer = Task {
            var sum = 0
            for try await element in queue { sum &+= element }
            return sum
        }
        for element in 0..<count { try await queue.send(element) }
        queue.finish()
        let sum = try await consumer.value
        precondition(sum == count * (count - 1) / 2, "AsyncQueue lost or duplicated elements")
    }
    return Double(count) / (elapsed / 1e9)
}

/// The same with `AsyncStream(bufferingPolicy: .bufferingOldest(64))`. Its `yield` never waits and drops
/// the element when the buffer is full, so the producer retries after a `Task.yield()` — the back-pressure
/// an `AsyncStream` user has to write — and every element is delivered, as with `AsyncQueue`. Printed for
/// reference: the retry loop makes it slower than either fair baseline below.
private func droppingStreamThroughput(count: Int) async throws -> Double {
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingOldest(64))
    let elapsed = await timed {
        let consumer = Task {
            var sum = 0
            for await element in stream { sum &+= element }
            return sum
        }
        for element in 0..<count {
            while case .dropped = continuation.yield(element) { await Task.yield() }
        }
        continuation.finish()
        let sum = await consumer.value
        precondition(sum == count * (count - 1) / 2, "AsyncStream lost or duplicated elements")
    }
    return Double(count) / (elapsed / 1e9)
}

/// The same with an unbounded `AsyncStream`, the way most code uses it: no back-pressure at all, so the
/// producer never waits (and the buffer may grow to every element).
private func unboundedStreamThroughput(count: Int) async throws -> Double {
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
    let elapsed = await timed {
        let consumer = Task {
            var sum = 0
            for await element in stream { sum &+= element }
            return sum
        }
        for element in 0..<count { continuation.yield(element) }
        continuation.finish()
        let sum = await consumer.value
        precondition(sum == count * (count - 1) / 2, "AsyncStream lost or duplicated elements")
    }
    return Double(count) / (elapsed / 1e9)
}

/// The same with swift-async-algorithms' `AsyncChannel`, the library's back-pressured channel: each `send`
/// waits until the consumer has taken the element.
private func channelThroughput(count: Int) async throws -> Double {
    let channel = AsyncChannel<Int>()
    let elapsed = await timed {
        let consumer = Task {
            var sum = 0
            for await element in channel { sum &+= element }
            return sum
        }
        for element in 0..<count { await channel.send(element) }
        channel.finish()
        let sum = await consumer.value
        precondition(sum == count * (count - 1) / 2, "AsyncChannel lost or duplicated elements")
    }
    return Double(count) / (elapsed / 1e9)
}

func addPrimitiveFigures(to report: inout Report, _ options: Options) async throws {
    // L1: uncontended withLock on an AsyncLock vs Mutex.withLock around the same critical section.
    let lock = AsyncLock()
    let mutex = Mutex(0)
    let state = CriticalState()
    let uncontended = try await perCall(iterations: options.iterations, rounds: options.rounds, [
        ("asyncLock", {
            try await lock.withLock {
                state.value &+= 1
                return state.value
            }
        }),
        ("mutex", {
            mutex.withLock { value in
                value &+= 1
                return value
            }
        }),
    ])
    let asyncLockCost = uncontended["asyncLock"], mutexCost = uncontended["mutex"]
    report.add("L1", json: format(asyncLockCost / mutexCost, digits: 3), line:
        "L1 uncontended AsyncLock.withLock ÷ Mutex.withLock: \(format(asyncLockCost / mutexCost)) (target ≤ 3) — \(format(asyncLockCost, digits: 1)) ns vs \(format(mutexCost, digits: 1)) ns per call")

    // L2: 8 tasks sharing acquisitions, AsyncLock vs an actor-based lock. The headline critical section
    // suspends once (a `Task.yield()`), as real ones that await something do: it forces a queue and a
    // hand-off on nearly every acquisition. With a trivial critical section on few cores a holder often
    // releases before anyone queues, which suits a barging lock; that figure is printed beside it.
    let total = options.quick ? 10_000 : 100_000
    let actorLock = ActorLock()
    let shared = CriticalState()
    let suspendingTotal = total / 10
    var ours: [Double] = [], actors: [Double] = [], oursTrivial: [Double] = [], actorsTrivial: [Double] = []
    // One side: `tasks` tasks sharing `acquisitions` of one lock, each critical section suspending `yields`
    // times; AsyncLock's and the actor lock's sides differ only in how they lock.
    @Sendable func asyncLockSide(tasks: Int, acquisitions: Int, yields: Int) async throws -> Double {
        try await contended(tasks: tasks, total: acquisitions) {
            try await lock.withLock {
                shared.value &+= 1
                for _ in 0..<yields { await Task.yield() }
            }
        }
    }
    @Sendable func actorLockSide(tasks: Int, acquisitions: Int, yields: Int) async throws -> Double {
        try await contended(tasks: tasks, total: acquisitions) {
            await actorLock.lock()
            shared.value &+= 1
            for _ in 0..<yields { await Task.yield() }
            await actorLock.unlock()
        }
    }
    let sides: [@Sendable () async throws -> Double] = [
        { try await asyncLockSide(tasks: 8, acquisitions: suspendingTotal, yields: 1) },
        { try await actorLockSide(tasks: 8, acquisitions: suspendingTotal, yields: 1) },
        { try await asyncLockSide(tasks: 8, acquisitions: total, yields: 0) },
        { try await actorLockSide(tasks: 8, acquisitions: total, yields: 0) },
    ]
    for round in 0..<options.rounds {
        for offset in 0..<sides.count {
            let index = (round + offset) % sides.count
            let rate = try await sides[index]()
            switch index {
            case 0: ours.append(rate)
            case 1: actors.append(rate)
            case 2: oursTrivial.append(rate)
            default: actorsTrivial.append(rate)
            }
        }
    }
    let oursRate = median(ours), actorRate = median(actors)
    let trivialRatio = median(oursTrivial) / median(actorsTrivial)
    // Shapes the lock was not tuned on (fewer and more tasks, a longer critical section), and the ceiling
    // of a lock whose critical section suspends once: critical sections run one at a time, so no lock
    // passes one task running them back to back with no lock at all.
    let shapes: [(name: String, tasks: Int, yields: Int)] = [("2_tasks", 2, 1), ("32_tasks", 32, 1), ("2_yields", 8, 2)]
    var shapeRates: [String: [Double]] = [:]
    for round in 0..<options.rounds {
        var shapeSides: [(String, @Sendable () async throws -> Double)] = []
        for shape in shapes {
            shapeSides.append(("\(shape.name)_ours", {
                try await asyncLockSide(tasks: shape.tasks, acquisitions: suspendingTotal, yields: shape.yields)
            }))
            shapeSides.append(("\(shape.name)_actor", {
                try await actorLockSide(tasks: shape.tasks, acquisitions: suspendingTotal, yields: shape.yields)
            }))
        }
        shapeSides.append(("ceiling", {
            try await contended(tasks: 1, total: suspendingTotal) {
                shared.value &+= 1
                await Task.yield()
            }
        }))
        for offset in 0..<shapeSides.count {
            let (name, side) = shapeSides[(round + offset) % shapeSides.count]
            shapeRates[name, default: []].append(try await side())
        }
    }
    let ceiling = median(shapeRates["ceiling"]!)
    // The account: jobs on the global executor and context switches per acquisition, each side counted once
    // after the timed rounds.
    var counts: [(String, Executions.Counts)] = []
    for (name, index, acquisitions) in [("asyncLock", 0, suspendingTotal), ("actorLock", 1, suspendingTotal), ("asyncLock_trivial", 2, total), ("actorLock_trivial", 3, total)] {
        let side = sides[index]
        if let count = try await Executions.count(operations: acquisitions, { _ = try await side() }) {
            counts.append((name, count))
        }
    }
    report.add("L2", json: format(oursRate / actorRate, digits: 3), line:
        "L2 contended (8 tasks, \(suspendingTotal) acquisitions, one suspension inside the critical section) AsyncLock ÷ actor lock throughput: \(format(oursRate / actorRate)) (target ≥ 2) — \(format(oursRate / 1e6, digits: 3)) M/s vs \(format(actorRate / 1e6, digits: 3)) M/s")
    report.add("L2_trivial", json: format(trivialRatio, digits: 3), line:
        "L2 with an almost empty critical section (\(total) acquisitions, suits a barging lock): \(format(trivialRatio)) — \(format(median(oursTrivial) / 1e6, digits: 3)) M/s vs \(format(median(actorsTrivial) / 1e6, digits: 3)) M/s")
    report.add("L2_shapes", json: jsonObject(shapes.map { ($0.name, median(shapeRates["\($0.name)_ours"]!) / median(shapeRates["\($0.name)_actor"]!)) }), line:
        "L2 AsyncLock ÷ actor lock in shapes not tuned on (\(suspendingTotal) acquisitions): " + shapes.map { "\($0.tasks) tasks with \($0.yields) suspension\($0.yields == 1 ? "" : "s") \(format(median(shapeRates["\($0.name)_ours"]!) / median(shapeRates["\($0.name)_actor"]!)))" }.joined(separator: ", "))
    report.add("L2_ceiling", json: jsonObject([("ceiling_mps", ceiling / 1e6), ("asyncLock_share", oursRate / ceiling), ("actorLock_share", actorRate / ceiling)]), line:
        "L2 ceiling, one task running the suspending critical section back to back without a lock: \(format(ceiling / 1e6, digits: 3)) M/s — AsyncLock reaches \(format(100 * oursRate / ceiling, digits: 0)) % of it, the actor lock \(format(100 * actorRate / ceiling, digits: 0)) %")
    if !counts.isEmpty {
        report.add("L2_executions", json: jsonObject(counts.flatMap { [("\($0.0)_jobs", $0.1.jobs), ("\($0.0)_voluntary_switches", $0.1.voluntarySwitches)] }), line:
            "L2 per acquisition, jobs on the global executor / voluntary context switches (one counted pass each): " + counts.map { "\($0.0) \(format($0.1.jobs, digits: 2)) / \(format($0.1.voluntarySwitches, digits: 3))" }.joined(separator: ", "))
    }

    // L3: bounded (64) single-producer/single-consumer throughput: AsyncQueue against the faster of the two
    // fair baselines (AsyncChannel, which waits as AsyncQueue does, and an unbounded AsyncStream, which
    // never waits), with the drop-and-retry AsyncStream printed for reference.
    let items = options.quick ? 20_000 : 200_000
    var rates: [String: [Double]] = [:]
    let queueSides: [(String, @Sendable (Int) async throws -> Double)] = [
        ("queue", queueThroughput), ("channel", channelThroughput),
        ("stream", unboundedStreamThroughput), ("droppingStream", droppingStreamThroughput),
    ]
    for round in 0..<options.rounds {
        for offset in 0..<queueSides.count {
            let (name, measure) = queueSides[(round + offset) % queueSides.count]
            rates[name, default: []].append(try await measure(items))
        }
    }
    let queueRate = median(rates["queue"]!), channelRate = median(rates["channel"]!)
    let streamRate = median(rates["stream"]!), droppingRate = median(rates["droppingStream"]!)
    let baselineRate = max(channelRate, streamRate)
    report.add("L3", json: format(queueRate / baselineRate, digits: 3), line:
        "L3 bounded(64) SPSC throughput AsyncQueue ÷ the faster of AsyncChannel and an unbounded AsyncStream: \(format(queueRate / baselineRate)) (target ≥ 1) — AsyncQueue \(format(queueRate / 1e6, digits: 3)) M/s, AsyncChannel \(format(channelRate / 1e6, digits: 3)) M/s, unbounded AsyncStream \(format(streamRate / 1e6, digits: 3)) M/s, AsyncStream(.bufferingOldest(64)) with drop-and-retry \(format(droppingRate / 1e6, digits: 3)) M/s (\(items) items)")
    report.add("L3_rates", json: jsonObject([("queue", queueRate / 1e6), ("channel", channelRate / 1e6), ("unbounded_stream", streamRate / 1e6), ("dropping_stream", droppingRate / 1e6)], digits: 3), line:
        "L3 M/s: AsyncQueue \(format(queueRate / 1e6, digits: 3)), AsyncChannel \(format(channelRate / 1e6, digits: 3)), unbounded AsyncStream \(format(streamRate / 1e6, digits: 3)), dropping AsyncStream \(format(droppingRate / 1e6, digits: 3))")
}
