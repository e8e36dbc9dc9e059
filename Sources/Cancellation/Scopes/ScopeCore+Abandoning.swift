import Logging

// Running an operation that may ignore cancellation, for the abandoning form of `withTimeout`: the caller
// stops waiting for it once it has ignored its cancellation for a grace period.

extension ScopeCore {
    /// Runs `operation` in an unstructured task under this scope, and stops waiting for it `gracePeriod`
    /// after it was cancelled — by the scope's deadline or by the caller's cancellation.
    ///
    /// The task runs the same body as a scope's child task (``runOperation(_:)``). If the operation ends
    /// after the caller stopped waiting, its outcome goes to `onLateOutcome`.
    ///
    /// - Throws: As ``runThrowing(isolation:operation:)``; when the operation was abandoned, the error that
    ///   stands for the scope's cancellation, or `CancellationError` when the caller was cancelled.
    func runAbandoning<Value: Sendable>(
        after gracePeriod: Duration,
        onLateOutcome: @escaping @Sendable (Result<Value, any Error>) -> Void,
        operation: sending @escaping @isolated(any) () async throws -> Value
    ) async throws -> Value {
        begin()
        let rendezvous = AbandonableRendezvous<Value>()
        // The timers that abandon the operation; once the wait is over, no more are armed.
        let abandonTimers = LockedValue<(timers: [TimerRegistration], closed: Bool)>(([], false))
        let grace = max(.zero, gracePeriod)

        // An unstructured task, so it can be left behind; it inherits task-local values and priority, but
        // not the caller's cancellation, which the handler below forwards. Its isolation is the operation's.
        // Sound: `operation` was sent to this function, and only the task below ever calls it.
        let box = UncheckedSendableBox<() async throws -> Value>(value: { try await operation() })
        let task = Task { [self] in
            let result = await runOperation(box, beginningScope: false)
            if !rendezvous.complete(result) {
                onLateOutcome(result)
            }
        }

        /// Abandons the operation `grace` after `cancelledAt` (an offset from the scope's start).
        @Sendable func abandon(after cancelledAt: Duration) {
            guard grace.isShorter(than: longestArmableDuration) else { return }
            abandonTimers.withLock { state in
                guard !state.closed else { return }
                state.timers.append(armTimer(at: cancelledAt.adding(grace)) { rendezvous.abandon() })
            }
        }
        if let deadline, deadline.subtracting(now()).isShorter(than: longestArmableDuration) {
            abandon(after: deadline)
        }

        let outcome = await withTaskCancellationHandler {
            await rendezvous.wait()
        } onCancel: {
            task.cancel()
            abandon(after: self.now())
        }
        let callerIsCancelled = Task.isCancelled
        let timers = abandonTimers.withLock { state in
            state.closed = true
            return state.timers
        }
        for timer in timers {
            timer.cancel()
        }
        if let ending = finish() {
            await ending.complete()
        }

        switch outcome {
        case .completed(let result):
            return try value(of: self.outcome(of: result, callerIsCancelled: callerIsCancelled))
        case .abandoned:
            diagnostics.logger.warning(
                "Stopped waiting for an operation that ignored cancellation; it is left running detached",
                metadata: ["scope": "\(location)", "grace_period": "\(grace.humanReadable)"]
            )
            diagnostics.observer?(.abandoned(scope: location))
            if callerIsCancelled {
                throw CancellationError()
            }
            if let caught = catchCancellation() {
                throw caught
            }
            throw CancellationError()
        }
    }
}

/// Where the caller and an abandonable operation meet: whichever of completion and abandonment comes first
/// decides, exactly once.
final class AbandonableRendezvous<Value: Sendable>: Sendable {
    enum Outcome: Sendable {
        case completed(Result<Value, any Error>)
        case abandoned
    }

    private enum State {
        case pending(CheckedContinuation<Outcome, Never>?)
        case decided(Outcome)
        case delivered
    }

    private let state = LockedValue<State>(.pending(nil))

    /// Waits for completion or abandonment.
    func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            let decided = state.withLock { state -> Outcome? in
                switch state {
                case .pending:
                    state = .pending(continuation)
                    return nil
                case .decided(let outcome):
                    state = .delivered
                    return outcome
                case .delivered:
                    preconditionFailure("a rendezvous is waited for once")
                }
            }
            if let decided {
                continuation.resume(returning: decided)
            }
        }
    }

    /// The operation ended. Returns `false` when the caller had already stopped waiting.
    func complete(_ result: Result<Value, any Error>) -> Bool {
        decide(.completed(result))
    }

    /// The caller stops waiting, unless the operation already ended.
    func abandon() {
        _ = decide(.abandoned)
    }

    private func decide(_ outcome: Outcome) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Outcome, Never>?) in
            switch state {
            case .pending(let continuation):
                if let continuation {
                    state = .delivered
                    return (true, continuation)
                }
                state = .decided(outcome)
                return (true, nil)
            case .decided, .delivered:
                return (false, nil)
            }
        }
        waiter?.resume(returning: outcome)
        return accepted
    }
}
