/// The state of an ``AsyncCondition``'s waiting line, with no locking and no continuations: every
/// transition returns what the caller must do after unlocking. (The condition's lock is an ``AsyncLock``
/// with its own state.)
///
/// Invariants: a notification goes only to a waiter that is queued at that instant, first come first
/// served, and takes it out of the queue, so it is never given to a waiter that was cancelled before it,
/// and never given twice; a waiter is resumed exactly once (notified, or cancelled while still queued).
package struct AsyncConditionStateMachine<Token> {
    package private(set) var waiters = WaiterQueue<Token>()
    package private(set) var registrations = WaiterRegistrations()

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

    /// Takes out up to `count` waiters, longest-waiting first; returns them to resume normally.
    package mutating func notify(_ count: Int) -> [Token] {
        var notified: [Token] = []
        while notified.count < count, let waiter = waiters.popFirst() {
            notified.append(waiter.token)
        }
        return notified
    }

    /// Takes out every waiter, longest-waiting first; returns them to resume normally.
    package mutating func notifyAll() -> [Token] {
        waiters.removeAll()
    }
}

extension AsyncConditionStateMachine: Sendable where Token: Sendable {}
extension AsyncConditionStateMachine.CancelAction: Sendable where Token: Sendable {}
