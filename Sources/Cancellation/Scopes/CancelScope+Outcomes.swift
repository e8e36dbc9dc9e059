extension CancelScope {
    /// Runs the scope and turns its own cancellation into an error: ``TimeoutError`` for an expired
    /// deadline, ``ScopeCancelledError`` for an explicit ``cancel(reason:)``.
    func runThrowing<Value>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws -> sending Value
    ) async throws -> sending Value {
        switch try await run(isolation: isolation, operation: operation) {
        case .completed(let value):
            return value
        case .cancelledByScope(let cancellation):
            switch cancellation.reason {
            case .deadlineExpired:
                let deadline = cancellation.deadline ?? cancellation.at
                throw TimeoutError(timeout: max(.zero, start.duration(to: deadline)), location: location)
            case .cancelled(let reason, _):
                throw ScopeCancelledError(reason: reason, location: location)
            case .taskCancelled:
                // A scope's own cancellation is never `.taskCancelled`; keep the cancellation visible anyway.
                throw CancellationError()
            }
        }
    }

    /// Runs the scope and turns its own cancellation into `nil`.
    func runMovingOn<Value>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws -> sending Value
    ) async throws -> sending Value? {
        switch try await run(isolation: isolation, operation: operation) {
        case .completed(let value):
            return .some(value)
        case .cancelledByScope:
            return nil
        }
    }
}
