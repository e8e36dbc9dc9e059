/// Carries a value across a concurrency boundary that the compiler's region analysis cannot follow.
///
/// Every use of this type in the module states, at the use site, why the hand-over is sound. The pattern
/// is always the same: a value (a non-`Sendable` closure or a `sending` result) moves from one task to
/// another while the first task is suspended waiting for the second, so the two never touch it at the
/// same time, and the hand-over is ordered by the task group's or task's own synchronisation
/// (`addTask` happens before the child starts; the child's completion happens before `next()` returns).
///
/// - Warning: This type is an escape hatch from the concurrency checker. Do not use it for values that two
///   tasks can reach at the same time.
@usableFromInline
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    // Sound only under the hand-over discipline described above; see each use site.
    @usableFromInline
    var value: Value

    @inlinable
    init(value: consuming Value) {
        self.value = value
    }
}

/// Runs `operation` and captures its typed outcome, so it can leave an unstructured task.
///
/// Runs on its caller's isolation (`nonisolated(nonsending)`): the task that calls it is isolated to the
/// operation's actor.
///
/// - Parameter operation: The caller's operation.
/// - Returns: The operation's result or error, boxed.
nonisolated(nonsending) func runCapturingResult<Value>(
    _ operation: () async throws -> Value
) async -> UncheckedSendableBox<Result<Value, any Error>> {
    // Sound: the result goes back to the task that waits for this one (see ``UncheckedSendableBox``), and
    // the error is `Sendable`.
    do {
        return UncheckedSendableBox(value: .success(try await operation()))
    } catch {
        return UncheckedSendableBox(value: .failure(error))
    }
}
