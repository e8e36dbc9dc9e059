
#if canImport(Glibc)
import Glibc

/// The shared deadline engine for one kind of clock: every pending deadline of every scope on that clock
/// sits in one heap, and one thread sleeps until the earliest of them.
///
/// Arming a deadline is a heap insert under a lock; disarming one that never fires (most never do) is a
/// heap removal; neither creates a task or wakes the thread unless the new deadline is the earliest. When
/// deadlines are due the thread runs their actions — which cancel the scopes' tasks — in one batch.
/// Tolerance is honoured by ordering the heap by `deadline + tolerance`: a timer fires no earlier than its
/// deadline and no later than its tolerance allows, and timers that fall due together fire in one wake-up.
///
/// The engine is not generic over its clock: it keeps times as offsets from a reference instant, so the code
/// that runs for every timeout is compiled once, specialised, with no type metadata to look up.
final class TimerEngine: TimerOwner {
    /// The clock an engine measures, and the instant its offsets start from.
    enum Reference: Sendable {
        case continuous(ContinuousClock.Instant)
        case suspending(SuspendingClock.Instant)
    }

    private struct State {
        var heap = TimerHeap()
        /// When the thread will next wake on its own; inserting an earlier timer must wake it.
        var scheduledWake: Duration?
        var threadStarted = false

        /// A timer that must fire by `latest` was armed: returns whether the thread must be woken to plan
        /// an earlier wake-up.
        mutating func lowerScheduledWake(to latest: Duration) -> Bool {
            if let scheduled = scheduledWake, !latest.isShorter(than: scheduled) {
                return false
            }
            scheduledWake = latest
            return true
        }
    }

    /// How long the idle thread sleeps before it looks again.
    private static var idleHorizon: Duration { .seconds(1) }

    /// The clock and the instant all deadlines are measured from, so they can be ordered as plain durations.
    var reference: Reference { referenceBox.reference }
    /// `reference`, kept in a box: instants of the standard library's clocks have a layout only known at
    /// run time, and stored inline they would make every field of the engine reachable only through
    /// offsets looked up at run time.
    private let referenceBox: ReferenceBox
    private let state = LockedValue(State())
    private let wakeup = Wakeup()

    /// Reads the engine's clock as an offset from the reference instant. A closure made once, so reading
    /// the time does not switch over `reference` (whose payloads, instants of the standard library's
    /// clocks, have a layout only known at run time) on every call.
    private let readNow: @Sendable () -> Duration

    init(reference: Reference) {
        self.referenceBox = ReferenceBox(reference)
        switch reference {
        case .continuous(let start):
            readNow = { start.duration(to: ContinuousClock.now) }
        case .suspending(let start):
            readNow = { start.duration(to: SuspendingClock.now) }
        }
    }

    /// A new engine for the continuous clock (tests use their own; scopes share ``continuous``).
    convenience init(clock: ContinuousClock) {
        self.init(reference: .continuous(clock.now))
    }

    /// The engine for `ContinuousClock` deadlines.
    static let continuous = TimerEngine(reference: .continuous(ContinuousClock.now))
    /// The engine for `SuspendingClock` deadlines.
    static let suspending = TimerEngine(reference: .suspending(SuspendingClock.now))

    /// The current time as an offset from the reference instant.
    func now() -> Duration {
        readNow()
    }

    /// Arms a timer for a continuous-clock instant (the engine must measure the continuous clock).
    func schedule(at deadline: ContinuousClock.Instant, tolerance: Duration?, action: @escaping @Sendable (UInt64) -> Void) -> TimerEntry {
        guard case .continuous(let start) = reference else { preconditionFailure("not a continuous-clock engine") }
        return schedule(atOffset: start.duration(to: deadline), tolerance: tolerance, action: action)
    }

    /// Arms a timer for a suspending-clock instant (the engine must measure the suspending clock).
    func schedule(at deadline: SuspendingClock.Instant, tolerance: Duration?, action: @escaping @Sendable (UInt64) -> Void) -> TimerEntry {
        guard case .suspending(let start) = reference else { preconditionFailure("not a suspending-clock engine") }
        return schedule(atOffset: start.duration(to: deadline), tolerance: tolerance, action: action)
    }

    /// Arms a timer; `action` runs on the engine's thread at or after `deadlineOffset` (an offset from the
    /// reference instant), no later than that plus `tolerance` (plus scheduling delays).
    func schedule(
        atOffset deadlineOffset: Duration,
        tolerance: Duration?,
        token: UInt64 = 0,
        action: @escaping @Sendable (UInt64) -> Void
    ) -> TimerEntry {
        let entry = ClosureTimerEntry(deadline: deadlineOffset, latest: deadlineOffset, token: token, owner: self, action: action)
        arm(entry, atOffset: deadlineOffset, tolerance: tolerance, token: token)
        return entry
    }

