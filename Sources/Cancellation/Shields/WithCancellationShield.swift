/// Runs `operation` to completion even if the surrounding task or scope is cancelled.
///
/// Use a shield for the cleanup that must happen before cancellation completes — closing a connection,
/// releasing a lock, flushing a log — the work Python code does in `except CancelledError:` before
/// re-raising, or under `asyncio.shield`. Inside the shield `Task.isCancelled` is `false`,
/// ``CancellationReason/current`` is `nil`, and deadlines of enclosing scopes do not apply
/// (``EffectiveDeadline/current`` ignores them). Task-local values, priority and the caller's actor carry
/// over.
///
/// The caller's cancellation is not lost: when the shield returns, `Task.isCancelled` in the caller is as
/// true as it was, and the next cancellation point after the shield throws.
///
/// ```swift
/// do {
///     try await session.run()
/// } catch {
///     await withCancellationShield {
///         await session.close()          // runs fully, even though we are being cancelled
///     }
///     throw error
/// }
/// ```
///
/// - Warning: An unbounded shield waits for its operation however long it takes, and so does everything
///   waiting on the caller. Bound shields around anything that can block, with
///   ``withCancellationShield(timeout:tolerance:clock:fileID:line:operation:)``.
///
/// - Parameters:
///   - operation: The work that must not be interrupted. Written on the caller's actor, it runs there and
///     may return the caller's own state.
/// - Returns: The operation's value.
/// - Throws: Whatever the operation throws; never `CancellationError` on account of the caller.
nonisolated(nonsending) public func withCancellationShield<Value, Failure: Error>(
    operation: () async throws(Failure) -> Value
) async throws(Failure) -> Value {
    // The operation's typed error is erased for the hand-over and restored below: a function type that
    // throws a generic error type needs runtime support that the Apple platforms have only from macOS 15 /
    // iOS 18 on, so none is formed here.
    let outcome = await runShielded(isolation: #isolation) { () async throws -> Value in try await operation() }
    switch consume outcome {
    case .success(let value):
        return value
    case .failure(let error):
        // Sound: the only errors are the operation's own, which are of type `Failure`.
        throw error as! Failure
    }
}

/// The body of ``withCancellationShield(operation:)``: runs `operation` in an unstructured task, which the
/// caller's cancellation does not reach, with a ``ShieldLink`` as the innermost link of its chain.
///
/// - Parameters:
///   - isolation: The caller's actor; the shield's task is isolated to it.
///   - operation: The caller's operation.
/// - Returns: The operation's result.
func runShielded<Value>(
    isolation: isolated (any Actor)?,
    operation: () async throws -> Value
) async -> Result<Value, any Error> {
    let link = ShieldLink(parent: ScopeChain.current)
    let outcome = await withoutActuallyEscaping(operation) { operation in
        // Sound: the closure is called exactly once, by the task below, while this task is suspended
        // awaiting that task's value; task creation and completion order the hand-over, and
        // `withoutActuallyEscaping` checks the closure did not outlive the call. The closure runs where its
        // own isolation says: a closure written on the caller's actor runs there.
        let box = UncheckedSendableBox(value: operation)
        // An unstructured task does not inherit the caller's cancellation, but does inherit its task-local
        // values and priority; awaiting its value does not forward the caller's cancellation to it. It
        // captures the caller's isolation, so it inherits it; where the platform has immediate tasks it
        // starts at once, and on an actor the operation begins there, synchronously, without a hop.
        if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
            return await Task.immediate { [isolation] in
                _ = isolation
                return await ScopeChain.storage.withValue(link) {
                    await runCapturingResult(box.value)
                }
            }.value
        }
        return await Task { [isolation] in
            _ = isolation
            return await ScopeChain.storage.withValue(link) {
                await runCapturingResult(box.value)
            }
        }.value
    }
    // Sound: the value was produced by the caller's own operation while the caller waited, and it goes back
    // to the caller, whose isolation the operation had; the error is `Sendable`.
    return outcome.value
}

/// Runs `operation` to completion even if the surrounding task or scope is cancelled, but for at most
/// `timeout`.
///
/// The bound keeps a shield from hanging shutdown forever: when `timeout` has elapsed on `clock`, the
/// shielded operation is cancelled (by the shield's own scope, which nothing outside can affect), and if
/// it ends by that cancellation the shield throws ``TimeoutError``. Otherwise the behaviour is that of
/// ``withCancellationShield(operation:)``, and inside the shield the bound is the
/// ``EffectiveDeadline/current``.
///
/// - Parameters:
///   - timeout: The longest the shielded operation may run.
///   - tolerance: How late the bound may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the bound.
///   - fileID: The file that opens the shield; leave the default.
///   - line: The line that opens the shield; leave the default.
///   - operation: The work that must not be interrupted from outside.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the bound expired and the operation ended by it; otherwise whatever the
///   operation threw.
@discardableResult
nonisolated(nonsending) public func withCancellationShield<Value, C: Clock>(
    timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws -> Value
) async throws -> Value where C.Duration == Duration {
    try await withCancellationShield { () async throws -> Value in
        var bound: CancelScope<C>?
        do {
            return try await withTimeout(timeout, tolerance: tolerance, clock: clock, fileID: fileID, line: line) { scope in
                bound = scope
                return try await operation()
            }
        } catch let error as TimeoutError where bound?.didCatchCancellation == true {
            // The bound's own expiry ended the operation (not a timeout inside it): the work ran out of time.
            CancellationDiagnostics.current.observer?(.shieldExpired(scope: ScopeLocation(fileID: fileID, line: line)))
            throw error
        }
    }
}

/// Runs `operation` to completion even if the surrounding task or scope is cancelled, but for at most
/// `timeout` on the continuous clock.
///
/// See ``withCancellationShield(timeout:tolerance:clock:fileID:line:operation:)``.
///
/// - Parameters:
///   - timeout: The longest the shielded operation may run.
///   - tolerance: How late the bound may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the shield; leave the default.
///   - line: The line that opens the shield; leave the default.
///   - operation: The work that must not be interrupted from outside.
/// - Returns: The operation's value.
/// - Throws: ``TimeoutError`` when the bound expired and the operation ended by it; otherwise whatever the
///   operation threw.
@discardableResult
nonisolated(nonsending) public func withCancellationShield<Value>(
    timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    operation: () async throws -> Value
) async throws -> Value {
    try await withCancellationShield(timeout: timeout, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line, operation: operation)
}
