import Logging

/// Runs an operation that may ignore cancellation with a time limit, and stops waiting for it once it has
/// ignored its cancellation for `gracePeriod`.
///
/// Some APIs ignore cancellation: a blocking call wrapped in a continuation, a library that never checks.
/// ``withTimeout(_:tolerance:clock:isolation:fileID:line:operation:)-(_,_,_,_,_,_,()->Value)`` stays structured and waits for such
/// an operation, however long it takes. This opt-in form does not: the operation runs in an unstructured
/// task, and when it has not finished `gracePeriod` after it was cancelled — by the deadline or by the
/// caller's own cancellation — this function stops waiting and throws. The operation is left running,
/// detached; when it eventually ends, its value or error is passed to `onLateOutcome`, so nothing is lost
/// silently, and a warning naming the scope is logged through ``CancellationDiagnostics``.
///
/// ```swift
/// let data = try await withTimeout(
///     .seconds(2), abandoningAfter: .seconds(1),
///     onLateOutcome: { outcome in metrics.recordLate(outcome) }
/// ) {
///     try await legacyBlockingRead()   // never checks cancellation
/// }
/// ```
///
/// - Warning: An abandoned operation keeps running and keeps whatever it holds. Use this only for code you
///   cannot make cooperative, and fix that code when you can.
///
/// - Parameters:
///   - timeout: How long the operation may run, measured on `clock`.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the time limit and the grace period.
///   - gracePeriod: How long to keep waiting after the operation was cancelled.
///   - isolation: The caller's actor; leave the default.
///   - onLateOutcome: Receives the value or error of an operation that was abandoned, when it ends. Not
///     called when the operation ends while the caller still waits.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run; it runs in an unstructured task with its own isolation.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the deadline expired and the operation ended by cancellation or was
///   abandoned; `CancellationError` when the calling task was cancelled and the operation ended by
///   cancellation or was abandoned; otherwise whatever the operation threw.
public func withTimeout<Value: Sendable, C: Clock>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    abandoningAfter gracePeriod: Duration,
    isolation: isolated (any Actor)? = #isolation,
    onLateOutcome: @escaping @Sendable (Result<Value, any Error>) -> Void,
    fileID: String = #fileID,
    line: Int = #line,
    operation: sending @escaping @isolated(any) () async throws -> Value
) async throws -> Value where C.Duration == Duration {
    let scope = CancelScope(clock: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await scope.core.runAbandoning(after: gracePeriod, onLateOutcome: onLateOutcome, operation: operation)
}

/// Runs an operation that may ignore cancellation with a time limit on the continuous clock, and stops
/// waiting for it once it has ignored its cancellation for `gracePeriod`.
///
/// See ``withTimeout(_:tolerance:clock:abandoningAfter:isolation:onLateOutcome:fileID:line:operation:)``.
///
/// - Parameters:
///   - timeout: How long the operation may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - gracePeriod: How long to keep waiting after the operation was cancelled.
///   - isolation: The caller's actor; leave the default.
///   - onLateOutcome: Receives the value or error of an operation that was abandoned, when it ends.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run; it runs in an unstructured task with its own isolation.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError``, `CancellationError`, or the operation's own error.
public func withTimeout<Value: Sendable>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    abandoningAfter gracePeriod: Duration,
    isolation: isolated (any Actor)? = #isolation,
    onLateOutcome: @escaping @Sendable (Result<Value, any Error>) -> Void,
    fileID: String = #fileID,
    line: Int = #line,
    operation: sending @escaping @isolated(any) () async throws -> Value
) async throws -> Value {
    try await withTimeout(
        timeout, tolerance: tolerance, clock: ContinuousClock(), abandoningAfter: gracePeriod,
        onLateOutcome: onLateOutcome, fileID: fileID, line: line, operation: operation
    )
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

/// The timers that end the wait for an abandonable operation.
private final class AbandonTimers: Sendable {
    private let timers = LockedValue<[TimerRegistration]>([])

    func add(_ timer: TimerRegistration) {
        timers.withLock { $0.append(timer) }
    }

    func stopAll() async {
        let all = timers.withLock { timers in
            defer { timers.removeAll() }
            return timers
        }
        for timer in all { timer.cancel() }
        for timer in all { await timer.waitUntilFinished() }
    }
}

extension ScopeCore {
    func runAbandoning<Value: Sendable>(
        after gracePeriod: Duration,
        onLateOutcome: @escaping @Sendable (Result<Value, any Error>) -> Void,
        operation: sending @escaping @isolated(any) () async throws -> Value
    ) async throws -> Value {
        begin()
        let rendezvous = AbandonableRendezvous<Value>()
        let timers = AbandonTimers()
        let grace = max(.zero, gracePeriod)

        // An unstructured task, so it can be left behind; it inherits task-local values and priority, but
        // not the caller's cancellation, which the handler below forwards.
        let task = Task { [self] in
            let result: Result<Value, any Error> = await ScopeChain.storage.withValue(self) {
                withUnsafeCurrentTask { task in
                    if let task { self.attach(task) }
                }
                defer { self.detach() }
                do {
                    return .success(try await operation())
                } catch {
                    return .failure(error)
                }
            }
            if !rendezvous.complete(result) {
                onLateOutcome(result)
            }
        }

        @Sendable func abandon(after start: Duration) {
            if grace >= longestArmableDuration { return }
            timers.add(clock.arm(at: start + grace, tolerance: tolerance) { fired in
                if fired { rendezvous.abandon() }
            })
        }
        if let deadline, deadline - clock.now() < longestArmableDuration {
            abandon(after: deadline)
        }

        let outcome = await withTaskCancellationHandler {
            await rendezvous.wait()
        } onCancel: {
            task.cancel()
            abandon(after: self.clock.now())
        }
        let callerIsCancelled = Task.isCancelled
        await timers.stopAll()
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
            if callerIsCancelled {
                throw CancellationError()
            }
            if let caught = takeCaughtCancellation() {
                throw caught
            }
            throw CancellationError()
        }
    }
}
