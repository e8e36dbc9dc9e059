@_spi(Testing) @testable import Cancellation
import Testing
import CancellationTesting

/// The timer heap, the engine, and the wake-ups that drive it.
@Suite("Timer engine")
struct TimerEngineTests {
    // MARK: Heap

    @Test("the heap keeps its order and index bookkeeping through random inserts and removals")
    func heapRandomOperations() {
        var generator = SplitMix64(state: 42)
        var heap = TimerHeap()
        var live: [TimerEntry] = []
        for step in 0..<20_000 {
            switch Int.random(in: 0..<3, using: &generator) {
            case 0, 1:
                let entry = entry(latest: .milliseconds(Int64.random(in: 0...1_005, using: &generator)))
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
        let strangerRemoved = heap.remove(entry(latest: .zero))
        #expect(!strangerRemoved)
    }

    @Test("moving an entry keeps the heap ordered; a stranger cannot be moved")
    func heapMove() {
        var heap = TimerHeap()
        let entries = (0..<50).map { index in entry(latest: .milliseconds(Int64(index))) }
        for entry in entries { heap.insert(entry) }
        let movedLater = heap.move(entries[0], latest: .seconds(10))
        let movedEarlier = heap.move(entries[49], latest: .zero)
        #expect(movedLater && movedEarlier)
        #expect(heap.isValid())
        #expect(heap.first === entries[49])
        let strangerMoved = heap.move(entry(latest: .zero), latest: .seconds(1))
        #expect(!strangerMoved)
        var last: TimerEntry?
        while let entry = heap.popFirst() { last = entry }
        #expect(last === entries[0])
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

    // MARK: Engine, driven by hand

    @Test("an entry armed again while pending moves in place; armed again after it fired, it fires again")
    func entryRearm() {
        let time = ManualTime()
        let entry = RecordingEntry()
        time.engine.arm(entry, at: .seconds(3_600), tolerance: nil, token: 1)
        time.engine.arm(entry, at: .seconds(7_200), tolerance: nil, token: 2)
        #expect(time.engine.pendingCount == 1)
        time.engine.arm(entry, at: .milliseconds(1), tolerance: nil, token: 3)
        #expect(time.engine.pendingCount == 1)
        time.advance(to: .milliseconds(1))
        #expect(entry.tokens == [3])
        #expect(time.engine.pendingCount == 0)
        #expect(time.engine.cancel(entry) == false)  // already fired
        time.engine.arm(entry, at: .milliseconds(1), tolerance: nil, token: 4)  // due at once
        time.advance(to: .milliseconds(1))
        #expect(entry.tokens == [3, 4])
    }

    @Test("a timer never fires before its deadline, and by its deadline plus tolerance at the latest")
    func toleranceWindow() {
        let wakeups = RecordingWakeup()
        let time = ManualTime(wakeup: wakeups, honoursTolerance: true)
        let early = RecordingEntry()
        let tolerant = RecordingEntry()
        time.engine.arm(tolerant, at: .seconds(1), tolerance: .milliseconds(500), token: 1)
        time.engine.arm(early, at: .seconds(1), tolerance: nil, token: 2)
        #expect(wakeups.requests == [.milliseconds(1_500), .seconds(1)])  // each earlier than planned
        time.advance(to: .milliseconds(999))
        #expect(early.tokens.isEmpty && tolerant.tokens.isEmpty)
        time.advance(to: .seconds(1))
        #expect(early.tokens == [2] && tolerant.tokens.isEmpty)
        time.advance(to: .milliseconds(1_500))
        #expect(tolerant.tokens == [1])
    }

    @Test("the driver is woken only for an earlier wake-up; after the heap drains it looks once more, then goes idle")
    func wakeupsAndIdling() {
        let wakeups = RecordingWakeup()
        let time = ManualTime(wakeup: wakeups, idleHorizon: .seconds(1))
        let first = RecordingEntry()
        let second = RecordingEntry()
        time.engine.arm(first, at: .seconds(5), tolerance: nil, token: 1)
        time.engine.arm(second, at: .seconds(3), tolerance: nil, token: 2)
        time.engine.arm(RecordingEntry(), at: .seconds(7), tolerance: nil, token: 3)
        #expect(wakeups.requests == [.seconds(5), .seconds(3)])
        // Each run plans the next wake-up: the earliest deadline still pending.
        time.set(.seconds(3))
        #expect(time.engine.runDueTimers() == .seconds(5))
        #expect(second.tokens == [2])
        time.set(.seconds(5))
        #expect(time.engine.runDueTimers() == .seconds(7))
        time.set(.seconds(7))
        // The heap drained: one more look a while ahead, so a later timer armed meanwhile needs no wake-up.
        #expect(time.engine.runDueTimers() == .seconds(8))
        time.engine.arm(RecordingEntry(), at: .seconds(20), tolerance: nil, token: 4)
        #expect(wakeups.requests.count == 2)
        time.set(.seconds(20))
        #expect(time.engine.runDueTimers() == .seconds(21))
        #expect(time.engine.runDueTimers() == nil)  // nothing pending twice in a row: idle
        time.engine.arm(RecordingEntry(), at: .seconds(30), tolerance: nil, token: 5)
        #expect(wakeups.requests == [.seconds(5), .seconds(3), .seconds(30)])
    }

    @Test("engine stress: arm, move and disarm from many tasks while time advances; each timer fires at most once, never early, never after being disarmed, and every armed one fires")
    func engineStress() async {
        let time = ManualTime()
        let outcomes = EngineOutcomes()
        let armed = LockedValue(0)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var generator = SplitMix64(state: UInt64(worker + 1))
                    for index in 0..<500 {
                        let id = worker * 1_000 + index
                        let deadline = time.now.adding(.milliseconds(Int64.random(in: 0...30, using: &generator)))
                        let registration = time.engine.schedule(at: deadline, tolerance: nil) {
                            outcomes.fired(id, early: time.now.isShorter(than: deadline))
                        }
                        if Bool.random(using: &generator) {
                            if registration.cancel() { outcomes.disarmed(id) }
                        } else {
                            outcomes.expect(id)
                        }
                        armed.withLock { $0 += 1 }
                        if index % 50 == 0 { await Task.yield() }
                    }
                }
            }
            group.addTask {
                // Time moves on, in small steps, while the workers arm and disarm.
                while armed.withLock({ $0 }) < 4_000 {
                    time.advance(by: .milliseconds(1))
                    await Task.yield()
                }
            }
        }
        time.advance(by: .seconds(1))  // past every deadline
        let report = outcomes.report
        #expect(report.doubleFires.isEmpty)
        #expect(report.earlyFires.isEmpty)
        #expect(report.firedAfterDisarm.isEmpty)
        #expect(report.missing.isEmpty)
        #expect(time.engine.pendingCount == 0)
    }

