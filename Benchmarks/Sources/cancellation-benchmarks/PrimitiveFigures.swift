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
/// an `AsyncStream` user has to write — and every element is delivered, as with `AsyncQueue`.
private func streamThroughput(count: Int) async throws -> Double {
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
    let asyncLockCost = uncontended["asyncLock"]!, mutexCost = uncontended["mutex"]!
    report.add("L1", json: format(asyncLockCost / mutexCost, digits: 3), line:
        "L1 uncontended AsyncLock.withLock ÷ Mutex.withLock: \(format(asyncLockCost / mutexCost)) (target ≤ 3) — \(format(asyncLockCost, digits: 1)) ns vs \(format(mutexCost, digits: 1)) ns per call")

    // L2: 8 tasks sharing 100k acquisitions, AsyncLock vs an actor-based lock; sides interleaved per round.
    let total = options.quick ? 10_000 : 100_000
    let actorLock = ActorLock()
    let shared = CriticalState()
    var ours: [Double] = [], actors: [Double] = []
    for _ in 0..<options.rounds {
        ours.append(try await contended(tasks: 8, total: total) {
            try await lock.withLock { shared.value &+= 1 }
        })
        actors.append(try await contended(tasks: 8, total: total) {
            await actorLock.lock()
            shared.value &+= 1
            await actorLock.unlock()
        })
    }
    // With a trivial critical section on few cores, a holder often releases before anyone queues. The same
    // run with a `Task.yield()` inside the critical section forces a queue and a hand-off on nearly every
    // acquisition; it is reported alongside, not in the JSON figure.
    let forcedTotal = total / 10
    var oursForced: [Double] = [], actorsForced: [Double] = []
    for _ in 0..<options.rounds {
        oursForced.append(try await contended(tasks: 8, total: forcedTotal) {
            try await lock.withLock {
                shared.value &+= 1
                await Task.yield()
            }
        })
        actorsForced.append(try await contended(tasks: 8, total: forcedTotal) {
            await actorLock.lock()
            shared.value &+= 1
            await Task.yield()
            await actorLock.unlock()
        })
    }
    let oursPerSecond = median(ours), actorPerSecond = median(actors)
    let forcedRatio = median(oursForced) / median(actorsForced)
    report.add("L2", json: format(oursPerSecond / actorPerSecond, digits: 3), line:
        "L2 contended hand-off (8 tasks, \(total) acquisitions) AsyncLock ÷ actor lock throughput: \(format(oursPerSecond / actorPerSecond)) (target ≥ 2) — \(format(oursPerSecond / 1e6, digits: 3)) M/s vs \(format(actorPerSecond / 1e6, digits: 3)) M/s; with a yield inside the critical section (a hand-off per acquisition, \(forcedTotal) acquisitions): \(format(forcedRatio)) — \(format(median(oursForced) / 1e6, digits: 3)) M/s vs \(format(median(actorsForced) / 1e6, digits: 3)) M/s")

    // L3: bounded (64) single-producer/single-consumer throughput, AsyncQueue vs AsyncStream.
    let items = options.quick ? 20_000 : 200_000
    var queueRates: [Double] = [], streamRates: [Double] = []
    for _ in 0..<options.rounds {
        queueRates.append(try await queueThroughput(count: items))
        streamRates.append(try await streamThroughput(count: items))
    }
    let queueRate = median(queueRates), streamRate = median(streamRates)
    report.add("L3", json: format(queueRate / streamRate, digits: 3), line:
        "L3 bounded(64) SPSC throughput AsyncQueue ÷ AsyncStream(.bufferingOldest(64)): \(format(queueRate / streamRate)) (target ≥ 1) — \(format(queueRate / 1e6, digits: 3)) M/s vs \(format(streamRate / 1e6, digits: 3)) M/s (\(items) items)")
}
