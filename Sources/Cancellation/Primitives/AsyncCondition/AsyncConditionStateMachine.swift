/// The state of an ``AsyncCondition``'s waiting line, with no locking and no continuations: every
/// transition returns what the caller must do after unlocking. (The condition's lock is an ``AsyncLock``
/// with its own state.)
///
/// Invariants: a notification goes only to a waiter that is queued at that instant, first come first
/// served, and takes it out of the queue, so it is never given to a waiter that was cancelled before it,
/// and never given twice; a waiter is resumed exactly once (notified, or cancelled while still queued).
///
/// Notified waiters take the lock again in the order they were notified: they are resumed one at a time,
/// each once the one before it has taken the lock (``reacquired()``), so two of them never race for it.
package struct AsyncConditionStateMachine<Token> {
    package private(set) var waiters = WaiterQueue<Token>()
    package private(set) var registrations = WaiterRegistrations()
    /// Waiters that were notified and wait for their turn to take the lock again, first notified first.
    package private(set) var handOff = FIFOBuffer<Token>()
    /// Whether a notified waiter has been resumed and has not taken the lock again yet.
    package private(set) var handOffInProgress = false

    package init() {}

    /// Reserves a waiter id, before the cancellation handler is installed.
    package mutating func reserve() -> UInt64 {
        registrations.reserve()
    }

    /// What to do with a continuation that has just been created for waiter `id`.
    package enum RegisterAction: Equatable {
        /// Resume it at once with `CancellationError`, without releasing the lock: it was cancelled before
        /// it was queued.
        case resumeCancelled
        /// It is queued: release the lock; a notification or a cancellation resumes it.
        case suspended
    }

    /// Queues waiter `id` with `token`, unless it was cancelled meanwhile.
    package mutating func register(_ id: UInt64, _ token: Token) -> RegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        waiters.append(id, token)
        return .suspended
    }

    /// What to do after a cancellation of waiter `id`.
    package enum CancelAction {
        /// Resume this token with `CancellationError`: it was still queued and is now removed.
        case resumeCancelled(Token)
        /// Nothing: the waiter was notified already (it keeps the notification), or is marked before
        /// registration.
        case none
    }

    /// Cancels waiter `id`.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let token = waiters.remove(id) { return .resumeCancelled(token) }
        registrations.cancel(id)
        return .none
    }

    /// Takes out up to `count` waiters, longest-waiting first, to be resumed normally in that order.
    ///
    /// - Returns: How many were notified, and the one to resume now, if no notified waiter is on its way to
    ///   the lock already.
    package mutating func notify(_ count: Int) -> (notified: Int, resume: Token?) {
        var notified = 0
        while notified < count, let waiter = waiters.popFirst() {
            handOff.append(waiter.token)
            notified += 1
        }
        return (notified, nextHandOff())
    }

    /// Takes out every waiter, longest-waiting first, to be resumed normally in that order.
    ///
    /// - Returns: How many were notified, and the one to resume now, as for ``notify(_:)``.
    package mutating func notifyAll() -> (notified: Int, resume: Token?) {
        let all = waiters.removeAll()
        for token in all {
            handOff.append(token)
        }
        return (all.count, nextHandOff())
    }

    /// The notified waiter that was resumed last has taken the lock again: returns the next one to resume.
    package mutating func reacquired() -> Token? {
        handOffInProgress = false
        return nextHandOff()
    }

    private mutating func nextHandOff() -> Token? {
        guard !handOffInProgress, let next = handOff.popFirst() else { return nil }
        handOffInProgress = true
        return next
    }
}

extension AsyncConditionStateMachine: Sendable where Token: Sendable {}
extension AsyncConditionStateMachine.CancelAction: Sendable where Token: Sendable {}

// Hashable for the exhaustive exploration tests, which deduplicate the states they visit.
extension AsyncConditionStateMachine: Equatable where Token: Equatable {}
extension AsyncConditionStateMachine: Hashable where Token: Hashable {}
