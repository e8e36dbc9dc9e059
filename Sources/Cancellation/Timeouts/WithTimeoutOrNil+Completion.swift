// The forms of `withTimeoutOrNil` for operations that return nothing: they report whether the operation
// ran to its end instead of returning `Void?`.

/// Runs `operation`, which returns nothing, with a time limit, and reports whether it ran to its end.
///
/// This is ``withTimeoutOrNil(_:tolerance:clock:fileID:line:operation:)->Value?`` for an
/// operation without a value: instead of `Void?`, it returns `true` when the operation returned — in time,
/// or after the deadline fired, since a late finish is still a finish — and `false` when the deadline
/// expired and the operation ended by that cancellation. The caller's own cancellation is never turned
/// into `false`: the operation's `CancellationError` is thrown.
///
/// ```swift
/// let flushed = await withTimeoutOrNil(.seconds(1), clock: clock) { await log.flush() }
/// if !flushed { print("log flush timed out; continuing") }
/// ```
///
/// - Parameters:
///   - timeout: How long the operation may run, measured on `clock`.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the time limit.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run under the time limit.
/// - Returns: `true` if the operation returned; `false` if the deadline's cancellation ended it.
/// - Throws: Only what the operation threw (so nothing, for an operation that cannot throw); a
///   `CancellationError` it throws because the calling task was cancelled is passed on.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Failure: Error, C: Clock>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Void
) async throws(Failure) -> Bool where C.Duration == Duration {
    let core = ScopeCore.startingNow(on: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await core.runMovingOn(isolation: #isolation, operation: operation) != nil
}

/// Runs `operation`, which returns nothing, with a time limit on the continuous clock, and reports whether
/// it ran to its end.
///
/// See ``withTimeoutOrNil(_:tolerance:clock:fileID:line:operation:)->Bool``.
///
/// - Parameters:
///   - timeout: How long the operation may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run under the time limit.
/// - Returns: `true` if the operation returned; `false` if the deadline's cancellation ended it.
/// - Throws: Only what the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Failure: Error>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Void
) async throws(Failure) -> Bool {
    try await withTimeoutOrNil(timeout, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}

/// Runs `operation`, which returns nothing, until an absolute deadline, and reports whether it ran to its
/// end.
///
/// See ``withTimeoutOrNil(_:tolerance:clock:fileID:line:operation:)->Bool``.
///
/// - Parameters:
///   - deadline: The instant of `clock` by which the operation must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock `deadline` belongs to.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run.
/// - Returns: `true` if the operation returned; `false` if the deadline's cancellation ended it.
/// - Throws: Only what the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Failure: Error, C: Clock>(
    at deadline: C.Instant,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Void
) async throws(Failure) -> Bool where C.Duration == Duration {
    let core = ScopeCore.startingNow(on: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await core.runMovingOn(isolation: #isolation, operation: operation) != nil
}

/// Runs `operation`, which returns nothing, until an absolute deadline on the continuous clock, and
/// reports whether it ran to its end.
///
/// See ``withTimeoutOrNil(_:tolerance:clock:fileID:line:operation:)->Bool``.
///
/// - Parameters:
///   - deadline: The instant by which the operation must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run.
/// - Returns: `true` if the operation returned; `false` if the deadline's cancellation ended it.
/// - Throws: Only what the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeoutOrNil<Failure: Error>(
    at deadline: ContinuousClock.Instant,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws(Failure) -> Void
) async throws(Failure) -> Bool {
    try await withTimeoutOrNil(at: deadline, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}
