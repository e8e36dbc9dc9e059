/// The state of an ``AsyncLock``, with no locking and no continuations: every transition returns what the
/// caller must do after unlocking.
///
/// Invariants: waiters are queued only while the lock is held; releasing with waiters hands the lock to
/// the first one (FIFO, no barging), under a new holder generation; a waiter is resumed exactly once
/// (granted, or cancelled while still queued).
package struct AsyncLockStateMachine<Token> {
    /// The generation of the current hold, or `nil` when the lock is free.
    package private(set) var holder: UInt64?
    private var nextGeneration: UInt64 = 0
    package private(set) var waiters = WaiterQueue<Token>()
    package private(set) var registrations = WaiterRegistrations()

    package init() {}

    /// What `acquire` does after a failed fast path.
    package enum AcquireAction: Equatable {
        /// The lock was free: it is now held under this generation.
        case acquired(UInt64)
        /// The lock is held: wait as this waiter id.
        case wait(UInt64)
    }

    /// What to do with a continuation that has just been created for waiter `id`.
    package enum RegisterAction {
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
        /// Nothing: the waiter was already granted (it keeps the lock) or is not queued yet (it is marked).
        case none
    }

    /// What to do after a release.
    package enum ReleaseAction {
        /// Resume this waiter: it now holds the lock under this generation.
        case resume(Token, generation: UInt64)
        /// Nothing: the lock is free.
        case none
    }

    private mutating func grant() -> UInt64 {
        let generation = nextGeneration
        nextGeneration &+= 1
        holder = generation
        return generation
    }

    /// Takes the lock if it is free (and so nobody waits); returns the generation of the new hold.
    package mutating func tryAcquire() -> UInt64? {
        guard holder == nil else { return nil }
        return grant()
    }

    /// Takes the lock if it is free, or reserves a waiter id.
    package mutating func acquireOrReserve() -> AcquireAction {
        if let generation = tryAcquire() { return .acquired(generation) }
        return .wait(registrations.reserve())
    }

    /// Queues waiter `id` with `token`, unless it was cancelled meanwhile or the lock became free.
    package mutating func register(_ id: UInt64, _ token: Token) -> RegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        if let generation = tryAcquire() { return .resumeAcquired(generation) }
        waiters.append(id, token)
        return .suspended
    }

    /// Cancels waiter `id`.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let token = waiters.remove(id) { return .resumeCancelled(token) }
        registrations.cancel(id)
        return .none
    }

    /// Releases the hold of `generation`, handing the lock to the first waiter if there is one.
    ///
    /// - Throws: ``AsyncLockError/notHeld`` if `generation` is not the current hold (the lock is free, or
    ///   it was released already and perhaps taken again); nothing changes then.
    package mutating func release(_ generation: UInt64) throws(AsyncLockError) -> ReleaseAction {
        guard holder == generation else { throw .notHeld }
        if let next = waiters.popFirst() {
            return .resume(next.token, generation: grant())
        }
        holder = nil
        return .none
    }
}

extension AsyncLockStateMachine: Sendable where Token: Sendable {}
extension AsyncLockStateMachine.CancelAction: Sendable where Token: Sendable {}
extension AsyncLockStateMachine.ReleaseAction: Sendable where Token: Sendable {}
