extension CancelScope {
    /// Runs the scope and turns its own cancellation into an error: ``TimeoutError`` for an expired
    /// deadline, ``ScopeCancelledError`` for an explicit ``cancel(reason:)``.
    @inlinable
    func runThrowing<Value>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws -> Value
    ) async throws -> Value {
        try await core.runThrowing(isolation: isolation) { try await operation(self) }
    }

    /// Runs the scope and turns its own cancellation into `nil`.
    ///
    /// - Throws: Only what the operation threw.
    @inlinable
    func runMovingOn<Value, Failure: Error>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws(Failure) -> Value
    ) async throws(Failure) -> Value? {
        try await core.runMovingOn(isolation: isolation) { () async throws(Failure) -> Value in try await operation(self) }
    }
}