    // MARK: Engines of the standard clocks, driven by Dispatch

    @Test("a Dispatch-driven engine fires every timer once, never early, never after being disarmed")
    func dispatchDrivenEngine() async {
        let reference = ContinuousClock.now
        let engine = TimerEngine(
            clock: ContinuousClock.self,
            now: { reference.duration(to: .now) },
            instant: { reference.advanced(by: $0) },
            wakeup: DispatchWakeup(label: "tests.dispatch-driven-engine", longestWait: .seconds(1)),
            honoursTolerance: true,
            idleHorizon: .seconds(1)
        )
        let outcomes = EngineOutcomes()
        var generator = SplitMix64(state: 11)
        for id in 0..<2_000 {
            let deadline = engine.now().adding(.microseconds(Int64.random(in: 0...20_000, using: &generator)))
            let registration = engine.schedule(at: deadline, tolerance: nil) {
                outcomes.fired(id, early: engine.now().isShorter(than: deadline))
            }
            if id % 3 == 0 {
                if registration.cancel() { outcomes.disarmed(id) }
            } else {
                outcomes.expect(id)
            }
        }
        await outcomes.waitUntilAllExpectedFired()
        let report = outcomes.report
        #expect(report.doubleFires.isEmpty)
        #expect(report.earlyFires.isEmpty)
        #expect(report.firedAfterDisarm.isEmpty)
        #expect(engine.pendingCount == 0)
    }

