import Cancellation
import Testing

/// Many tasks hammering each primitive with random timeouts and random cancellations, checked against the
/// primitives' invariants after every round. Timing decides which waits are cancelled, never whether an
/// invariant holds. Run under ThreadSanitizer in CI.
@Suite("Primitives stress", .timeLimit(.minutes(5)))
struct PrimitivesStressTests {
    /// Shared counters checked inside and after the critical sections.
    final class Tally: Sendable {
        private struct State {
            var inside = 0
            var maximumInside = 0
            var completed = 0
            var cancelled = 0
            var violations: [String] = []
        }

        private let state = LockedValue(State())

        func enter(limit: Int) {
            state.withLock { state in
                state.inside += 1
                state.maximumInside = max(state.maximumInside, state.inside)
                if state.inside > limit { state.violations.append("\(state.inside) inside, limit \(limit)") }
            }
        }

        func leave() {
            state.withLock { state in
                state.inside -= 1
                state.completed += 1
            }
        }

        func cancelled() {
            state.withLock { $0.cancelled += 1 }
        }

        func violation(_ description: String) {
            state.withLock { $0.violations.append(description) }
        }

        var summary: (inside: Int, maximumInside: Int, completed: Int, cancelled: Int, violations: [String]) {
            state.withLock { ($0.inside, $0.maximumInside, $0.completed, $0.cancelled, $0.violations) }
        }
    }

