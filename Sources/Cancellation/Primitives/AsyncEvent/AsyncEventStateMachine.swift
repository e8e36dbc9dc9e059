/// The state of an ``AsyncEvent``, with no locking and no continuations: every transition returns what the
/// caller must do after unlocking.
///
/// Invariants: waiters are queued only while the flag is clear; setting the flag takes every queued waiter
/// out at once, so a `reset()` right after a `set()` cannot strand any of them; a waiter is resumed exactly
/// once.
package struct AsyncEventStateMachine<Token> {
    /// Whether the flag is set.
    package private(set) var isSet: Bool
    package private(set) var waiters = WaiterQueue<Token>()
    package private(set) var registrations = WaiterRegistrations()

    package init(isSet: Bool) {
        self.isSet = isSet
    }

    /// What `wait` does after checking the flag.
    package enum WaitAction: Equatable {
        /// The flag is set: return at once.
        case proceed
        /// The flag is clear: wait as this waiter id.
        case wait(UInt64)
    }

    /// What to do with a continuation that has just been created for waiter `id`.
    package enum RegisterAction: Equatable {
        /// Resume it at once: the flag was set meanwhile.
        case resume
        /// Resume it at once with `CancellationError`: it was cancelled before it was queued.
        case resumeCancelled
        /// It is queued.
        case suspended
    }

    /// What to do after a cancellation of waiter `id`.
    package enum CancelAction {
        /// Resume this token with `CancellationError`: it was still queued and is now removed.
        case resumeCancelled(Token)
        /// Nothing: the waiter was already released by `set()`, or is marked before registration.
        case none
    }

    /// Returns at once if the flag is set, or reserves a waiter id.
    package mutating func waitOrReserve() -> WaitAction {
        isSet ? .proceed : .wait(registrations.reserve())
    }

    /// Queues waiter `id`, unless it was cancelled meanwhile or the flag was set.
    package mutating func register(_ id: UInt64, _ token: Token) -> RegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        if isSet { return .resume }
        waiters.append(id, token)
        return .suspended
    }

    /// Cancels waiter `id`.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let token = waiters.remove(id) { return .resumeCancelled(token) }
        registrations.cancel(id)
        return .none
    }

    /// Sets the flag; returns every waiter to resume, in arrival order.
    package mutating func set() -> [Token] {
        isSet = true
        return waiters.removeAll()
    }

    /// Clears the flag.
    package mutating func reset() {
        isSet = false
    }
}

extension AsyncEventStateMachine: Sendable where Token: Sendable {}
extension AsyncEventStateMachine.CancelAction: Sendable where Token: Sendable {}
// Hashable for the exhaustive exploration tests, which deduplicate the states they visit.
extension AsyncEventStateMachine: Equatable where Token: Equatable {}
extension AsyncEventStateMachine: Hashable where Token: Hashable {}
