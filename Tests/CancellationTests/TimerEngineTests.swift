@testable import Cancellation
import Testing

/// The timer heap and the shared engine behind continuous and suspending clock deadlines.
@Suite("Timer engine")
struct TimerEngineTests {
    @Test("the heap keeps its order and index bookkeeping through random inserts and removals")
    func heapRandomOperations() {
        var generator = SplitMix64(state: 42)
        var heap = TimerHeap()
        var live: [TimerEntry] = []
        for step in 0..<20_000 {
            switch Int.random(in: 0..<3, using: &generator) {
            case 0, 1:
                let deadline = Duration.milliseconds(Int64.random(in: 0...1_000, using: &generator))
                let entry = ClosureTimerEntry(deadline: deadline, latest: deadline + .milliseconds(Int64.random(in: 0...5, using: &generator)), action: { _ in })
                heap.insert(entry)
                live.append(entry)
            default:
                if let index = live.indices.randomElement(using: &generator) {
                    let removed = heap.remove(live.remove(at: index))
                    #expect(removed)
                }
            }
            if step % 997 == 0 { #expect(heap.isValid()) }
        }
        #expect(heap.isValid())
        #expect(heap.count == live.count)
        var previous = Duration.zero
        while let entry = heap.popFirst() {
            #expect(entry.timerLatest >= previous)
            #expect(entry.heapIndex == nil)
            previous = entry.timerLatest
        }
        let strangerRemoved = heap.remove(ClosureTimerEntry(deadline: .zero, latest: .zero, action: { _ in }))
        #expect(!strangerRemoved)
    }

    @Test("the engine's inlined duration arithmetic agrees with the standard library's operators")
    func durationArithmeticMatchesStandardLibrary() {
        var generator = SplitMix64(state: 7)
        // Durations of every scale and sign, including ones whose attosecond count crosses the boundary
        // between its two 64-bit halves (about 18.4 seconds) and the longest armable duration.
        let largestSeconds: [Int64] = [0, 20, 5_000_000_000]
        func randomDuration() -> Duration {
            let limit = largestSeconds.randomElement(using: &generator)!
            return Duration(
                secondsComponent: Int64.random(in: -limit...limit, using: &generator),
                attosecondsComponent: Int64.random(in: -999_999_999_999_999_999...999_999_999_999_999_999, using: &generator)
            )
        }
        var samples: [Duration] = [.zero, .nanoseconds(1), .nanoseconds(-1), .seconds(18), .seconds(19), longestArmableDuration]
        for _ in 0..<2_000 { samples.append(randomDuration()) }
        for (index, a) in samples.enumerated() {
            let b = samples[(index * 7 + 3) % samples.count]
            #expect(a.isShorter(than: b) == (a < b))
            #expect(a.isPositive == (a > .zero))
            #expect(a.adding(b) == a + b)
            #expect(a.subtracting(b) == a - b)
        }
        #expect(Duration.inlinedZero == .zero)
        #expect(longestArmableDuration == .seconds(Int64(UInt32.max)))
    }

    @Test("moving an entry keeps the heap ordered; a stranger cannot be moved")
    func heapMove() {
        var heap = TimerHeap()
        let entries = (0..<50).map { index in
            ClosureTimerEntry(deadline: .milliseconds(Int64(index)), latest: .milliseconds(Int64(index)), action: { _ in })
        }
        for entry in entries { heap.insert(entry) }
        let movedLater = heap.move(entries[0], deadline: .seconds(10), latest: .seconds(10))
        let movedEarlier = heap.move(entries[49], deadline: .zero, latest: .zero)
        #expect(movedLater && movedEarlier)
        #expect(heap.isValid())
        #expect(heap.first === entries[49])
        let stranger = ClosureTimerEntry(deadline: .zero, latest: .zero, action: { _ in })
        let strangerMoved = heap.move(stranger, deadline: .seconds(1), latest: .seconds(1))
        #expect(!strangerMoved)
        var last: TimerEntry?
        while let entry = heap.popFirst() { last = entry }
        #expect(last === entries[0])
    }

    @Test("an entry armed again while pending moves in place; armed again after it fired, it fires again")
    func entryRearm() async {
        let engine = TimerEngine(clock: ContinuousClock())
        let entry = RecordingEntry()
        engine.arm(entry, atOffset: engine.now() + .seconds(3_600), tolerance: nil, token: 1)
        engine.arm(entry, atOffset: engine.now() + .seconds(7_200), tolerance: nil, token: 2)
        #expect(engine.pendingCount == 1)
        let first = await entry.nextFire { engine.arm(entry, atOffset: engine.now() + .milliseconds(1), tolerance: nil, token: 3) }
        #expect(first == 3)
        #expect(engine.pendingCount == 0)
        #expect(engine.cancel(entry) == false)  // already fired
        let second = await entry.nextFire { engine.arm(entry, atOffset: engine.now(), tolerance: nil, token: 4) }
        #expect(second == 4)
        #expect(entry.fireCount == 2)
    }

    @Test("a continuous-clock timeout fires through the engine, without a task per timer")
    func continuousTimeoutFires() async throws {
        let error = await #expect(throws: TimeoutError.self) {
            try await withTimeout(.milliseconds(20)) {
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        #expect(error?.timeout == .milliseconds(20))
        let suspending = await #expect(throws: TimeoutError.self) {
            try await withTimeout(.milliseconds(20), clock: SuspendingClock()) {
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        #expect(suspending != nil)
    }

    @Test("a continuous-clock scope rescheduled many times fires once, at its last deadline")
    func continuousReschedule() async throws {
        let error = await #expect(throws: TimeoutError.self) {
            try await withTimeout(.seconds(3_600)) { scope in
                for step in 0..<1_000 {
                    scope.reschedule(after: .seconds(7_200 - Int64(step)))  // later and earlier again
                }
                scope.reschedule(after: .milliseconds(10))
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        #expect(error.map { $0.timeout >= .milliseconds(10) && $0.timeout < .seconds(3_600) } == true)
    }

    @Test("engine stress: random arm, disarm and fire from many tasks; each timer fires at most once, never early, never after being disarmed")
    func engineStress() async throws {
        let engine = TimerEngine(clock: ContinuousClock())
        let clock = ContinuousClock()
        let outcomes = EngineOutcomes()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var generator = SplitMix64(state: UInt64(worker + 1))
                    for index in 0..<500 {
                        let id = worker * 1_000 + index
                        let deadline = clock.now.advanced(by: .microseconds(Int64.random(in: 0...3_000, using: &generator)))
                        let entry = engine.schedule(at: deadline, tolerance: nil) { _ in
                            outcomes.fired(id, early: clock.now < deadline)
                        }
                        if Bool.random(using: &generator) {
                            if engine.cancel(entry) { outcomes.disarmed(id) }
                        } else {
                            outcomes.expect(id)
                        }
                        if index % 50 == 0 { await Task.yield() }
                    }
                }
            }
        }
        // Every timer that was not disarmed fires; wait for the engine to drain (bounded).
        let drained = clock.now.advanced(by: .seconds(30))
        while engine.pendingCount > 0 || !outcomes.allExpectedFired, clock.now < drained {
            try await Task.sleep(for: .milliseconds(5))
        }
        let report = outcomes.report
        #expect(report.doubleFires.isEmpty)
        #expect(report.earlyFires.isEmpty)
        #expect(report.firedAfterDisarm.isEmpty)
        #expect(report.missing.isEmpty)
        #expect(engine.pendingCount == 0)
    }
}

final class EngineOutcomes: Sendable {
    struct Report {
        var doubleFires: [Int] = []
        var earlyFires: [Int] = []
        var firedAfterDisarm: [Int] = []
        var missing: [Int] = []
    }

