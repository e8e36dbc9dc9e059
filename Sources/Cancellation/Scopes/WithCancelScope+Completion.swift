// The forms of `withCancelScope` for operations that return nothing: they report whether the operation
// ran to its end instead of returning `Void?`.

/// Runs `operation`, which returns nothing, in a cancel scope, and reports whether it ran to its end.
///
/// This is ``withCancelScope(deadline:tolerance:clock:fileID:line:operation:)->Value?``
/// for an operation without a value: instead of `Void?`, it returns `true` when the operation returned —
/// even after the scope was cancelled — and `false` when the scope's own cancellation ended it. The
/// caller's own cancellation is never turned into `false`: the operation's `CancellationError` is thrown.
///
/// ```swift
/// let finished = try await withCancelScope { scope in
///     registry.register(scope)            // somebody may call scope.cancel(reason: "shutting down")
///     try await reindex()
/// }
/// if !finished { print("reindexing stopped early") }
/// ```
///
/// - Parameters:
///   - deadline: The instant of `clock` at which the scope cancels itself, or `nil` for none.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock the deadline is measured on.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: `true` if the operation returned; `false` if the scope's own cancellation ended it.
/// - Throws: Only what the operation threw (so nothing, for an operation that cannot throw); a
///   `CancellationError` it throws because the calling task was cancelled is passed on.
@discardableResult
@inlinable
nonisolated(nonsending) public func withCancelScope<Failure: Error, C: Clock>(
    deadline: C.Instant? = nil,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<C>) async throws(Failure) -> Void
) async throws(Failure) -> Bool where C.Duration == Duration {
    let scope = CancelScope(clock: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return try await scope.runMovingOn(isolation: #isolation, operation: operation) != nil
}

/// Runs `operation`, which returns nothing, in a cancel scope on the continuous clock, and reports whether
/// it ran to its end.
///
/// See ``withCancelScope(deadline:tolerance:clock:fileID:line:operation:)->Bool``.
///
/// - Parameters:
///   - deadline: When the scope cancels itself, or `nil` for none.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operation: The work to run, given the scope's handle.
/// - Returns: `true` if the operation returned; `false` if the scope's own cancellation ended it.
/// - Throws: Only what the operation threw.
@discardableResult
@inlinable
nonisolated(nonsending) public func withCancelScope<Failure: Error>(
    deadline: ContinuousClock.Instant? = nil,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: (CancelScope<ContinuousClock>) async throws(Failure) -> Void
) async throws(Failure) -> Bool {
    try await withCancelScope(deadline: deadline, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}
