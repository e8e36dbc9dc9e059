@_spi(Testing) public import Cancellation

/// A clock whose time moves only when a test says so, for deterministic tests of timeout code.
///
/// Time starts at zero and advances only through ``advance(by:)`` and ``advance(to:)``. Two kinds of thing
/// wait on it:
/// - **Sleeps** — `sleep(until:)` and `sleep(for:)` on the clock, the code under test's own waits. A sleep
///   whose deadline has been reached returns at once; a cancelled sleep throws `CancellationError` at once
///   and is removed.
/// - **Library timers** — the deadlines of timeouts and cancel scopes opened on this clock, shield bounds,
///   stream deadlines, diagnostics reports. The clock drives a timer engine of its own, the same engine code
///   that serves `ContinuousClock` in production, so a test runs the production path. Library timers are not
///   sleeps: ``pendingSleepers`` and ``waitForSleepers(count:timeout:)`` never count them.
///
/// Advancing the time wakes what is due in deadline order: at each instant, the sleeps due then are woken
/// first, then the library timers due then fire.
///
/// To advance time only when the code under test is actually waiting, suspend until it is — no real-time
/// sleeping, no polling. Every such wait gives up after `timeout` of real time and throws ``WaitTimedOut``,
/// so a test that expects the wrong count fails instead of hanging:
///
/// ```swift
/// let clock = ManualClock()
/// async let result = withTimeout(.seconds(5), clock: clock) {
///     try await clock.sleep(for: .seconds(10))
/// }
/// try await clock.waitForSleepers(count: 1)   // the operation's sleep
/// clock.advance(by: .seconds(5))              // the timeout's deadline fires
/// await #expect(throws: TimeoutError.self) { try await result }
/// ```
///
/// Each instance is a clock of its own, with its own time: its `Identifiable` identity (the object's
/// identity) tells two manual clocks apart, as SE-0526's deadlines require of a clock (`Clock &
/// Identifiable`).
public final class ManualClock: Clock, Identifiable, Sendable {
    /// An instant of a ``ManualClock``: the time since the clock's start.
    public struct Instant: InstantProtocol, Sendable, CustomStringConvertible {
        /// The time since the clock started.
        public var offset: Duration

        /// Creates an instant at `offset` from the clock's start.
        ///
        /// - Parameter offset: The time since the clock's start.
        public init(offset: Duration) {
            self.offset = offset
        }

        /// Returns the instant `duration` later.
        ///
        /// - Parameter duration: The time to add.
        /// - Returns: The later instant.
        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        /// Returns the time from this instant to `other`.
        ///
        /// - Parameter other: The other instant.
        /// - Returns: `other - self`.
        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        /// Orders instants by their offset.
        ///
        /// - Parameters:
        ///   - lhs: An instant.
        ///   - rhs: Another instant.
        /// - Returns: Whether `lhs` comes first.
        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }

