import Cancellation

/// A clock whose time moves only when a test says so, for deterministic tests of timeout code.
///
/// Time starts at zero and advances only through ``advance(by:)`` and ``advance(to:)``. Sleepers whose
/// deadline is reached are woken in deadline order (first come first for equal deadlines). A sleep whose
/// deadline has already been reached returns at once; a cancelled sleep throws `CancellationError` at once
/// and is removed.
///
/// To advance time only when the code under test is actually waiting, use ``waitForSleepers(count:)``,
/// which suspends until that many sleeps are pending — no real-time sleeping, no polling:
///
/// ```swift
/// let clock = ManualClock()
/// async let result = withTimeout(.seconds(5), clock: clock) {
///     try await clock.sleep(for: .seconds(10))
/// }
/// await clock.waitForSleepers(count: 2)   // the timeout's timer and the operation's sleep
/// clock.advance(by: .seconds(5))
/// await #expect(throws: TimeoutError.self) { try await result }
/// ```
public final class ManualClock: Clock, Sendable {
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

    private struct Sleeper {
        var deadline: Instant
        var order: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct CountWaiter {
        var isSatisfied: @Sendable ([Instant]) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        /// Sleeps cancelled before they registered.
        var cancelledBeforeRegistration: Set<UInt64> = []
        var countWaiters: [CountWaiter] = []
        var totalSleeps = 0

        mutating func takeSatisfiedCountWaiters() -> [CheckedContinuation<Void, Never>] {
            var ready: [CheckedContinuation<Void, Never>] = []
            let deadlines = sleepers.values.map(\.deadline)
            countWaiters.removeAll { waiter in
                if waiter.isSatisfied(deadlines) {
                    ready.append(waiter.continuation)
                    return true
                }
                return false
            }
            return ready
        }
    }

    private let state = LockedValue(State())

    /// Creates a clock at time zero.
    public init() {}

    /// The current time.
    public var now: Instant {
        state.withLock { $0.now }
    }

    /// Zero: the clock can represent any duration.
    public var minimumResolution: Duration { .zero }

    /// The number of sleeps pending now.
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
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Registration { case asleep([CheckedContinuation<Void, Never>]), due, cancelled }
                let registration = state.withLock { state -> Registration in
                    if state.cancelledBeforeRegistration.remove(id) != nil {
                        return .cancelled
                    }
                    if deadline <= state.now {
                        return .due
                    }
                    state.sleepers[id] = Sleeper(deadline: deadline, order: id, continuation: continuation)
                    return .asleep(state.takeSatisfiedCountWaiters())
                }
                switch registration {
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .due:
                    continuation.resume()
                case .asleep(let waiters):
                    for waiter in waiters { waiter.resume() }
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let sleeper = state.sleepers.removeValue(forKey: id) {
                    return sleeper.continuation
                }
                state.cancelledBeforeRegistration.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
        // A sleep that completed normally never registered as cancelled; drop a stale mark if the
        // cancellation raced with an immediate return.
        state.withLock { _ = $0.cancelledBeforeRegistration.remove(id) }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline is reached.
    ///
    /// - Parameter duration: How far to move; zero or negative durations only wake sleepers already due.
    public func advance(by duration: Duration) {
        let target = state.withLock { $0.now.advanced(by: max(.zero, duration)) }
        advance(to: target)
    }

    /// Moves time forward to `instant` (never backwards) and wakes every sleeper whose deadline is reached,
    /// earliest first.
    ///
    /// - Parameter instant: The new time; an instant in the past leaves the time as it is.
    public func advance(to instant: Instant) {
        let due = state.withLock { state -> [Sleeper] in
            if instant > state.now {
                state.now = instant
            }
            let now = state.now
            let due = state.sleepers.values
                .filter { $0.deadline <= now }
                .sorted { ($0.deadline, $0.order) < ($1.deadline, $1.order) }
            for sleeper in due {
                state.sleepers.removeValue(forKey: sleeper.order)
            }
            return due
        }
        for sleeper in due {
            sleeper.continuation.resume()
        }
    }

    /// Suspends until at least `count` sleeps are pending on this clock.
    ///
    /// Use it to advance time only once the code under test is waiting for it.
    ///
    /// - Parameter count: How many pending sleeps to wait for.
    public func waitForSleepers(count: Int) async {
        await waitForPendingDeadlines { $0.count >= count }
    }

    /// Suspends until a sleep with exactly `deadline` is pending on this clock — for example the timer of
    /// a timeout whose deadline was just moved.
    ///
    /// - Parameter deadline: The deadline to wait for.
    public func waitForSleeper(until deadline: Instant) async {
        await waitForPendingDeadlines { $0.contains(deadline) }
    }

    /// Suspends until the deadlines of the pending sleeps satisfy `condition`, which is checked now and
    /// every time a sleep starts.
    ///
    /// - Parameter condition: A test of the pending deadlines, in no particular order.
    public func waitForPendingDeadlines(where condition: @escaping @Sendable ([Instant]) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if condition(state.sleepers.values.map(\.deadline)) {
                    return true
                }
                state.countWaiters.append(CountWaiter(isSatisfied: condition, continuation: continuation))
                return false
            }
            if ready {
                continuation.resume()
            }
        }
    }
}
