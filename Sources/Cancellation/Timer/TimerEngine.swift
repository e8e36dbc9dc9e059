/// Every pending deadline of one clock in one heap, fired in batches by whoever drives the engine.
///
/// Arming a deadline is a heap insert under a lock; disarming one that never fires (most never do) is a heap
/// removal; neither creates a task. Times are offsets from a reference instant of the engine's clock, so the
/// code that runs for every timeout is compiled once, specialised, whatever the clock.
///
/// What an engine does not know is how time passes. It reads the time through a closure, and it is driven by
/// one of three things:
/// - a ``DispatchWakeup``, for the engines of `ContinuousClock` and `SuspendingClock` that every scope on those
///   clocks shares (``continuous``, ``suspending``): a Dispatch timer asks the engine to fire what is due and is
///   rescheduled for the next deadline, on Linux and on the Apple platforms alike;
/// - a ``SleepingTaskWakeup``, for a scope on any other clock: a task that sleeps on that clock until the next
///   deadline, so every `Clock` keeps working;
/// - nobody, for a manual clock: the clock calls ``fireDueTimers()`` itself when its time moves (this is how
///   `CancellationTesting.ManualClock` runs the very scope and engine code that `ContinuousClock` runs).
///
/// Tolerance is honoured by ordering the heap by `deadline + tolerance`: a timer fires no earlier than its
/// deadline and no later than its tolerance allows, and timers that fall due together fire in one batch. A
/// manual engine ignores tolerance: it fires every timer at its deadline exactly.
@_spi(Testing)
public final class TimerEngine: Sendable {
    private struct State {
        var heap = TimerHeap()
        /// When the driver will next run the due timers; arming a timer that must fire earlier must wake it.
        /// `nil` when the driver is idle and nothing is pending.
        var scheduledWake: Duration?
        /// Whether the last run found nothing pending; a second such run lets the driver go idle.
        var foundNothingPending = false
        /// How many timers have fired, for tests that want proof the engine fired one.
        var firedCount = 0

        /// A timer that must fire by `latest` was armed: returns whether the driver must be woken earlier.
        mutating func lowerScheduledWake(to latest: Duration) -> Bool {
            foundNothingPending = false
            if let scheduled = scheduledWake, !latest.isShorter(than: scheduled) {
                return false
            }
            scheduledWake = latest
            return true
        }
    }

    private let state = LockedValue(State())
    private let readNow: @Sendable () -> Duration
    private let wakeup: (any TimerEngineWakeup)?
    /// Whether deadlines are enforced late by up to their tolerance (a manual engine fires at the deadline).
    private let honoursTolerance: Bool
    /// How far ahead the driver plans one more run after the heap drained, or `nil` for none.
    ///
    /// Arming a timer later than a planned run needs no wake-up, and most timeouts never fire: they are armed
    /// and disarmed call after call, and the heap drains after each. So the driver keeps a run planned this
    /// far ahead while the engine is in use, and goes idle only when a second run in a row finds nothing.
    private let idleHorizon: Duration?
    /// Runs after a timer is armed, outside the engine's lock (a manual clock wakes its waiters).
    private let onArm: (@Sendable () -> Void)?
    /// The type of the engine's clock, and its instants from offsets, for ``EffectiveDeadline/instant(in:)``.
    let clockType: Any.Type
    private let instantAtOffset: @Sendable (Duration) -> any Sendable

    init<C: Clock>(
        clock: C.Type,
        now: @escaping @Sendable () -> Duration,
        instant: @escaping @Sendable (Duration) -> C.Instant,
        wakeup: (any TimerEngineWakeup)?,
        honoursTolerance: Bool,
        idleHorizon: Duration?,
        onArm: (@Sendable () -> Void)? = nil
    ) where C.Duration == Duration {
        self.readNow = now
        self.wakeup = wakeup
        self.honoursTolerance = honoursTolerance
        self.idleHorizon = idleHorizon
        self.onArm = onArm
        self.clockType = C.self
        self.instantAtOffset = { instant($0) }
    }

    /// The current time as an offset from the engine's reference instant.
    func now() -> Duration {
        readNow()
    }

    /// The instant of the engine's clock at `offset`, when `Other` is that clock; otherwise `nil`.
    func instant<Other: Clock>(atOffset offset: Duration, of clock: Other.Type) -> Other.Instant? {
        guard clockType == Other.self else { return nil }
        return instantAtOffset(offset) as? Other.Instant
    }

    // MARK: Arming and disarming

    /// Arms `entry` for `deadline` (an offset on this engine) with `token`: inserts it, or moves it in place
    /// if it is pending already. `entry.fire(token:)` runs at or after `deadline`, no later than that plus
    /// `tolerance` (plus scheduling delays).
    ///
    /// An entry belongs to one engine: it must never be armed in another.
    func arm(_ entry: TimerEntry, at deadline: Duration, tolerance: Duration?, token: UInt64) {
        let latest = honoursTolerance ? deadline.adding(Self.slack(tolerance)) : deadline
        let mustWake = state.withLock { state -> Bool in
            if !state.heap.move(entry, latest: latest) {
                entry.timerLatest = latest
                state.heap.insert(entry)
            }
            entry.timerToken = token
            return state.lowerScheduledWake(to: latest)
        }
        if mustWake {
            wakeup?.wake(at: latest, of: self)
        }
        onArm?()
    }

