/// Runs `operation` in a cancel scope: a block that can be cancelled on its own — by its deadline, or from
/// any task or thread with a reason — without cancelling the caller.
///
/// The scope's ``CancelScope`` handle lets the block, or anyone it is handed to, read and move the
/// deadline, remove it, or cancel the scope with a reason. When the scope's own cancellation ends the
/// block (the block throws `CancellationError` because of it), the scope catches that cancellation and
/// returns `nil`, and ``CancelScope/didCatchCancellation`` becomes `true` — Trio's cancel scope,
/// Python's `asyncio.timeout()` made reschedulable and cancellable. Code after the scope carries on.
///
/// ```swift
/// let summary = try await withCancelScope { scope in
///     registry.register(scope)            // somebody may call scope.cancel(reason: "shutting down")
///     return try await indexEverything()
/// }
/// if summary == nil { print("indexing stopped early") }
/// ```
///
/// The rules of ``withTimeout(_:tolerance:clock:fileID:line:operation:)-(_,_,_,_,_,()->Value)`` hold here too: a value
/// returned after the cancellation is kept, the operation's own errors pass through, and the caller's own
/// cancellation is never caught: it is rethrown as `CancellationError`.
///
/// - Parameters:
///   - deadline: The instant of `clock` at which the scope cancels itself, or `nil` for none (the scope
///     can still set one later, or be cancelled explicitly).
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock the deadline is measured on.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: The operation's value, or `nil` when the scope's own cancellation ended it.
/// - Throws: `CancellationError` when the calling task was cancelled and the operation ended by
///   cancellation; otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withCancelScope<Value, Failure: Error, C: Clock>(
    deadline: C.Instant? = nil,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<C>) async throws(Failure) -> Value
) async throws(Failure) -> Value? where C.Duration == Duration {
    let scope = CancelScope(clock: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await scope.runMovingOn(isolation: #isolation, operation: operation)
}

/// Runs `operation` in a cancel scope whose deadline, if any, is measured on the continuous clock.
///
/// See ``withCancelScope(deadline:tolerance:clock:fileID:line:operation:)->Value?``.
///
/// - Parameters:
///   - deadline: When the scope cancels itself, or `nil` for none.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: The operation's value, or `nil` when the scope's own cancellation ended it.
/// - Throws: `CancellationError` when the calling task was cancelled and the operation ended by
///   cancellation; otherwise whatever the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withCancelScope<Value, Failure: Error>(
    deadline: ContinuousClock.Instant? = nil,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<ContinuousClock>) async throws(Failure) -> Value
) async throws(Failure) -> Value? {
    try await withCancelScope(deadline: deadline, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}
