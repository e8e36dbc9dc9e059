// MARK: - withTimeout, relative

/// Runs `operation` with a time limit, and throws ``TimeoutError`` if the limit expires first.
///
/// The operation runs in a child task. When `timeout` has elapsed on `clock`, that child task — and only
/// it — is cancelled; the calling task is never cancelled by a timeout. The function runs on the caller's
/// actor (`nonisolated(nonsending)`), and an operation written there runs there too, so it may read and
/// return the caller's own non-`Sendable` state. This is Python's
/// `asyncio.wait_for(coro, timeout)` and `async with asyncio.timeout(delay)`, with stricter rules:
///
/// - If the operation finishes in time, its value or its own error comes back unchanged.
/// - If the deadline passes, the operation is cancelled; if it then ends by throwing `CancellationError`,
///   `withTimeout` throws ``TimeoutError`` naming this scope.
/// - A value the operation returns after the deadline fired is returned, never dropped, and an error of
///   its own that it throws after the deadline fired is thrown as it is, not masked.
/// - If the calling task is cancelled — before the call, during it, or at the very instant the deadline
///   fires — a cancellation ending of the operation is reported as `CancellationError`, never as
///   ``TimeoutError``: the caller's cancellation is never swallowed.
/// - A zero or negative timeout starts the operation already cancelled: it runs to its first cancellation
///   point, and a value it returns without reaching one is kept. A timeout of about 136 years or more
///   (`.seconds(Int64.max)`, say) means "no deadline".
/// - When `withTimeout` returns or throws, nothing it started is still running.
///
/// Nested timeouts compose: only the scope whose own deadline expired throws ``TimeoutError``; scopes
/// inside it pass the cancellation through, and scopes around it carry on. The earliest deadline of all
/// enclosing scopes is readable anywhere inside as ``EffectiveDeadline/current``.
///
/// ```swift
/// do {
///     let page = try await withTimeout(.seconds(2)) {
///         try await fetchPage()
///     }
///     render(page)
/// } catch let error as TimeoutError {
///     print(error)   // timed out after 2 seconds (scope at App/Fetch.swift:12)
/// }
/// ```
///
/// - Warning: Cancellation is cooperative. An operation that never reaches a cancellation point keeps
///   `withTimeout` waiting; such an operation is reported through ``CancellationDiagnostics`` once its
///   grace period passes. Use
///   ``withTimeout(_:tolerance:clock:abandoningAfter:onLateOutcome:fileID:line:operation:)`` to stop
///   waiting for operations you cannot fix.
///
/// - Parameters:
///   - timeout: How long the operation may run, measured on `clock`.
///   - tolerance: How late the deadline may be enforced, letting the clock coalesce timers; `nil` for the
///     clock's default.
///   - clock: The clock that measures the time limit.
///   - fileID: The file that opens the scope, for ``TimeoutError`` and diagnostics. Leave the default.
///   - line: The line that opens the scope. Leave the default.
///   - operation: The work to run under the time limit.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the deadline expired and the operation ended by cancellation;
///   `CancellationError` when the calling task was cancelled and the operation ended by cancellation;
///   otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value, C: Clock>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws -> Value
) async throws -> Value where C.Duration == Duration {
    let core = ScopeCore.startingNow(on: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await core.runThrowing(isolation: #isolation, operation: operation)
}

/// Runs `operation` with a time limit on the continuous clock, and throws ``TimeoutError`` if the limit
/// expires first.
///
/// This is ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)`` with
/// `ContinuousClock`; see it for the full contract.
///
/// - Parameters:
///   - timeout: How long the operation may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run under the time limit.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the deadline expired and the operation ended by cancellation;
///   `CancellationError` when the calling task was cancelled; otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws -> Value
) async throws -> Value {
    try await withTimeout(timeout, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}

/// Runs `operation` with a time limit that it can move or cancel through its ``CancelScope``, and throws
/// ``TimeoutError`` if the limit expires first.
///
/// This is `async with asyncio.timeout(delay) as cm:` with `cm.reschedule(...)`: the scope's deadline
/// covers every `await` in the block and can be moved later or earlier, or removed, while it runs. An
/// explicit ``CancelScope/cancel(reason:)`` that ends the operation makes this function throw
/// ``ScopeCancelledError``. Otherwise the contract is that of
/// ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)``.
///
/// - Parameters:
///   - timeout: How long the operation may run, measured on `clock`, until the scope moves its deadline.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the time limit.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the deadline expired and the operation ended by cancellation;
///   ``ScopeCancelledError`` when the scope was cancelled explicitly and the operation ended by it;
///   `CancellationError` when the calling task was cancelled; otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value, C: Clock>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<C>) async throws -> Value
) async throws -> Value where C.Duration == Duration {
    let scope = CancelScope(clock: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await scope.runThrowing(isolation: #isolation, operation: operation)
}

/// Runs `operation` with a time limit on the continuous clock that it can move or cancel through its
/// ``CancelScope``, and throws ``TimeoutError`` if the limit expires first.
///
/// See ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,(CancelScope<C>)->Value)``.
///
/// - Parameters:
///   - timeout: How long the operation may run, until the scope moves its deadline.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError``, ``ScopeCancelledError``, `CancellationError`, or the operation's own error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value>(
    _ timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<ContinuousClock>) async throws -> Value
) async throws -> Value {
    try await withTimeout(timeout, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}

// MARK: - withTimeout, absolute

/// Runs `operation` until an absolute deadline, and throws ``TimeoutError`` if the deadline passes first.
///
/// This is `asyncio.timeout_at(when)`. An absolute deadline is the right tool when several steps share
/// one budget: compute the deadline once and hand it to each step. A deadline already in the past starts
/// the operation cancelled. Otherwise the contract is that of
/// ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)``.
///
/// - Parameters:
///   - deadline: The instant of `clock` by which the operation must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock `deadline` belongs to.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the deadline passed and the operation ended by cancellation;
///   `CancellationError` when the calling task was cancelled; otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value, C: Clock>(
    at deadline: C.Instant,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws -> Value
) async throws -> Value where C.Duration == Duration {
    let core = ScopeCore.startingNow(on: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await core.runThrowing(isolation: #isolation, operation: operation)
}

/// Runs `operation` until an absolute deadline on the continuous clock, and throws ``TimeoutError`` if the
/// deadline passes first.
///
/// See ``withTimeout(at:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)``.
///
/// - Parameters:
///   - deadline: The instant by which the operation must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError``, `CancellationError`, or the operation's own error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value>(
    at deadline: ContinuousClock.Instant,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws -> Value
) async throws -> Value {
    try await withTimeout(at: deadline, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}

/// Runs `operation` until an absolute deadline that it can move or cancel through its ``CancelScope``, and
/// throws ``TimeoutError`` if the deadline passes first.
///
/// This is `async with asyncio.timeout_at(when) as cm:` with `cm.reschedule(...)`.
///
/// - Parameters:
///   - deadline: The instant of `clock` by which the operation must finish, until the scope moves it.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock `deadline` belongs to.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError``, ``ScopeCancelledError``, `CancellationError`, or the operation's own error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value, C: Clock>(
    at deadline: C.Instant,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<C>) async throws -> Value
) async throws -> Value where C.Duration == Duration {
    let scope = CancelScope(clock: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await scope.runThrowing(isolation: #isolation, operation: operation)
}

/// Runs `operation` until an absolute deadline on the continuous clock that it can move or cancel through
/// its ``CancelScope``, and throws ``TimeoutError`` if the deadline passes first.
///
/// - Parameters:
///   - deadline: The instant by which the operation must finish, until the scope moves it.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError``, ``ScopeCancelledError``, `CancellationError`, or the operation's own error.
@discardableResult
@inlinable
nonisolated(nonsending) public func withTimeout<Value>(
    at deadline: ContinuousClock.Instant,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<ContinuousClock>) async throws -> Value
) async throws -> Value {
    try await withTimeout(at: deadline, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}
