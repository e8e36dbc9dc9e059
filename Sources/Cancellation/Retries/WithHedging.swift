// MARK: - withHedging

/// Runs `operation`, starts a further attempt whenever the running ones have not answered after the
/// policy's delay (or one has failed), and returns the first successful answer; the other attempts are
/// cancelled and awaited before it returns.
///
/// ```swift
/// let tracker = LatencyTracker()
/// let policy = HedgingPolicy(maxAttempts: 3, delay: .percentile(0.95, of: tracker, otherwise: .milliseconds(10)))
/// let row = try await withTimeout(.milliseconds(200)) {
///     try await withHedging(policy) { attempt in try await replicas.read(key) }   // idempotent reads only
/// }
/// ```
///
/// Each attempt runs in a child task, in a cancel scope of its own, under the caller's deadlines:
/// ``EffectiveDeadline/current`` inside an attempt is the caller's, so the gRPC and HTTP integrations pass
/// each attempt what is left of it. At most ``HedgingPolicy/maxAttempts`` attempts are started; every one
/// after the first takes a token from the policy's ``RetryBudget``, and none is started with less than
/// ``HedgingPolicy/minimumAttemptDuration`` left until the effective deadline. An attempt that fails while
/// others run is just dropped; when none is left running, the next one starts at once if the error is
/// retryable. The losers are cancelled through their scopes, with the reason "another hedged attempt
/// finished first" (``CancellationReason/current`` inside them), and awaited.
///
/// **Cancellation.** When the caller's task is cancelled, or an enclosing deadline passes, every attempt
/// is cancelled and awaited, and the cancellation is rethrown as it came (a `CancellationError`), never as
/// ``RetryError``.
///
/// - Parameters:
///   - policy: The delay, the most attempts, the time an attempt needs and the budget.
///   - clock: The clock the delay is measured on and attempts are timed on.
///   - isRetryable: Whether a failed attempt's error allows a further attempt. By default every error but
///     `CancellationError` does.
///   - fileID: Where the hedged call is made, for ``RetryError``; the caller's file by default.
///   - line: The line it is made on; the caller's by default.
///   - operation: The attempt, given its number from 1; it runs concurrently with other attempts.
/// - Returns: What the first successful attempt returned.
/// - Throws: ``RetryError`` when every attempt failed and no further one may start — the policy's attempts
///   are used up, the budget is spent, too little time is left, or an error is not retryable — with the
///   number of attempts started and the last error; the caller's own cancellation as it came.
nonisolated(nonsending) public func withHedging<Value: Sendable, C: Clock>(
    _ policy: HedgingPolicy,
    clock: C,
    isRetryable: (any Error) -> Bool = { !($0 is CancellationError) },
    fileID: String = #fileID,
    line: Int = #line,
    operation: @escaping @Sendable (_ attempt: Int) async throws -> Value
) async throws -> Value where C.Duration == Duration {
    let location = ScopeLocation(fileID: fileID, line: line)
    let scopes = LockedValue<[Int: CancelScope<C>]>([:])
    policy.budget?.recordCall()

    let outcome = await withTaskGroup(of: HedgeEvent<Value>.self) { group -> Result<Value, any Error> in
        var started = 0
        var running = 0
        var generation = 0
        var mayHedge = true
        var lastError: (any Error)?

        /// The body of attempt `attempt`'s child task.
        @Sendable func runAttempt(_ attempt: Int) async -> HedgeEvent<Value> {
            let start = clock.now
            do {
                let value = try await withCancelScope(clock: clock, fileID: fileID, line: line) { scope in
                    scopes.withLock { $0[attempt] = scope }
                    return try await operation(attempt)
                }
                scopes.withLock { _ = $0.removeValue(forKey: attempt) }
                // `nil`: the scope was cancelled because another attempt won.
                guard let value else { return .finished(attempt, .failure(CancellationError()), .zero) }
                return .finished(attempt, .success(value), start.duration(to: clock.now))
            } catch {
                scopes.withLock { _ = $0.removeValue(forKey: attempt) }
                return .finished(attempt, .failure(error), .zero)
            }
        }
        /// Adds a child that starts on this thread where the platform can (an immediate task): an attempt
        /// that answers without suspending, or a delay that arms its timer and suspends, then costs no trip
        /// through the executor and wakes no thread.
        func addChild(_ body: @escaping @Sendable () async -> HedgeEvent<Value>) {
            if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
                group.addImmediateTask(operation: body)
            } else {
                group.addTask(operation: body)
            }
        }
        func startAttempt() {
            started += 1
            running += 1
            let attempt = started
            addChild { await runAttempt(attempt) }
        }
        /// Arms the delay before the next attempt, if another may start.
        func armDelay() {
            guard mayHedge, started < policy.maxAttempts else { return }
            generation += 1
            let due = generation
            let delay = policy.currentDelay
            addChild {
                await hedgingDelay(delay, on: clock)
                return .delayPassed(due)
            }
        }
        /// Whether a further attempt may start now, taking a token from the budget if so.
        func mayStartAnother() -> RetryError.Reason? {
            guard started < policy.maxAttempts else { return .attemptsExhausted }
            if let deadline = EffectiveDeadline.current, deadline.remaining <= policy.minimumAttemptDuration {
                return .deadline
            }
            if let budget = policy.budget, !budget.acquireRetry() { return .budgetExhausted }
            return nil
        }
        func finish(_ result: Result<Value, any Error>, winner: Int?) async -> Result<Value, any Error> {
            let losers = scopes.withLock { scopes in scopes.values.map { $0 } }
            for scope in losers {
                scope.cancel(reason: winner.map { "another hedged attempt (\($0)) finished first" } ?? "the hedged call ended")
            }
            group.cancelAll()
            while await group.next() != nil {}
            return result
        }

        startAttempt()
        armDelay()
        while let event = await group.next() {
            switch event {
            case .delayPassed(let due):
                guard due == generation, running > 0, !Task.isCancelled else { continue }
                if mayStartAnother() == nil {
                    startAttempt()
                    armDelay()
                } else {
                    mayHedge = false  // no further hedge; wait for those running
                }
            case .finished(let attempt, .success(let value), let latency):
                policy.latencies?.record(latency)
                return await finish(.success(value), winner: attempt)
            case .finished(_, .failure(let error), _):
                running -= 1
                lastError = error
                if Task.isCancelled {
                    return await finish(.failure(error), winner: nil)
                }
                guard isRetryable(error) else {
                    return await finish(.failure(RetryError(attempts: started, reason: .notRetryable, lastError: error, location: location)), winner: nil)
                }
                guard running == 0 else { continue }
                if let reason = mayStartAnother() {
                    return await finish(.failure(RetryError(attempts: started, reason: reason, lastError: error, location: location)), winner: nil)
                }
                startAttempt()
                armDelay()
            }
        }
        // Not reached: the group holds a running attempt until one of the cases above returns.
        return .failure(lastError ?? CancellationError())
    }
    return try outcome.get()
}

