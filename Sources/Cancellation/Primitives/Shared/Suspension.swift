/// Suspends the current task as a waiter of a primitive, with a cancellation handler installed first.
///
/// `register` runs with the fresh continuation and must, under the primitive's lock, either queue it or
/// resume it (after unlocking). `cancel` runs when the task is cancelled — possibly before `register` — and
/// must resume the continuation with `CancellationError` only if it is still queued.
@inline(__always)
func suspendAsWaiter<Value: Sendable>(
    isolation: isolated (any Actor)?,
    register: (CheckedContinuation<Value, any Error>) -> Void,
    cancel: @escaping @Sendable () -> Void
) async throws -> Value {
    try await withTaskCancellationHandler(
        operation: {
            try await withCheckedThrowingContinuation(isolation: isolation) { continuation in
                register(continuation)
            }
        },
        onCancel: cancel,
        isolation: isolation
    )
}
