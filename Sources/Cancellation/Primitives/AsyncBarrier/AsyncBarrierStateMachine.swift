/// The state of an ``AsyncBarrier``, with no locking and no continuations: every transition returns what
/// the caller must do after unlocking.
///
/// Invariants: fewer than `parties` waiters are queued; the arrival that makes `parties` takes every queued
/// waiter out at once (the barrier *trips*) and the next cycle starts empty, so a waiter of one cycle is
/// never counted in the next; arrival indices are handed out at the trip, in arrival order, so each
/// index in `0..<parties` goes to exactly one party of the cycle; a waiter is resumed exactly once
/// (tripped, broken, or cancelled while still queued — a cancelled waiter withdraws and is not counted).
package struct AsyncBarrierStateMachine<Token> {
    /// The number of arrivals that trip the barrier.
    package let parties: Int
    package private(set) var waiters = WaiterQueue<Token>()
    package private(set) var registrations = WaiterRegistrations()
    /// Whether ``abort()`` broke the barrier (until ``reset()``).
    package private(set) var isBroken = false

    package init(parties: Int) {
        self.parties = parties
    }

    /// The waiters of a trip, each with its arrival index, to resume normally.
    package typealias Released = [(token: Token, index: Int)]

    /// What `wait` does first.
    package enum ArriveAction {
        /// This arrival trips the barrier: return this index (`parties - 1`) and resume the released waiters.
        case trip(index: Int, released: Released)
        /// The barrier is broken: fail with ``AsyncBarrierError/broken``.
        case broken
        /// Wait as this waiter id.
        case wait(UInt64)
    }

    private mutating func trip() -> (index: Int, released: Released) {
        var released: Released = []
        released.reserveCapacity(waiters.count)
        while let waiter = waiters.popFirst() {
            released.append((waiter.token, released.count))
        }
        return (released.count, released)
    }

    /// Arrives: trips the barrier if this is the last party, or reserves a waiter id.
    package mutating func arrive() -> ArriveAction {
        if isBroken { return .broken }
        if waiters.count + 1 == parties {
            let (index, released) = trip()
            return .trip(index: index, released: released)
        }
        return .wait(registrations.reserve())
    }

    /// What to do with a continuation that has just been created for waiter `id`.
    package enum RegisterAction {
        /// Resume it at once with this index: its arrival tripped the barrier; resume the released waiters too.
        case resumeTripped(index: Int, released: Released)
        /// Resume it at once with ``AsyncBarrierError/broken``.
        case resumeBroken
        /// Resume it at once with `CancellationError`: it was cancelled before it was queued, and withdraws.
        case resumeCancelled
        /// It is queued.
        case suspended
    }

    /// Queues waiter `id`, unless it was cancelled or the barrier was broken meanwhile, or its arrival trips
    /// the barrier.
    package mutating func register(_ id: UInt64, _ token: Token) -> RegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        if isBroken { return .resumeBroken }
        if waiters.count + 1 == parties {
            let (index, released) = trip()
            return .resumeTripped(index: index, released: released)
        }
        waiters.append(id, token)
        return .suspended
    }

    /// What to do after a cancellation of waiter `id`.
    package enum CancelAction {
        /// Resume this token with `CancellationError`: it was still queued and has withdrawn.
        case resumeCancelled(Token)
        /// Nothing: the waiter was released already (it keeps its passage), or is marked before registration.
        case none
    }

    /// Cancels waiter `id`: it withdraws from the barrier.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let token = waiters.remove(id) { return .resumeCancelled(token) }
        registrations.cancel(id)
        return .none
    }

    /// Breaks the barrier; returns the waiters to resume with ``AsyncBarrierError/broken``.
    package mutating func abort() -> [Token] {
        isBroken = true
        return waiters.removeAll()
    }

    /// Returns the barrier to its empty, unbroken state; returns the waiters to resume with
    /// ``AsyncBarrierError/broken``.
    package mutating func reset() -> [Token] {
        isBroken = false
        return waiters.removeAll()
    }
}

extension AsyncBarrierStateMachine: Sendable where Token: Sendable {}
extension AsyncBarrierStateMachine.ArriveAction: Sendable where Token: Sendable {}
extension AsyncBarrierStateMachine.RegisterAction: Sendable where Token: Sendable {}
extension AsyncBarrierStateMachine.CancelAction: Sendable where Token: Sendable {}

// Hashable for the exhaustive exploration tests, which deduplicate the states they visit.
extension AsyncBarrierStateMachine: Equatable where Token: Equatable {}
extension AsyncBarrierStateMachine: Hashable where Token: Hashable {}