    /// Arms `entry` for `deadlineOffset` with `token`: inserts it, or moves it in place if it is pending
    /// already. `entry.fire(token:)` runs on the engine's thread at or after `deadlineOffset`, no later
    /// than that plus `tolerance` (plus scheduling delays).
    func arm(_ entry: TimerEntry, atOffset deadlineOffset: Duration, tolerance: Duration?, token: UInt64) {
        let latest = deadlineOffset.adding(Self.slack(tolerance))
        let (mustWake, mustStart) = state.withLock { state -> (Bool, Bool) in
            if !state.heap.move(entry, deadline: deadlineOffset, latest: latest) {
                entry.timerDeadline = deadlineOffset
                entry.timerLatest = latest
                state.heap.insert(entry)
            }
            entry.timerToken = token
            let mustStart = !state.threadStarted
            state.threadStarted = true
            return (state.lowerScheduledWake(to: latest), mustStart)
        }
        if mustStart {
            startThread()
        } else if mustWake {
            wakeup.signal()
        }
    }

    private static func slack(_ tolerance: Duration?) -> Duration {
        guard let tolerance, tolerance.isPositive else { return .inlinedZero }
        return tolerance.isShorter(than: longestArmableDuration) ? tolerance : longestArmableDuration
    }

    /// Disarms a timer. Returns `false` when it already fired (its action may be running now).
    @discardableResult
    func cancel(_ entry: TimerEntry) -> Bool {
        state.withLock { $0.heap.remove(entry) }
    }

    /// The number of pending timers (for tests and benchmarks).
    var pendingCount: Int {
        state.withLock { $0.heap.count }
    }

    private func startThread() {
        let start = ThreadStart { [self] in self.runLoop() }
        let context = Unmanaged.passRetained(start).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            // Sound: `context` is the `ThreadStart` retained just above, handed to exactly this thread,
            // which takes over that retain.
            let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
            start.body()
            return nil
        }, context)
        precondition(result == 0, "swift-cancellation could not start its timer thread (error \(result))")
        pthread_detach(thread)
    }

    /// The engine thread: fire what is due, then sleep until the earliest pending timer must fire or an
    /// earlier one is armed.
    private func runLoop() -> Never {
        var due: [(entry: TimerEntry, token: UInt64)] = []
        while true {
            let now = self.now()
            let wait = state.withLock { state -> Duration? in
                while let first = state.heap.first, !now.isShorter(than: first.timerLatest) {
                    state.heap.remove(first)
                    due.append((first, first.timerToken))
                }
                // With nothing pending the thread still plans a wake-up a while ahead, so that arming a
                // later timer right after the heap drained (the common case: a timeout that never fires
                // is armed, disarmed, and armed again) does not have to signal it.
                let wake = state.heap.first?.timerLatest ?? now.adding(Self.idleHorizon)
                state.scheduledWake = wake
                return wake.subtracting(now)
            }
            for (entry, token) in due {
                entry.fire(token: token)
            }
            due.removeAll(keepingCapacity: true)
            wakeup.wait(for: wait)
        }
    }
}

/// An engine's reference instant, out of line (see ``TimerEngine/reference``).
private final class ReferenceBox: Sendable {
    let reference: TimerEngine.Reference

    init(_ reference: TimerEngine.Reference) {
        self.reference = reference
    }
}

/// What a new engine thread runs.
private final class ThreadStart: Sendable {
    let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }
}

/// A wake-up signal for the engine thread: a condition variable on the monotonic clock, with a flag so a
/// signal sent before the thread starts waiting is not lost.
///
/// `Synchronization.Mutex` has no condition variable and cannot wait with a timeout, so this uses
/// pthreads directly; the mutex guards only the flag.
private final class Wakeup: Sendable {
    // Sound: the pointers are allocated once, never reassigned, freed never (engines live as long as the
    // process), and the pthread objects they point to are designed for use from several threads.
    nonisolated(unsafe) private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    nonisolated(unsafe) private let condition: UnsafeMutablePointer<pthread_cond_t>
    // Sound: read and written only while `mutex` is held.
    nonisolated(unsafe) private var signalled = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    func signal() {
        pthread_mutex_lock(mutex)
        signalled = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until signalled or until `timeout` has passed on the monotonic clock (`nil`: no limit).
    func wait(for timeout: Duration?) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let timeout else {
            while !signalled {
                pthread_cond_wait(condition, mutex)
            }
            signalled = false
            return
        }
        if timeout <= .zero || signalled {
            signalled = false
            return
        }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = min(timeout, longestArmableDuration).components
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(now.tv_sec) + Int(seconds)
        if attoseconds % 1_000_000_000 != 0 { nanoseconds += 1 }  // never wake before the deadline
        wholeSeconds += nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        var deadline = timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
        while !signalled {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        signalled = false
    }
}

#endif
