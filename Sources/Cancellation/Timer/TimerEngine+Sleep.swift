/// A sleep served by a timer engine: one heap entry and one continuation, rather than a timer of the
/// platform's per sleep. For the library's own short waits (a hedged call's delay), where `Task.sleep`'s
/// platform timer would cost more than the wait it measures.
extension TimerEngine {
    /// Suspends until `deadline` (an offset on this engine) or until the task is cancelled.
    ///
    /// - Parameter deadline: When to wake, as an offset on this engine; one in the past returns at once.
    /// - Returns: `true` when the deadline was reached, `false` when the task was cancelled first.
    func sleep(until deadline: Duration) async -> Bool {
        guard !Task.isCancelled else { return false }
        // A deadline already reached needs no timer (an engine driven by a manual clock would not fire one
        // armed in the past until its time moved).
        guard now() < deadline else { return true }
        let sleeper = EngineSleeper()
        // Armed before the wait begins: whichever of firing, cancelling and waiting comes first, the
        // sleeper's state says what the others must do (see `EngineSleeper`).
        arm(sleeper, at: deadline, tolerance: nil, token: 0)
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                sleeper.wait(continuation)
            }
        } onCancel: {
            cancel(sleeper)
            sleeper.finish(reachedDeadline: false)
        }
    }
}

/// The entry of one ``TimerEngine/sleep(until:)``: its continuation is resumed once, with the first of
/// "the deadline was reached" (the entry fired) and "the task was cancelled", whichever order the firing,
/// the cancellation and the wait itself come in.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is (its fields are guarded by the engine's lock,
/// see there). Sound: the one property this class adds is a `let` ``LockedValue`` of a `Sendable` state,
/// reached only under its own lock; the continuation it holds is taken out under that lock exactly once and
/// resumed outside it.
final class EngineSleeper: TimerEntry, @unchecked Sendable {
    private enum State: Sendable {
        /// Neither waiting nor finished.
        case idle
        /// Waiting for the first outcome.
        case waiting(UnsafeContinuation<Bool, Never>)
        /// The first outcome: whether the deadline was reached.
        case finished(reachedDeadline: Bool)
    }

    private let state = LockedValue(State.idle)

    /// Waits: resumes `continuation` at once if the outcome is known already, or when it is.
    func wait(_ continuation: UnsafeContinuation<Bool, Never>) {
        let known = state.withLock { state -> Bool? in
            switch state {
            case .idle:
                state = .waiting(continuation)
                return nil
            case .finished(let reachedDeadline):
                return reachedDeadline
            case .waiting:
                preconditionFailure("a sleeper waits once")
            }
        }
        if let known { continuation.resume(returning: known) }
    }

    /// Records the outcome if it is the first, and resumes the waiting continuation if there is one.
    func finish(reachedDeadline: Bool) {
        let continuation = state.withLock { state -> UnsafeContinuation<Bool, Never>? in
            switch state {
            case .idle:
                state = .finished(reachedDeadline: reachedDeadline)
                return nil
            case .waiting(let continuation):
                state = .finished(reachedDeadline: reachedDeadline)
                return continuation
            case .finished:
                return nil
            }
        }
        continuation?.resume(returning: reachedDeadline)
    }

    override func fire(token: UInt64) {
        finish(reachedDeadline: true)
    }
}
