// MARK: - withRetries

/// Runs `operation`, and runs it again after a backoff when it throws an error `isRetryable` accepts,
/// within the effective deadline and the policy's budget.
///
/// ```swift
/// let user = try await withTimeout(.seconds(2)) {                   // the deadline over every attempt
///     try await withRetries(RetryPolicy(maxAttempts: 4, budget: usersBudget)) { attempt in
///         try await users.fetch(id)                                  // passes on what is left of 2 s
///     }
/// }
/// ```
///
/// Each attempt runs on the caller's isolation, one after the other. Between attempts the backoff is slept on
/// `clock`; no backoff is slept, and no attempt started, when less time remains until the effective deadline
/// (``EffectiveDeadline/current``) than the backoff plus the time an attempt needs — the policy's
/// ``RetryPolicy/minimumAttemptDuration`` or the mean of this call's attempts so far, whichever is longer.
/// Every retry takes a token from the policy's ``RetryBudget``, if it has one.
///
/// **Cancellation.** When the caller's task is cancelled, or an enclosing scope's deadline passes, during an
/// attempt or a backoff, nothing is retried: the error is rethrown as it came, so an enclosing
/// `withTimeout` throws its ``TimeoutError`` and a cancelled caller sees its `CancellationError`. An attempt
/// that ends with `CancellationError` while the caller is not cancelled is retried only if `isRetryable`
/// says so (by default it is not).
///
/// - Parameters:
///   - policy: How many attempts, the backoff between them, the time an attempt needs and the budget.
///   - clock: The clock the backoff is slept and attempts are timed on.
///   - isRetryable: Whether an attempt's error is worth another attempt. By default every error but
///     `CancellationError` is.
///   - fileID: Where the retries are started, for ``RetryError``; the caller's file by default.
///   - line: The line they are started on; the caller's by default.
///   - operation: The attempt, given its number from 1.
/// - Returns: What the first successful attempt returned.
/// - Throws: ``RetryError`` when no further attempt is made — every attempt failed, the budget is spent,
///   too little time is left, or the error is not retryable — with the number of attempts and the last
///   error; the caller's own cancellation as it came (see above).
@discardableResult
nonisolated(nonsending) public func withRetries<Value, C: Clock>(
    _ policy: RetryPolicy = RetryPolicy(),
    clock: C,
    isRetryable: (any Error) -> Bool = { !($0 is CancellationError) },
    fileID: String = #fileID,
    line: Int = #line,
    operation: (_ attempt: Int) async throws -> Value
) async throws -> Value where C.Duration == Duration {
    var jitter = JitterSource(policy.jitter)
    var attempt = 1
    var timeInAttempts = Duration.zero
    policy.budget?.recordCall()
    while true {
        let start = clock.now
        let error: any Error
        do {
            return try await operation(attempt)
        } catch let thrown {
            error = thrown
        }
        timeInAttempts += start.duration(to: clock.now)
        // The caller's own cancellation (or an enclosing deadline) is not the operation's failure.
        if Task.isCancelled { throw error }
        func givingUp(_ reason: RetryError.Reason) -> RetryError {
            RetryError(attempts: attempt, reason: reason, lastError: error, location: ScopeLocation(fileID: fileID, line: line))
        }
        guard isRetryable(error) else { throw givingUp(.notRetryable) }
        guard attempt < policy.maxAttempts else { throw givingUp(.attemptsExhausted) }
        let backoff = jitter.backoff(below: policy.backoffCeiling(beforeRetry: attempt))
        if let deadline = EffectiveDeadline.current {
            let needed = max(policy.minimumAttemptDuration, timeInAttempts / attempt)
            guard deadline.remaining > backoff + needed else { throw givingUp(.deadline) }
        }
        if let budget = policy.budget, !budget.acquireRetry() { throw givingUp(.budgetExhausted) }
        if backoff > .zero {
            try await clock.sleep(for: backoff)
        }
        attempt += 1
    }
}

/// Runs `operation`, and runs it again after a backoff when it throws an error `isRetryable` accepts,
/// within the effective deadline and the policy's budget, timing on the continuous clock.
///
/// The same as ``withRetries(_:clock:isRetryable:fileID:line:operation:)`` on `ContinuousClock`.
///
/// **Cancellation.** The caller's own cancellation, or an enclosing scope's deadline, ends the retries at
/// once and is rethrown as it came, never as ``RetryError``.
///
/// - Parameters:
///   - policy: How many attempts, the backoff between them, the time an attempt needs and the budget.
///   - isRetryable: Whether an attempt's error is worth another attempt. By default every error but
///     `CancellationError` is.
///   - fileID: Where the retries are started, for ``RetryError``; the caller's file by default.
///   - line: The line they are started on; the caller's by default.
///   - operation: The attempt, given its number from 1.
/// - Returns: What the first successful attempt returned.
/// - Throws: ``RetryError`` when no further attempt is made; the caller's own cancellation as it came.
@discardableResult
nonisolated(nonsending) public func withRetries<Value>(
    _ policy: RetryPolicy = RetryPolicy(),
    isRetryable: (any Error) -> Bool = { !($0 is CancellationError) },
    fileID: String = #fileID,
    line: Int = #line,
    operation: (_ attempt: Int) async throws -> Value
) async throws -> Value {
    try await withRetries(policy, clock: ContinuousClock(), isRetryable: isRetryable, fileID: fileID, line: line, operation: operation)
}
