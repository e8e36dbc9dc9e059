@testable import Cancellation
import Synchronization
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
                let entry = TimerEntry(deadline: deadline, latest: deadline + .milliseconds(Int64.random(in: 0...5, using: &generator)), action: { _ in })
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
            #expect(entry.latest >= previous)
            #expect(entry.index == nil)
            previous = entry.latest
        }
        let strangerRemoved = heap.remove(TimerEntry(deadline: .zero, latest: .zero, action: { _ in }))
        #expect(!strangerRemoved)
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

    private let state = Mutex(State())

    func fired(_ id: Int, early: Bool) {
        state.withTrackedLock { state in
            if !state.fired.insert(id).inserted { state.report.doubleFires.append(id) }
            if early { state.report.earlyFires.append(id) }
            if state.disarmed.contains(id) { state.report.firedAfterDisarm.append(id) }
        }
    }

    func disarmed(_ id: Int) {
        state.withTrackedLock { state in
            state.disarmed.insert(id)
            if state.fired.contains(id) { state.report.firedAfterDisarm.append(id) }
        }
    }

    func expect(_ id: Int) {
        state.withTrackedLock { _ = $0.expected.insert(id) }
    }

    var allExpectedFired: Bool {
        state.withTrackedLock { $0.expected.isSubset(of: $0.fired) }
    }

    var report: Report {
        state.withTrackedLock { state in
            var report = state.report
            report.missing = Array(state.expected.subtracting(state.fired)).sorted()
            return report
        }
    }
}