    /// A random timeout: sometimes none, sometimes already expired, mostly a few microseconds.
    static func randomTimeout(using generator: inout SplitMix64) -> Duration? {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0..<4: nil
        case 4: .zero
        default: .microseconds(Int64.random(in: 1...200, using: &generator))
        }
    }

    /// Runs `body` under `timeout` (or bare), and reports whether it ended by cancellation or timeout.
    static func attempt(_ timeout: Duration?, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        do {
            if let timeout {
                try await withTimeout(timeout) { try await body() }
            } else {
                try await body()
            }
            return true
        } catch is TimeoutError {
            return false
        } catch is CancellationError {
            return false
        }
    }

    /// Starts `count` tasks, cancels a random subset of them after a random number of yields, waits for all.
    static func round(
        count: Int,
        using generator: inout SplitMix64,
        _ work: @escaping @Sendable (_ index: Int, _ seed: UInt64) async throws -> Void
    ) async throws {
        let tasks = (0..<count).map { index in
            let seed = generator.next()
            return Task { try await work(index, seed) }
        }
        for _ in 0..<Int.random(in: 0...8, using: &generator) { await Task.yield() }
        for task in tasks where Int.random(in: 0..<4, using: &generator) == 0 { task.cancel() }
        for task in tasks { try await task.value }
    }

    @Test("AsyncLock: mutual exclusion, no lost hand-off, no stuck waiter", arguments: [UInt64(11), 12])
    func lock(seed: UInt64) async throws {
        var generator = SplitMix64(state: seed)
        let lock = AsyncLock()
        let tally = Tally()
        for _ in 0..<150 {
            try await Self.round(count: 12, using: &generator) { _, seed in
                var generator = SplitMix64(state: seed)
                for _ in 0..<10 {
                    let yields = Int.random(in: 0...2, using: &generator)
                    let done = try await Self.attempt(Self.randomTimeout(using: &generator)) {
                        try await lock.withLock {
                            tally.enter(limit: 1)
                            for _ in 0..<yields { await Task.yield() }
                            tally.leave()
                        }
                    }
                    if !done { tally.cancelled() }
                }
            }
            #expect(!lock.isLocked)
            #expect(lock.waiterCount == 0)
        }
        let summary = tally.summary
        #expect(summary.violations == [])
        #expect(summary.inside == 0)
        #expect(summary.maximumInside == 1)
        #expect(summary.completed + summary.cancelled == 150 * 12 * 10)
        #expect(summary.completed > 0)
        #expect(summary.cancelled > 0)
    }

    @Test("AsyncSemaphore: never more holders than permits, permits conserved", arguments: [UInt64(21), 22])
    func semaphore(seed: UInt64) async throws {
        var generator = SplitMix64(state: seed)
        let permits = 3
        let semaphore = AsyncSemaphore(permits: permits, maximum: permits)
        let tally = Tally()
        for _ in 0..<150 {
            try await Self.round(count: 12, using: &generator) { _, seed in
                var generator = SplitMix64(state: seed)
                for _ in 0..<10 {
                    let yields = Int.random(in: 0...2, using: &generator)
                    let done = try await Self.attempt(Self.randomTimeout(using: &generator)) {
                        try await semaphore.withPermit {
                            tally.enter(limit: permits)
                            for _ in 0..<yields { await Task.yield() }
                            tally.leave()
                        }
                    }
                    if !done { tally.cancelled() }
                }
            }
            #expect(semaphore.availablePermits == permits)
            #expect(semaphore.waiterCount == 0)
        }
        let summary = tally.summary
        #expect(summary.violations == [])
        #expect(summary.maximumInside <= permits)
        #expect(summary.completed + summary.cancelled == 150 * 12 * 10)
        #expect(summary.cancelled > 0)
    }

    @Test("AsyncEvent: every waiter ends (released or cancelled), none stays queued", arguments: [UInt64(31)])
    func event(seed: UInt64) async throws {
        var generator = SplitMix64(state: seed)
        let tally = Tally()
        for _ in 0..<200 {
            let event = AsyncEvent()
            let setter = Task {
                for _ in 0..<3 {
                    await Task.yield()
                    event.set()
                    event.reset()
                }
                event.set()
            }
            try await Self.round(count: 8, using: &generator) { _, seed in
                var generator = SplitMix64(state: seed)
                for _ in 0..<4 {
                    if try await Self.attempt(Self.randomTimeout(using: &generator), { try await event.wait() }) {
                        tally.enter(limit: .max)
                        tally.leave()
                    } else {
                        tally.cancelled()
                    }
                }
            }
            await setter.value
            #expect(event.waiterCount == 0)
        }
        let summary = tally.summary
        #expect(summary.completed + summary.cancelled == 200 * 8 * 4)
    }

    /// Items sent and received, to check that none is lost or duplicated.
    final class Ledger: Sendable {
        private let state = LockedValue<(sent: [Int], received: [Int])>(([], []))

        func sent(_ item: Int) { state.withLock { $0.sent.append(item) } }
        func received(_ item: Int) { state.withLock { $0.received.append(item) } }
        var contents: (sent: [Int], received: [Int]) { state.withLock { $0 } }
    }

    @Test("AsyncQueue: every successfully sent item is received exactly once; cancelled sends enqueue nothing", arguments: [
        (UInt64(41), Optional(4)), (42, 0), (43, nil),
    ])
    func queue(seed: UInt64, capacity: Int?) async throws {
        var generator = SplitMix64(state: seed)
        for roundIndex in 0..<80 {
            let queue = AsyncQueue<Int>(capacity: capacity)
            let ledger = Ledger()
            let consumers = (0..<3).map { _ in
                let seed = generator.next()
                return Task {
                    var generator = SplitMix64(state: seed)
                    while true {
                        let timeout = Self.randomTimeout(using: &generator)
                        do {
                            let element: Int?
                            if let timeout {
                                element = try await withTimeout(timeout) { try await queue.receive() }
                            } else {
                                element = try await queue.receive()
                            }
                            guard let element else { return }
                            ledger.received(element)
                        } catch is TimeoutError {
                            continue
                        }
                    }
                }
            }
            try await Self.round(count: 4, using: &generator) { producer, seed in
                var generator = SplitMix64(state: seed)
                for index in 0..<25 {
                    let item = roundIndex * 10_000 + producer * 100 + index
                    if try await Self.attempt(Self.randomTimeout(using: &generator), { try await queue.send(item) }) {
                        ledger.sent(item)
                    }
                }
            }
            queue.finish()
            for consumer in consumers { try await consumer.value }
            let contents = ledger.contents
            #expect(contents.received.sorted() == contents.sent.sorted())
            #expect(Set(contents.received).count == contents.received.count)
            #expect(queue.count == 0)
            #expect(queue.waiterCount.senders == 0)
            #expect(queue.waiterCount.receivers == 0)
        }
    }
}
