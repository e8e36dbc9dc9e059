
/// Runs an operation that may ignore cancellation with a time limit, and stops waiting for it once it has
/// ignored its cancellation for `gracePeriod`.
///
/// Some APIs ignore cancellation: a blocking call wrapped in a continuation, a library that never checks.
/// ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)`` stays structured and waits for such
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
///   - onLateOutcome: Receives the value or error of an operation that was abandoned, when it ends. Not
///     called when the operation ends while the caller still waits.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run; it runs in an unstructured task with its own isolation.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the deadline expired and the operation ended by cancellation or was
///   abandoned; `CancellationError` when the calling task was cancelled and the operation ended by
///   cancellation or was abandoned; otherwise whatever the operation threw.
@discardableResult
nonisolated(nonsending) public func withTimeout<Value: Sendable, C: Clock>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    abandoningAfter gracePeriod: Duration,
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
/// See ``withTimeout(_:tolerance:clock:abandoningAfter:onLateOutcome:fileID:line:operation:)``.
///
/// - Parameters:
///   - timeout: How long the operation may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - gracePeriod: How long to keep waiting after the operation was cancelled.
///   - onLateOutcome: Receives the value or error of an operation that was abandoned, when it ends.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run; it runs in an unstructured task with its own isolation.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError``, `CancellationError`, or the operation's own error.
@discardableResult
nonisolated(nonsending) public func withTimeout<Value: Sendable>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    abandoningAfter gracePeriod: Duration,
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
