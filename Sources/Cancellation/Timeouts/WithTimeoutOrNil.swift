/// Runs `operation` with a time limit, and returns `nil` if the limit expires first ("move on").
///
/// This is Trio's `move_on_after` and Kotlin's `withTimeoutOrNull`. The operation runs in a child task
/// that is cancelled when `timeout` has elapsed; if it then ends by throwing `CancellationError`, the
/// result is `nil`. The operation runs on the caller's actor and may return the caller's own state, and
/// the function keeps the operation's typed error. A value the operation returns after the deadline fired
/// is returned, never dropped. If
/// the calling task is cancelled, a cancellation ending is thrown as `CancellationError`, never turned into
/// `nil`. Otherwise the contract is that of ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)``.
///
/// ```swift
/// let cached = try await withTimeoutOrNil(.milliseconds(50)) { try await cache.lookup(key) }
/// let value = if let cached { cached } else { try await database.fetch(key) }
/// ```
///
/// - Parameters:
///   - timeout: How long the operation may run, measured on `clock`.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the time limit.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run under the time limit.
/// - Returns: The operation's value, or `nil` when the deadline expired and the operation ended by it.
/// - Throws: `CancellationError` when the calling task was cancelled and the operation ended by
///   cancellation; otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Value, Failure: Error, C: Clock>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Value
) async throws(Failure) -> Value? where C.Duration == Duration {
    let core = ScopeCore.startingNow(on: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await core.runMovingOn(isolation: #isolation, operation: operation)
}

/// Runs `operation` with a time limit on the continuous clock, and returns `nil` if the limit expires
/// first.
///
/// See ``withTimeoutOrNil(_:tolerance:clock:fileID:line:operation:)->Value?``.
///
/// - Parameters:
///   - timeout: How long the operation may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run under the time limit.
/// - Returns: The operation's value, or `nil` when the deadline expired and the operation ended by it.
/// - Throws: `CancellationError` when the calling task was cancelled; otherwise the operation's error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Value, Failure: Error>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Value
) async throws(Failure) -> Value? {
    try await withTimeoutOrNil(timeout, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}

/// Runs `operation` until an absolute deadline, and returns `nil` if the deadline passes first.
///
/// This is Trio's `move_on_at`. See ``withTimeoutOrNil(_:tolerance:clock:fileID:line:operation:)->Value?``.
///
/// - Parameters:
///   - deadline: The instant of `clock` by which the operation must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock `deadline` belongs to.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run.
/// - Returns: The operation's value, or `nil` when the deadline passed and the operation ended by it.
/// - Throws: `CancellationError` when the calling task was cancelled; otherwise the operation's error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Value, Failure: Error, C: Clock>(
    at deadline: C.Instant,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Value
) async throws(Failure) -> Value? where C.Duration == Duration {
    let core = ScopeCore.startingNow(on: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await core.runMovingOn(isolation: #isolation, operation: operation)
}

/// Runs `operation` until an absolute deadline on the continuous clock, and returns `nil` if the deadline
/// passes first.
///
/// - Parameters:
///   - deadline: The instant by which the operation must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run.
/// - Returns: The operation's value, or `nil` when the deadline passed and the operation ended by it.
/// - Throws: `CancellationError` when the calling task was cancelled; otherwise the operation's error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Value, Failure: Error>(
    at deadline: ContinuousClock.Instant,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Value
) async throws(Failure) -> Value? {
    try await withTimeoutOrNil(at: deadline, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}
