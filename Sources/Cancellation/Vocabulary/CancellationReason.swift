/// Why the current task was cancelled.
///
/// Read ``current`` from inside a cancelled task to learn which scope's deadline expired, which scope was
/// cancelled explicitly and why, or whether the cancellation came from outside every scope the task is in
/// (`Task.cancel()` on an enclosing task, a task group cancelling its children, and so on).
///
/// When several causes reach the same task, the reason is the one that happened first.
///
/// - Note: The order is decided scope by scope, without any cost while nothing is cancelled: a scope's own
///   cancellation comes first when it reached the scope's operation before the cancellation of the task
///   that opened the scope did. A cancellation from between two scopes that is not a scope's — a task
///   group cancelling its other children, say — therefore reads as `.taskCancelled` until the outer scope
///   is cancelled too, and as the outer scope's reason after that.
///
/// ```swift
/// do {
///     try await fetch()
/// } catch is CancellationError {
///     logger.info("fetch stopped: \(CancellationReason.current?.description ?? "not cancelled")")
///     throw CancellationError()
/// }
/// ```
public enum CancellationReason: Sendable, Hashable, CustomStringConvertible {
    /// The deadline of the scope opened at `scope` expired.
    case deadlineExpired(scope: ScopeLocation)
    /// The scope opened at `scope` was cancelled with ``CancelScope/cancel(reason:)``.
    case cancelled(reason: String, scope: ScopeLocation)
    /// The task was cancelled from outside every cancel scope it is in.
    case taskCancelled

    /// For example `deadline of the scope at App/Fetch.swift:42 expired`.
    public var description: String {
        switch self {
        case .deadlineExpired(let scope):
            return "deadline of the scope at \(scope) expired"
        case .cancelled(let reason, let scope):
            return "scope at \(scope) was cancelled: \(reason)"
        case .taskCancelled:
            return "task was cancelled from outside every cancel scope"
        }
    }
}
