/// The continuation a primitive's waiter suspends on.
///
/// Debug builds use `CheckedContinuation`, which traps on a double resume and reports a leaked one, so the
/// tests check the primitives' exactly-once bookkeeping. Release builds use `UnsafeContinuation`, which
/// saves an allocation per suspension: the state machines resume every waiter exactly once (each token is
/// removed from the machine under its lock before it is resumed, and a removed token is never handed out
/// again), so the checks have nothing left to catch.
#if DEBUG
typealias WaiterContinuation<Value: Sendable> = CheckedContinuation<Value, any Error>
#else
typealias WaiterContinuation<Value: Sendable> = UnsafeContinuation<Value, any Error>
#endif

/// Suspends the current task as a waiter of a primitive, with a cancellation handler installed first.
///
/// `register` runs with the fresh continuation and must, under the primitive's lock, either queue it or
/// resume it (after unlocking). `cancel` runs when the task is cancelled — possibly before `register` — and
/// must resume the continuation with `CancellationError` only if it is still queued.
@inline(__always)
func suspendAsWaiter<Value: Sendable>(
    isolation: isolated (any Actor)?,
    register: (WaiterContinuation<Value>) -> Void,
    cancel: @escaping @Sendable () -> Void
) async throws -> Value {
    try await withTaskCancellationHandler(
        operation: {
            try await suspendOnce(isolation: isolation, register: register)
        },
        onCancel: cancel,
        isolation: isolation
    )
}

/// Suspends once on a fresh ``WaiterContinuation``, which `register` queues or resumes. For waiters that
/// suspend more than once inside one cancellation handler.
@inline(__always)
func suspendOnce<Value: Sendable>(
    isolation: isolated (any Actor)?,
    register: (WaiterContinuation<Value>) -> Void
) async throws -> Value {
    #if DEBUG
    try await withCheckedThrowingContinuation(isolation: isolation) { continuation in
        register(continuation)
    }
    #else
    try await withUnsafeThrowingContinuation(isolation: isolation) { continuation in
        register(continuation)
    }
    #endif
}
