extension CancelScope {
    /// Runs the scope and turns its own cancellation into an error: ``TimeoutError`` for an expired
    /// deadline, ``ScopeCancelledError`` for an explicit ``cancel(reason:)``.
    @inlinable
    func runThrowing<Value>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws -> sending Value
    ) async throws -> sending Value {
        try await core.runThrowing(isolation: isolation) { try await operation(self) }
    }

    /// Runs the scope and turns its own cancellation into `nil`.
    @inlinable
    func runMovingOn<Value>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws -> sending Value
    ) async throws -> sending Value? {
        try await core.runMovingOn(isolation: isolation) { try await operation(self) }
    }
}