        /// The offset, for example `2.5 seconds`.
        public var description: String { "\(offset)" }
    }

    /// The error a wait throws when what it waits for has not happened after its timeout of real time —
    /// usually a test that expects more sleeps or timers than the code under test starts.
    public struct WaitTimedOut: Error, CustomStringConvertible {
        /// What the wait waited for, for example `2 pending sleeps`.
        public var expected: String
        /// How long, in real time, it waited.
        public var timeout: Duration
        /// The deadlines of the sleeps pending when it gave up, earliest first.
        public var pendingSleeps: [Instant]
        /// The deadlines of the library timers pending when it gave up, earliest first.
        public var pendingTimers: [Instant]

        /// For example `ManualClock: waited 30 seconds for 2 pending sleeps; pending: sleeps at [5.0 seconds], library timers at []`.
        public var description: String {
            "ManualClock: waited \(timeout) for \(expected); pending: sleeps at \(pendingSleeps), library timers at \(pendingTimers)"
        }
    }

    /// What the waits look at: the deadlines of the pending sleeps and of the pending library timers.
    private struct Pending {
        var sleeps: [Instant]
        var timers: [Instant]
    }

    private struct Sleeper {
        var deadline: Instant
        var order: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        var isSatisfied: @Sendable (Pending) -> Bool
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        var waiters: [UInt64: Waiter] = [:]
        /// Sleeps and waits cancelled before they registered.
        var cancelledBeforeRegistration: Set<UInt64> = []
        var totalSleeps = 0

        mutating func takeID() -> UInt64 {
            defer { nextID += 1 }
            return nextID
        }

        /// Removes the waiters that `pending` satisfies and returns their continuations.
        mutating func takeSatisfiedWaiters(_ pending: Pending) -> [CheckedContinuation<Void, any Error>] {
            var ready: [CheckedContinuation<Void, any Error>] = []
            for (id, waiter) in waiters where waiter.isSatisfied(pending) {
                ready.append(waiter.continuation)
                waiters[id] = nil
            }
            return ready
        }
    }

    private let state: LockedValue<State>
    private let engine: TimerEngine

    /// Creates a clock at time zero.
    public init() {
        let state = LockedValue(State())
        let notifier = TimerArmingNotifier()
        self.state = state
        self.engine = TimerEngine(
            manuallyDriven: ManualClock.self,
            now: { state.withLock { $0.now.offset } },
            instant: { Instant(offset: $0) },
            onArm: { notifier.clock?.resumeSatisfiedWaiters() }
        )
        notifier.clock = self
    }

    /// The current time.
    public var now: Instant {
        state.withLock { $0.now }
    }

    /// Zero: the clock can represent any duration.
    public var minimumResolution: Duration { .zero }

    // MARK: Inspecting

    /// The number of sleeps pending now (library timers are not sleeps; see ``pendingTimers``).
    public var pendingSleepers: Int {
        state.withLock { $0.sleepers.count }
    }

    /// The deadlines of the sleeps pending now, earliest first.
    public var pendingDeadlines: [Instant] {
        state.withLock { $0.sleepers.values.map(\.deadline).sorted() }
    }

    /// The number of sleeps ever started on this clock, including those that returned at once.
    public var totalSleeps: Int {
        state.withLock { $0.totalSleeps }
    }

    /// The number of library timers pending now on this clock: the deadlines of timeouts and cancel scopes,
    /// shield bounds, stream deadlines, diagnostics reports and the grace periods of abandoning timeouts.
    public var pendingTimers: Int {
        engine.pendingTimerCount
    }

    /// The deadlines of the library timers pending now, earliest first.
    public var pendingTimerDeadlines: [Instant] {
        engine.pendingDeadlines.map(Instant.init(offset:))
    }

    /// The number of library timers that have fired on this clock — proof, in a test, that a deadline was
    /// enforced by the clock's timer engine.
    public var firedTimers: Int {
        engine.firedTimerCount
    }

    // MARK: Sleeping

    /// Suspends until `deadline`, as the clock's time advances.
    ///
    /// Returns at once when `deadline` has already been reached.
    ///
    /// - Parameters:
    ///   - deadline: When to wake.
    ///   - tolerance: Ignored: a manual clock wakes sleepers exactly.
    /// - Throws: `CancellationError` when the calling task is cancelled, before or during the sleep.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> UInt64 in
            state.totalSleeps += 1
            return state.takeID()
        }
        try await suspend(id: id) { state, continuation in
            guard deadline > state.now else { return false }
            state.sleepers[id] = Sleeper(deadline: deadline, order: id, continuation: continuation)
            return true
        } takingOut: { state in
            state.sleepers.removeValue(forKey: id)?.continuation
        } registered: {
            resumeSatisfiedWaiters()
        }
    }

    /// Suspends the current task under number `id` until its continuation is resumed, or until the task is
    /// cancelled: the registration and cancellation that sleeps and waits share.
    ///
    /// - Parameters:
    ///   - id: The number the continuation is kept under.
    ///   - register: Under the clock's lock: keeps the continuation and returns `true`, or returns `false`
    ///     when there is nothing to wait for (the task goes on at once).
    ///   - takeOut: Under the clock's lock: takes the kept continuation out, if it is still kept.
    ///   - registered: Runs after the continuation was kept, outside the lock.
    /// - Throws: `CancellationError` when the task is cancelled before it is resumed.
    private func suspend(
        id: UInt64,
        registering register: (inout State, CheckedContinuation<Void, any Error>) -> Bool,
        takingOut takeOut: @escaping @Sendable (inout State) -> CheckedContinuation<Void, any Error>?,
        registered: () -> Void = {}
    ) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Registration { case kept, nothingToWaitFor, cancelled }
                let registration = state.withLock { state -> Registration in
                    // A cancellation that came before the registration left a mark.
                    if state.cancelledBeforeRegistration.remove(id) != nil {
                        return .cancelled
                    }
                    return register(&state, continuation) ? .kept : .nothingToWaitFor
                }
                switch registration {
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .nothingToWaitFor:
                    continuation.resume()
                case .kept:
                    registered()
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let continuation = takeOut(&state) {
                    return continuation
                }
                state.cancelledBeforeRegistration.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
        // A wait that ended without its cancellation handler finding it leaves no mark behind.
        state.withLock { _ = $0.cancelledBeforeRegistration.remove(id) }
    }

    // MARK: Advancing

    /// Moves time forward by `duration`, waking every sleep and firing every library timer that falls due,
    /// in deadline order.
    ///
    /// - Parameter duration: How far to move; zero or negative durations only wake what is already due.
    public func advance(by duration: Duration) {
        let target = state.withLock { $0.now.advanced(by: max(.zero, duration)) }
        advance(to: target)
    }

    /// Moves time forward to `instant` (never backwards), waking every sleep and firing every library timer
    /// that falls due, in deadline order.
    ///
    /// The time moves from deadline to deadline: at each, the sleeps due then are woken (in the order they
    /// started), then the library timers due then fire, with ``now`` at that deadline. A woken sleep resumes
    /// its task, which runs concurrently; a fired timer acts at once (a timeout cancels its operation before
    /// this returns).
    ///
    /// - Parameter instant: The new time; an instant in the past leaves the time as it is.
    public func advance(to instant: Instant) {
        while let step = nextStep(upTo: instant) {
            for sleeper in step.sleepers {
                sleeper.continuation.resume()
            }
            if step.firesTimers {
                engine.fireDueTimers()
            }
        }
    }

    /// Moves the time to the next deadline at or before `target`, and takes what is due then; moves it to
    /// `target` and returns `nil` when nothing more falls due.
    private func nextStep(upTo target: Instant) -> (sleepers: [Sleeper], firesTimers: Bool)? {
        state.withLock { state in
            let nextSleep = state.sleepers.values.map(\.deadline).min()
            let nextTimer = engine.nextDeadline.map(Instant.init(offset:))
            guard let next = [nextSleep, nextTimer].compactMap({ $0 }).min(), next <= target else {
                if target > state.now {
                    state.now = target
                }
                return nil
            }
            if next > state.now {
                state.now = next
            }
            let now = state.now
            let due = state.sleepers.values
                .filter { $0.deadline <= now }
                .sorted { ($0.deadline, $0.order) < ($1.deadline, $1.order) }
            for sleeper in due {
                state.sleepers[sleeper.order] = nil
            }
            return (due, nextTimer.map { $0 <= now } ?? false)
        }
    }

    // MARK: Waiting for the code under test

    /// Suspends until at least `count` sleeps are pending on this clock (library timers are not counted).
    ///
    /// - Parameters:
    ///   - count: How many pending sleeps to wait for.
    ///   - timeout: How long to wait, in real time, before giving up.
    /// - Throws: ``WaitTimedOut`` when fewer sleeps are pending after `timeout`; `CancellationError` when
    ///   the waiting task is cancelled.
    public func waitForSleepers(count: Int, timeout: Duration = ManualClock.defaultWaitTimeout) async throws {
        try await waitUntil("\(count) pending sleeps", timeout: timeout) { $0.sleeps.count >= count }
    }

    /// Suspends until a sleep with exactly `deadline` is pending on this clock.
    ///
    /// - Parameters:
    ///   - deadline: The deadline to wait for.
    ///   - timeout: How long to wait, in real time, before giving up.
    /// - Throws: ``WaitTimedOut`` after `timeout`; `CancellationError` when the waiting task is cancelled.
    public func waitForSleeper(until deadline: Instant, timeout: Duration = ManualClock.defaultWaitTimeout) async throws {
        try await waitUntil("a sleep until \(deadline)", timeout: timeout) { $0.sleeps.contains(deadline) }
    }

    /// Suspends until the deadlines of the pending sleeps satisfy `condition`, which is checked now and
    /// every time a sleep starts or a library timer is armed.
    ///
    /// - Parameters:
    ///   - timeout: How long to wait, in real time, before giving up.
    ///   - condition: A test of the pending sleeps' deadlines, in no particular order.
    /// - Throws: ``WaitTimedOut`` after `timeout`; `CancellationError` when the waiting task is cancelled.
    public func waitForPendingDeadlines(
        timeout: Duration = ManualClock.defaultWaitTimeout,
        where condition: @escaping @Sendable ([Instant]) -> Bool
    ) async throws {
        try await waitUntil("pending sleeps that satisfy a condition", timeout: timeout) { condition($0.sleeps) }
    }

    /// Suspends until at least `count` library timers are pending on this clock — for example until a task
    /// that opens a timeout has armed its deadline.
    ///
    /// - Parameters:
    ///   - count: How many pending library timers to wait for.
    ///   - timeout: How long to wait, in real time, before giving up.
    /// - Throws: ``WaitTimedOut`` after `timeout`; `CancellationError` when the waiting task is cancelled.
    public func waitForTimers(count: Int, timeout: Duration = ManualClock.defaultWaitTimeout) async throws {
        try await waitUntil("\(count) pending library timers", timeout: timeout) { $0.timers.count >= count }
    }

    /// Suspends until a library timer with exactly `deadline` is pending on this clock — for example the
    /// deadline of a scope that another task just moved.
    ///
    /// - Parameters:
    ///   - deadline: The deadline to wait for.
    ///   - timeout: How long to wait, in real time, before giving up.
    /// - Throws: ``WaitTimedOut`` after `timeout`; `CancellationError` when the waiting task is cancelled.
    public func waitForTimer(at deadline: Instant, timeout: Duration = ManualClock.defaultWaitTimeout) async throws {
        try await waitUntil("a library timer at \(deadline)", timeout: timeout) { $0.timers.contains(deadline) }
    }

    /// How long a wait waits, in real time, before it throws ``WaitTimedOut``: 30 seconds, long enough for
    /// any test that is not stuck, under ThreadSanitizer on a busy machine too.
    public static var defaultWaitTimeout: Duration { .seconds(30) }

    /// Waits until `condition` holds, for at most `timeout` of real time.
    ///
    /// The real-time limit is a plain task sleeping on the continuous clock, not one of the library's
    /// timers, so a wait still fails rather than hangs should the library's own engine be broken.
    private func waitUntil(
        _ expected: String,
        timeout: Duration,
        condition: @escaping @Sendable (Pending) -> Bool
    ) async throws {
        let satisfied = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await self.suspendUntil(condition); return true }
            group.addTask { try await Task.sleep(for: timeout); return false }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        if !satisfied {
            throw WaitTimedOut(expected: expected, timeout: timeout, pendingSleeps: pendingDeadlines, pendingTimers: pendingTimerDeadlines)
        }
    }

    /// Suspends until `condition` holds, checked now and whenever a sleep starts or a timer is armed.
    private func suspendUntil(_ condition: @escaping @Sendable (Pending) -> Bool) async throws {
        let id = state.withLock { $0.takeID() }
        try await suspend(id: id) { state, continuation in
            guard !condition(pending(state)) else { return false }
            state.waiters[id] = Waiter(isSatisfied: condition, continuation: continuation)
            return true
        } takingOut: { state in
            state.waiters.removeValue(forKey: id)?.continuation
        }
    }

    /// What is pending now; called with the clock's lock held (the engine's lock nests inside it).
    private func pending(_ state: State) -> Pending {
        Pending(sleeps: state.sleepers.values.map(\.deadline), timers: engine.pendingDeadlines.map(Instant.init(offset:)))
    }

    /// Resumes the waits that what is pending now satisfies.
    fileprivate func resumeSatisfiedWaiters() {
        let ready = state.withLock { state in
            state.waiters.isEmpty ? [] : state.takeSatisfiedWaiters(pending(state))
        }
        for continuation in ready {
            continuation.resume()
        }
    }
}

extension ManualClock: _TimerEngineDrivenClock {
    @_spi(Testing)
    public var timerEngine: TimerEngine { engine }

    @_spi(Testing)
    public func engineOffset(of instant: Instant) -> Duration {
        instant.offset
    }
}

/// Lets a clock's engine tell the clock that a timer was armed, without the engine keeping the clock alive
/// (the clock keeps its engine).
private final class TimerArmingNotifier: Sendable {
    private struct Reference: Sendable {
        weak var clock: ManualClock?
    }

    private let reference = LockedValue(Reference())

    var clock: ManualClock? {
        get { reference.withLock { $0.clock } }
        set { reference.withLock { $0.clock = newValue } }
    }
}