    @Test("a Dispatch wake-up looks again within its longest wait, so a clock that jumped ahead (a device that slept) is noticed")
    func dispatchWakeupNoticesAJump() async {
        // The engine's time is the test's; Dispatch measures real uptime. Moving the engine's time an hour on
        // is what the continuous clock does when a device sleeps an hour while uptime stands still.
        let time = LockedValue(Duration.zero)
        let reference = ContinuousClock.now
        let engine = TimerEngine(
            clock: ContinuousClock.self,
            now: { time.withLock { $0 } },
            instant: { reference.advanced(by: $0) },
            wakeup: DispatchWakeup(label: "tests.dispatch-wakeup-jump", longestWait: .milliseconds(20)),
            honoursTolerance: true,
            idleHorizon: .seconds(1)
        )
        let outcomes = EngineOutcomes()
        outcomes.expect(1)
        _ = engine.schedule(at: .seconds(3_600), tolerance: nil) { outcomes.fired(1, early: false) }
        time.withLock { $0 = .seconds(3_600) }
        await outcomes.waitUntilAllExpectedFired()  // within about 20 ms of real time, not an hour
        #expect(engine.pendingCount == 0)
    }

    @Test("a continuous-clock timeout fires through the shared engine, without a task per timer")
    func continuousTimeoutFires() async throws {
        let firedBefore = TimerEngine.continuous.firedTimerCount
        let error = await #expect(throws: TimeoutError.self) {
            try await withTimeout(.milliseconds(20)) {
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        #expect(error?.timeout == .milliseconds(20))
        #expect(TimerEngine.continuous.firedTimerCount > firedBefore)
        let suspendingBefore = TimerEngine.suspending.firedTimerCount
        let suspending = await #expect(throws: TimeoutError.self) {
            try await withTimeout(.milliseconds(20), clock: SuspendingClock()) {
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        #expect(suspending != nil)
        #expect(TimerEngine.suspending.firedTimerCount > suspendingBefore)
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

    // MARK: Helpers

    private func entry(latest: Duration) -> TimerEntry {
        let entry = ClosureTimerEntry {}
        entry.timerLatest = latest
        return entry
    }
}

/// An engine whose time a test moves by hand, as `ManualClock` does.
final class ManualTime: Sendable {
    private let time = LockedValue(Duration.zero)
    let engine: TimerEngine

    init(wakeup: (any TimerEngineWakeup)? = nil, honoursTolerance: Bool = false, idleHorizon: Duration? = nil) {
        let reference = ContinuousClock.now
        let time = self.time
        engine = TimerEngine(
            clock: ContinuousClock.self,
            now: { time.withLock { $0 } },
            instant: { reference.advanced(by: $0) },
            wakeup: wakeup,
            honoursTolerance: honoursTolerance,
            idleHorizon: idleHorizon
        )
    }

    var now: Duration { time.withLock { $0 } }

    /// Sets the time without firing anything.
    func set(_ now: Duration) {
        time.withLock { $0 = now }
    }

    /// Moves the time to `instant` (never back) and fires what is due.
    func advance(to instant: Duration) {
        time.withLock { $0 = max($0, instant) }
        engine.fireDueTimers()
    }

    /// Moves the time by `duration` and fires what is due.
    func advance(by duration: Duration) {
        let target = time.withLock { $0 + duration }
        advance(to: target)
    }
}

/// A wake-up that records what it was asked for, and wakes nothing.
final class RecordingWakeup: TimerEngineWakeup {
    private let recorded = LockedValue<[Duration]>([])

    var requests: [Duration] { recorded.withLock { $0 } }

    func wake(at offset: Duration, of engine: TimerEngine) {
        recorded.withLock { $0.append(offset) }
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
        var waiter: CheckedContinuation<Void, Never>?

        var allExpectedFired: Bool { expected.isSubset(of: fired) }
    }

    private let state = LockedValue(State())

    func fired(_ id: Int, early: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if !state.fired.insert(id).inserted { state.report.doubleFires.append(id) }
            if early { state.report.earlyFires.append(id) }
            if state.disarmed.contains(id) { state.report.firedAfterDisarm.append(id) }
            guard state.allExpectedFired else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
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

    /// Suspends until every expected timer has fired.
    func waitUntilAllExpectedFired() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.allExpectedFired { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    var report: Report {
        state.withLock { state in
            var report = state.report
            report.missing = Array(state.expected.subtracting(state.fired)).sorted()
            return report
        }
    }
}

/// A timer entry that records the tokens it fired with.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is; the state this class adds is in a
/// `LockedValue`.
final class RecordingEntry: TimerEntry, @unchecked Sendable {
    private let fired = LockedValue<[UInt64]>([])

    var tokens: [UInt64] { fired.withLock { $0 } }

    override func fire(token: UInt64) {
        fired.withLock { $0.append(token) }
    }
}

/// The engine's own sleep, which hedged calls use for their delay.
@Suite("Timer engine sleep")
struct EngineSleepTests {
    @Test("a sleep returns true when its deadline is reached, not before, and leaves no timer behind")
    func reachesDeadline() async throws {
        let clock = ManualClock()
        let engine = clock.timerEngine
        let deadline = clock.engineOffset(of: clock.now.advanced(by: .seconds(1)))
        let task = Task { await engine.sleep(until: deadline) }
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .milliseconds(999))
        #expect(clock.pendingTimers == 1)
        clock.advance(by: .milliseconds(1))
        #expect(await task.value == true)
        #expect(clock.pendingTimers == 0)
    }

    @Test("cancelling a sleep returns false at once and disarms its timer")
    func cancelledWhileSleeping() async throws {
        let clock = ManualClock()
        let engine = clock.timerEngine
        let deadline = clock.engineOffset(of: clock.now.advanced(by: .seconds(60)))
        let task = Task { await engine.sleep(until: deadline) }
        try await clock.waitForTimers(count: 1)
        task.cancel()
        #expect(await task.value == false)
        #expect(clock.pendingTimers == 0)
        #expect(clock.now.offset == .zero)
    }

    @Test("a task cancelled before it sleeps does not sleep or arm anything")
    func cancelledBefore() async throws {
        let clock = ManualClock()
        let engine = clock.timerEngine
        let deadline = clock.engineOffset(of: clock.now.advanced(by: .seconds(60)))
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await engine.sleep(until: deadline)
        }
        #expect(await task.value == false)
        #expect(clock.pendingTimers == 0)
    }

    @Test("a deadline in the past returns true at once")
    func pastDeadline() async {
        let clock = ManualClock()
        clock.advance(by: .seconds(5))
        #expect(await clock.timerEngine.sleep(until: clock.engineOffset(of: clock.now.advanced(by: .seconds(-1)))) == true)
    }

    @Test("racing cancellation against firing resumes each sleep exactly once, with one of the two outcomes")
    func cancelRacesFire() async throws {
        let clock = ManualClock()
        let engine = clock.timerEngine
        for _ in 0..<200 {
            let deadline = clock.engineOffset(of: clock.now.advanced(by: .milliseconds(1)))
            let task = Task { await engine.sleep(until: deadline) }
            try await clock.waitForTimers(count: 1)
            async let cancelling: Void = task.cancel()
            clock.advance(by: .milliseconds(1))
            await cancelling
            _ = await task.value  // either outcome; a double resume would trap, a lost one would hang
            #expect(clock.pendingTimers == 0)
        }
    }
}
