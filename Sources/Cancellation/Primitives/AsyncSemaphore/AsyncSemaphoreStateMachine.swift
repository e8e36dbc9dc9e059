/// The state of an ``AsyncSemaphore``, with no locking and no continuations: every transition returns what
/// the caller must do after unlocking.
///
/// Invariants: waiters are queued only while no permit is available; a signal with waiters hands the
/// permit straight to the first one (FIFO, no barging); the available permits never exceed `maximum`; a
/// waiter is resumed exactly once.
package struct AsyncSemaphoreStateMachine<Token> {
    /// Permits available now.
    package private(set) var permits: Int
    /// The most permits that may be available at once.
    package let maximum: Int
    package private(set) var waiters = WaiterQueue<Token>()
    package private(set) var registrations = WaiterRegistrations()

    package init(permits: Int, maximum: Int) {
        self.permits = permits
        self.maximum = maximum
    }

    /// What `wait` does after a failed fast path.
    package enum WaitAction: Equatable {
        /// A permit was available and is now taken.
        case acquired
        /// No permit: wait as this waiter id.
        case wait(UInt64)
    }

    /// What to do with a continuation that has just been created for waiter `id`.
    package enum RegisterAction: Equatable {
        /// Resume it at once: it took a permit that became available.
        case resumeAcquired
        /// Resume it at once with `CancellationError`: it was cancelled before it was queued.
        case resumeCancelled
        /// It is queued.
        case suspended
    }

    /// What to do after a cancellation of waiter `id`.
    package enum CancelAction {
        /// Resume this token with `CancellationError`: it was still queued and is now removed.
        case resumeCancelled(Token)
        /// Nothing: the waiter already got its permit (it keeps it), or is marked before registration.
        case none
    }

    /// What to do after a signal.
    package enum SignalAction {
        /// Resume this waiter: the permit is handed to it.
        case resume(Token)
        /// Nothing: the permit was added to the available ones.
        case none
    }

    /// Takes a permit if one is available.
    package mutating func tryWait() -> Bool {
        guard permits > 0 else { return false }
        permits -= 1
        return true
    }

    /// Takes a permit if one is available, or reserves a waiter id.
    package mutating func waitOrReserve() -> WaitAction {
        tryWait() ? .acquired : .wait(registrations.reserve())
    }

    /// Queues waiter `id`, unless it was cancelled meanwhile or a permit became available.
    package mutating func register(_ id: UInt64, _ token: Token) -> RegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        if tryWait() { return .resumeAcquired }
        waiters.append(id, token)
        return .suspended
    }

    /// Cancels waiter `id`.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let token = waiters.remove(id) { return .resumeCancelled(token) }
        registrations.cancel(id)
        return .none
    }

    /// Returns one permit: to the first waiter if there is one, else to the available ones.
    ///
    /// - Throws: ``AsyncSemaphoreError/overflow`` if `maximum` permits are available already; nothing
    ///   changes then.
    package mutating func signal() throws(AsyncSemaphoreError) -> SignalAction {
        guard permits < maximum else { throw .overflow }
        if let next = waiters.popFirst() { return .resume(next.token) }
        permits += 1
        return .none
    }
}

extension AsyncSemaphoreStateMachine: Sendable where Token: Sendable {}
extension AsyncSemaphoreStateMachine.CancelAction: Sendable where Token: Sendable {}
extension AsyncSemaphoreStateMachine.SignalAction: Sendable where Token: Sendable {}
// Hashable for the exhaustive exploration tests, which deduplicate the states they visit.
extension AsyncSemaphoreStateMachine: Equatable where Token: Equatable {}
extension AsyncSemaphoreStateMachine: Hashable where Token: Hashable {}
