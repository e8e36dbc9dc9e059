/// The error a timeout throws when its own deadline expired and its operation ended by cancellation.
///
/// `TimeoutError` is deliberately not a `CancellationError`: a caller that catches it knows that *this*
/// scope's deadline ran out, not that the caller itself was cancelled. When the calling task is cancelled,
/// timeouts throw `CancellationError` instead, even if the deadline expired at the same instant, so a
/// caller's cancellation is never reported as a timeout.
///
/// Only the scope whose deadline expired throws `TimeoutError`; scopes nested inside it see plain
/// cancellation and pass it through, and scopes around it carry on.
public struct TimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// How long the operation was allowed to run: from entering the scope to the deadline that expired.
    ///
    /// For a relative timeout this is the duration that was asked for; for an absolute deadline, or a
    /// deadline that was moved while the scope ran, it is the span from the scope's start to the deadline
    /// in force when it expired.
    public var timeout: Duration
    /// Where the scope whose deadline expired was opened.
    public var location: ScopeLocation

    /// Creates a timeout error.
    ///
    /// - Parameters:
    ///   - timeout: How long the operation was allowed to run.
    ///   - location: Where the expired scope was opened.
    public init(timeout: Duration, location: ScopeLocation) {
        self.timeout = timeout
        self.location = location
    }

    /// For example `timed out after 2 seconds (scope at App/Fetch.swift:42)`.
    public var description: String {
        "timed out after \(timeout.humanReadable) (scope at \(location))"
    }
}

/// The error a throwing timeout scope throws when it was cancelled explicitly with
/// ``CancelScope/cancel(reason:)`` and its operation ended by that cancellation.
///
/// A scope opened with ``withCancelScope(deadline:tolerance:clock:fileID:line:operation:)->Value?``
/// returns `nil` in this case instead of throwing; scopes opened with `withTimeout` throw this error, so
/// that an explicit cancellation is never mistaken for a timeout or for the caller's own cancellation.
public struct ScopeCancelledError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason given to ``CancelScope/cancel(reason:)``.
    public var reason: String
    /// Where the cancelled scope was opened.
    public var location: ScopeLocation

    /// Creates the error.
    ///
    /// - Parameters:
    ///   - reason: The reason the scope was cancelled.
    ///   - location: Where the scope was opened.
    public init(reason: String, location: ScopeLocation) {
        self.reason = reason
        self.location = location
    }

    /// For example `scope at App/Fetch.swift:42 was cancelled: client went away`.
    public var description: String {
        "scope at \(location) was cancelled: \(reason)"
    }
}