/// Runs `operation` with hedged attempts on the continuous clock, and returns the first successful answer.
///
/// The same as ``withHedging(_:clock:isRetryable:fileID:line:operation:)`` on `ContinuousClock`.
///
/// **Cancellation.** The caller's own cancellation, or an enclosing deadline, cancels and awaits every
/// attempt and is rethrown as it came, never as ``RetryError``.
///
/// - Parameters:
///   - policy: The delay, the most attempts, the time an attempt needs and the budget.
///   - isRetryable: Whether a failed attempt's error allows a further attempt. By default every error but
///     `CancellationError` does.
///   - fileID: Where the hedged call is made, for ``RetryError``; the caller's file by default.
///   - line: The line it is made on; the caller's by default.
///   - operation: The attempt, given its number from 1; it runs concurrently with other attempts.
/// - Returns: What the first successful attempt returned.
/// - Throws: ``RetryError`` when every attempt failed and no further one may start; the caller's own
///   cancellation as it came.
nonisolated(nonsending) public func withHedging<Value: Sendable>(
    _ policy: HedgingPolicy,
    isRetryable: (any Error) -> Bool = { !($0 is CancellationError) },
    fileID: String = #fileID,
    line: Int = #line,
    operation: @escaping @Sendable (_ attempt: Int) async throws -> Value
) async throws -> Value {
    try await withHedging(policy, clock: ContinuousClock(), isRetryable: isRetryable, fileID: fileID, line: line, operation: operation)
}

/// Sleeps `delay` on `clock` — on the clock's timer engine where the library has one (the standard clocks
/// and `ManualClock`): a heap entry rather than a platform timer per hedged call — or returns early when
/// the task is cancelled.
func hedgingDelay<C: Clock>(_ delay: Duration, on clock: C) async where C.Duration == Duration {
    if C.self == ContinuousClock.self || C.self == SuspendingClock.self || clock is any _TimerEngineDrivenClock {
        // These clocks' engines are shared, so `serving` makes no wake-up of its own to stop.
        let (engine, start, _) = TimerEngine.serving(clock, start: clock.now)
        _ = await engine.sleep(until: start.adding(delay))
    } else {
        try? await clock.sleep(for: delay)
    }
}

/// What a child task of a hedged call reports.
enum HedgeEvent<Value: Sendable>: Sendable {
    /// An attempt ended, with its result and, for a success, its latency.
    case finished(Int, Result<Value, any Error>, Duration)
    /// The delay armed as generation `Int` passed.
    case delayPassed(Int)
}