    private struct State {
        var fired: Set<Int> = []
        var disarmed: Set<Int> = []
        var expected: Set<Int> = []
        var report = Report()
    }

    private let state = LockedValue(State())

    func fired(_ id: Int, early: Bool) {
        state.withLock { state in
            if !state.fired.insert(id).inserted { state.report.doubleFires.append(id) }
            if early { state.report.earlyFires.append(id) }
            if state.disarmed.contains(id) { state.report.firedAfterDisarm.append(id) }
        }
    }

    func disarmed(_ id: Int) {
        state.withLock { state in
            state.disarmed.insert(id)
            if state.fired.contains(id) { state.report.firedAfterDisarm.append(id) }
        }
    }

    func expect(_ id: Int) {
        state.withLock { _ = $0.expected.insert(id) }
    }

    var allExpectedFired: Bool {
        state.withLock { $0.expected.isSubset(of: $0.fired) }
    }

    var report: Report {
        state.withLock { state in
            var report = state.report
            report.missing = Array(state.expected.subtracting(state.fired)).sorted()
            return report
        }
    }
}

/// A timer entry that hands the token of its next firing to a waiting test.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is; the state this class adds is in a `Mutex`.
final class RecordingEntry: TimerEntry, @unchecked Sendable {
    private let state = LockedValue<(waiter: CheckedContinuation<UInt64, Never>?, fires: Int)>((nil, 0))

    init() {
        super.init(deadline: .zero, latest: .zero)
    }

    var fireCount: Int { state.withLock { $0.fires } }

    /// Runs `arm`, then waits for the entry to fire and returns the token it fired with.
    func nextFire(after arm: () -> Void) async -> UInt64 {
        await withCheckedContinuation { continuation in
            state.withLock { $0.waiter = continuation }
            arm()
        }
    }

    override func fire(token: UInt64) {
        let waiter = state.withLock { state in
            state.fires += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: token)
    }
}
