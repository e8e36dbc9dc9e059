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

extension ScopeCore {
    /// The value of a completed outcome, or the error that stands for the scope's own cancellation.
    @inlinable
    func value<Value>(of outcome: sending Outcome<Value>) throws -> sending Value {
        switch consume outcome {
        case .completed(let value):
            return value
        case .cancelledByScope(let error):
            throw error
        }
    }

    /// The error that reports the scope's own cancellation to a caller of a throwing scope.
    func error(for cancellation: CancelScopeStateMachine.Cancellation) -> any Error {
        switch cancellation.reason {
        case .deadlineExpired:
            // Offsets are measured from the scope's start, so the deadline's offset is the time allowed.
            let deadline = cancellation.deadline ?? cancellation.at
            return TimeoutError(timeout: max(.zero, deadline), location: location)
        case .cancelled(let reason, _):
            return ScopeCancelledError(reason: reason, location: location)
        case .taskCancelled:
            // A scope's own cancellation is never `.taskCancelled`; keep the cancellation visible anyway.
            return CancellationError()
        }
    }
}

extension ScopeCore {
    /// Runs the scope and turns its own cancellation into an error.
    @inlinable
    func runThrowing<Value>(
        isolation: isolated (any Actor)?,
        operation: () async throws -> sending Value
    ) async throws -> sending Value {
        try value(of: try await run(isolation: isolation, operation: operation))
    }

    /// Runs the scope and turns its own cancellation into `nil`.
    @inlinable
    func runMovingOn<Value>(
        isolation: isolated (any Actor)?,
        operation: () async throws -> sending Value
    ) async throws -> sending Value? {
        switch try await run(isolation: isolation, operation: operation) {
        case .completed(let value):
            return .some(value)
        case .cancelledByScope:
            return nil
        }
    }
}