    /// Arms a timer that runs `action` at or after `deadline` (an offset on this engine), no later than that
    /// plus `tolerance`; the action runs on the engine's driver and must be quick.
    func schedule(at deadline: Duration, tolerance: Duration?, action: @escaping @Sendable () -> Void) -> TimerRegistration {
        let entry = ClosureTimerEntry(action: action)
        arm(entry, at: deadline, tolerance: tolerance, token: 0)
        return TimerRegistration(engine: self, entry: entry)
    }

    private static func slack(_ tolerance: Duration?) -> Duration {
        guard let tolerance, tolerance.isPositive else { return .inlinedZero }
        return tolerance.isShorter(than: longestArmableDuration) ? tolerance : longestArmableDuration
    }

    /// Disarms a timer. Returns `false` when it was not pending: it fired (its action may be running now) or
    /// was never armed.
    @discardableResult
    func cancel(_ entry: TimerEntry) -> Bool {
        state.withLock { $0.heap.remove(entry) }
    }

    /// The number of pending timers.
    var pendingCount: Int {
        state.withLock { $0.heap.count }
    }

    // MARK: Firing

    /// Fires every timer that is due now, then plans the next run: returns when the driver should run the
    /// due timers again, or `nil` when it may stay idle until a timer is armed.
    func runDueTimers() -> Duration? {
        fireDue().nextWake
    }

    /// Fires every timer that is due now; returns how many fired and the next wake-up (see
    /// ``runDueTimers()``).
    private func fireDue() -> (fired: Int, nextWake: Duration?) {
        let now = self.now()
        let (due, nextWake) = state.withLock { state -> ([(TimerEntry, UInt64)], Duration?) in
            var due: [(TimerEntry, UInt64)] = []
            while let first = state.heap.first, !now.isShorter(than: first.timerLatest) {
                state.heap.remove(first)
                due.append((first, first.timerToken))
            }
            state.firedCount += due.count
            if let first = state.heap.first {
                state.scheduledWake = first.timerLatest
            } else if let idleHorizon, !state.foundNothingPending {
                // Nothing pending: look again a while ahead, so that a timer armed meanwhile for later than
                // that need not wake the driver; if nothing is pending then either, go idle.
                state.foundNothingPending = true
                state.scheduledWake = now.adding(idleHorizon)
            } else {
                state.scheduledWake = nil
            }
            return (due, state.scheduledWake)
        }
        for (entry, token) in due {
            entry.fire(token: token)
        }
        return (due.count, nextWake)
    }
}

/// What wakes an engine to fire its due timers: the platform part of the timer machinery.
protocol TimerEngineWakeup: Sendable {
    /// Makes `engine` run ``TimerEngine/runDueTimers()`` no later than `offset` (an offset on the engine),
    /// and again whenever that returns a next wake-up. Called outside the engine's lock, only when the engine
    /// planned no earlier wake-up.
    func wake(at offset: Duration, of engine: TimerEngine)
}

// MARK: - Manual engines

extension TimerEngine {
    /// An engine for a clock whose time moves only when its owner says so; the owner calls
    /// ``fireDueTimers()`` whenever it moves the time.
    ///
    /// Not part of the supported API: `CancellationTesting.ManualClock` drives one.
    ///
    /// - Parameters:
    ///   - clock: The clock's type.
    ///   - now: Reads the clock's time, as an offset from the instant `instant` maps `.zero` to.
    ///   - instant: The clock's instant at an offset.
    ///   - onArm: Runs after every arming of a timer, on the arming thread and outside the engine's lock.
    public convenience init<C: Clock>(
        manuallyDriven clock: C.Type,
        now: @escaping @Sendable () -> Duration,
        instant: @escaping @Sendable (Duration) -> C.Instant,
        onArm: @escaping @Sendable () -> Void
    ) where C.Duration == Duration {
        self.init(clock: clock, now: now, instant: instant, wakeup: nil, honoursTolerance: false, idleHorizon: nil, onArm: onArm)
    }

    /// Fires every timer whose deadline is at or before the clock's current time, earliest first.
    ///
    /// - Returns: How many timers fired.
    @discardableResult
    public func fireDueTimers() -> Int {
        fireDue().fired
    }

    /// The earliest deadline of a pending timer, as an offset, or `nil` when none is pending.
    public var nextDeadline: Duration? {
        state.withLock { $0.heap.first?.timerLatest }
    }

    /// The deadlines of the pending timers, as offsets, earliest first.
    public var pendingDeadlines: [Duration] {
        state.withLock { $0.heap.entries.map(\.timerLatest) }.sorted { $0.isShorter(than: $1) }
    }

    /// How many timers are pending.
    public var pendingTimerCount: Int {
        pendingCount
    }

    /// How many timers have fired since the engine was made.
    public var firedTimerCount: Int {
        state.withLock { $0.firedCount }
    }
}
