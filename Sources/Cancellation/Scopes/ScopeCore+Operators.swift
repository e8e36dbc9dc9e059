// The seam through which the operators built on scopes — stream timeouts and deadlines, gather — use a
// scope: they make one, run a block under it, and learn how the block ended. They use nothing else of a
// scope's machinery.

extension ScopeCore {
    /// How a block run under a scope ended, as an operator built on scopes sees it.
    @usableFromInline
    enum OperatorOutcome<Value> {
        /// The block returned `value`. `scopeCancellation` is the error the scope stands for when the scope's
        /// own cancellation happened while the block ran — the value won the race against it — and `nil`
        /// when the scope was not cancelled.
        case returned(Value, scopeCancellation: (any Error)?)
        /// The block ended by the scope's own cancellation; the error is what the scope throws for it
        /// (``TimeoutError`` or ``ScopeCancelledError``).
        case cancelledByScope(any Error)
    }

    /// Runs `operation` under this scope in a child task on the caller's isolation, and reports how it ended.
    ///
    /// The rules are those of every scope: a value returned after the scope's own cancellation is returned,
    /// never dropped; an error of the block's own is thrown as it is; the caller's own cancellation is never
    /// reported as the scope's.
    ///
    /// - Parameters:
    ///   - isolation: The caller's actor; the block runs there.
    ///   - operation: The block.
    /// - Returns: The block's value, with the scope's cancellation if it happened meanwhile, or the error that
    ///   stands for the scope's cancellation when that ended the block.
    /// - Throws: The block's own error, or `CancellationError` when the caller was cancelled and the block
    ///   ended by cancellation.
    @inlinable
    func runForOperator<Value>(
        isolation: isolated (any Actor)?,
        operation: () async throws -> Value
    ) async throws -> OperatorOutcome<Value> {
        switch try await run(isolation: isolation, operation: operation) {
        case .completed(let value):
            return .returned(value, scopeCancellation: cancellationError())
        case .cancelledByScope(let error):
            return .cancelledByScope(error)
        }
    }

    /// The error that stands for the scope's own cancellation, if it happened.
    @usableFromInline
    func cancellationError() -> (any Error)? {
        withState { $0.cancellation }.map(error(for:))
    }
}
