/// The origin of ``monotonicNanoseconds()``.
private let monotonicOrigin = ContinuousClock.now

/// The time on the monotonic clock, in nanoseconds since an arbitrary origin, as the lock's state machine
/// takes it: plain integers rather than `ContinuousClock.Instant`, whose layout the compiler does not know
/// at compile time, so copying the waiters' bookkeeping stays cheap.
func monotonicNanoseconds() -> UInt64 {
    let (seconds, attoseconds) = monotonicOrigin.duration(to: .now).components
    return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
}

/// How a waiter of an ``AsyncLock`` is resumed.
package enum AsyncLockResumption: Sendable, Equatable {
    /// The lock was handed to the waiter: it holds it under this generation.
    case acquired(UInt64)
    /// The lock was released and the waiter, first in line, was woken to try to take it again.
    case retry
}

/// The state of an ``AsyncLock``, with no locking and no continuations: every transition returns what the
/// caller must do after unlocking.
///
/// The lock is *barging* with a starvation guard, like Go's `sync.Mutex`. Releasing with waiters frees the
/// lock and wakes the first waiter, which then competes with tasks that are running: one of them may take
/// the lock first, and the woken waiter queues again at the front. At most one waiter is woken at a time.
/// A waiter that finds the lock taken again after ``starvationThreshold`` of waiting switches the lock into
/// *starvation mode*, where releasing hands the lock directly to the first waiter (FIFO, no barging) until
/// a waiter is served after waiting less than the threshold, or the queue is empty.
///
/// Invariants: waiters are queued only while the lock is held or a waiter is woken; waiters are woken (or
/// handed the lock) in arrival order; a waiter is resumed exactly once per suspension (woken, granted, or
/// cancelled while still queued).
package struct AsyncLockStateMachine<Token> {
    /// A queued waiter and when it started waiting.
    package struct Waiter {
        package var token: Token
        /// Monotonic nanoseconds (see ``monotonicNanoseconds()``).
        package var since: UInt64
    }

    /// The waiter woken to retry, which has not retried yet.
    package struct Woken: Equatable {
        package var id: UInt64
        package var since: UInt64
        package var cancelled: Bool
    }

    /// How long, in nanoseconds, a waiter may be overtaken by barging tasks before the lock switches to
    /// direct hand-off: 1 ms, as in Go.
    package static var starvationThreshold: UInt64 { 1_000_000 }


    /// The generation of the current hold, or `nil` when the lock is free.
    package private(set) var holder: UInt64?
    private var nextGeneration: UInt64 = 0
    package private(set) var waiters = WaiterQueue<Waiter>()
    package private(set) var registrations = WaiterRegistrations()
    /// The waiter woken by the last release, until it retries.
    package private(set) var woken: Woken?
    /// Whether releases hand the lock directly to the first waiter.
    package private(set) var isStarving = false

    package init() {}

    /// The number of tasks waiting for the lock: queued, or woken and about to retry.
    package var waiterCount: Int { waiters.count + (woken == nil ? 0 : 1) }

    /// What `acquire` does after a failed fast path.
    package enum AcquireAction: Equatable {
        /// The lock was free: it is now held under this generation.
        case acquired(UInt64)
        /// The lock is held: wait as this waiter id.
        case wait(UInt64)
    }

    /// What to do with a continuation that has just been created for waiter `id`.
    package enum RegisterAction: Equatable {
        /// Resume it at once: the lock is now held under this generation.
        case resumeAcquired(UInt64)
        /// Resume it at once with `CancellationError`: the waiter was cancelled before it was queued.
        case resumeCancelled
        /// It is queued; a release or a cancellation resumes it.
        case suspended
    }

    /// What to do after a cancellation of waiter `id`.
    package enum CancelAction {
        /// Resume this token with `CancellationError`: it was still queued and is now removed.
        case resumeCancelled(Token)
        /// Nothing: the waiter was already granted (it keeps the lock), or is woken or not queued yet (it is
        /// marked, and its registration answers).
        case none
    }

    /// What to do after a release.
    package enum ReleaseAction {
        /// Resume this waiter with ``AsyncLockResumption/acquired(_:)``: it now holds the lock under this
        /// generation (starvation mode).
        case handOff(Token, generation: UInt64)
        /// Resume this waiter with ``AsyncLockResumption/retry``: the lock is free and it may take it.
        case wake(Token)
        /// Nothing: the lock is free, and nobody waits or a woken waiter is on its way.
        case none
    }

    private mutating func grant() -> UInt64 {
        let generation = nextGeneration
        nextGeneration &+= 1
        holder = generation
        return generation
    }

    /// Takes the lock if it is free, even if waiters are queued (they are woken, or the lock is in
    /// starvation mode and never free while they are); returns the generation of the new hold.
    package mutating func tryAcquire() -> UInt64? {
        guard holder == nil else { return nil }
        return grant()
    }

    /// Takes the lock if it is free, or reserves a waiter id.
    package mutating func acquireOrReserve() -> AcquireAction {
        if let generation = tryAcquire() { return .acquired(generation) }
        return .wait(registrations.reserve())
    }

    /// Queues waiter `id` with `token` at time `now`, unless it was cancelled meanwhile or the lock is free.
    ///
    /// A woken waiter registers again: it takes the lock if it is free (even if it was cancelled since it was
    /// woken: the wakeup came first), fails if it was cancelled, and otherwise queues again at the front —
    /// switching the lock to starvation mode if it has waited for ``starvationThreshold`` already.
    package mutating func register(_ id: UInt64, _ token: Token, now: UInt64) -> RegisterAction {
        if let retrying = woken, retrying.id == id {
            woken = nil
            if let generation = tryAcquire() { return .resumeAcquired(generation) }
            if retrying.cancelled { return .resumeCancelled }
            if now &- retrying.since >= Self.starvationThreshold { isStarving = true }
            waiters.prepend(id, Waiter(token: token, since: retrying.since))
            return .suspended
        }
        if registrations.register(id) { return .resumeCancelled }
        if let generation = tryAcquire() { return .resumeAcquired(generation) }
        waiters.append(id, Waiter(token: token, since: now))
        return .suspended
    }

    /// Cancels waiter `id`.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let waiter = waiters.remove(id) { return .resumeCancelled(waiter.token) }
        if woken?.id == id {
            woken?.cancelled = true
            return .none
        }
        registrations.cancel(id)
        return .none
    }

    /// Releases the hold of `generation`: wakes the first waiter (unless one is woken already), or in
    /// starvation mode hands it the lock.
    ///
    /// - Parameter now: The time, read only in starvation mode.
    /// - Throws: ``AsyncLockError/notHeld`` if `generation` is not the current hold (the lock is free, or
    ///   it was released already and perhaps taken again); nothing changes then.
    package mutating func release(
        _ generation: UInt64,
        now: @autoclosure () -> UInt64
    ) throws(AsyncLockError) -> ReleaseAction {
        guard holder == generation else { throw .notHeld }
        if isStarving {
            if let next = waiters.popFirst() {
                if waiters.isEmpty || now() &- next.token.since < Self.starvationThreshold {
                    isStarving = false
                }
                return .handOff(next.token.token, generation: grant())
            }
            isStarving = false
        }
        holder = nil
        if woken == nil, let next = waiters.popFirst() {
            woken = Woken(id: next.id, since: next.token.since, cancelled: false)
            return .wake(next.token.token)
        }
        return .none
    }
}

extension AsyncLockStateMachine: Sendable where Token: Sendable {}
extension AsyncLockStateMachine.Waiter: Sendable where Token: Sendable {}
extension AsyncLockStateMachine.CancelAction: Sendable where Token: Sendable {}
extension AsyncLockStateMachine.ReleaseAction: Sendable where Token: Sendable {}

// Hashable for the exhaustive exploration tests, which deduplicate the states they visit.
extension AsyncLockStateMachine.Waiter: Equatable where Token: Equatable {}
extension AsyncLockStateMachine.Waiter: Hashable where Token: Hashable {}
extension AsyncLockStateMachine.Woken: Hashable {}
extension AsyncLockStateMachine: Equatable where Token: Equatable {}
extension AsyncLockStateMachine: Hashable where Token: Hashable {}
