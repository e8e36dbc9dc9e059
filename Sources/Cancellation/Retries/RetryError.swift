/// Thrown by ``withRetries(_:isRetryable:fileID:line:operation:)`` and
/// ``withHedging(_:isRetryable:fileID:line:operation:)`` when they give up: how many attempts ran, why no
/// more were made, and the last attempt's error.
///
/// The caller's own cancellation — its task cancelled, or an enclosing scope's deadline passed — is never
/// reported as this error: it is rethrown as it came (a `CancellationError`, which the enclosing scope turns
/// into its ``TimeoutError``).
public struct RetryError: Error, CustomStringConvertible {
    /// Why no further attempt was made.
    public enum Reason: Sendable, Hashable {
        /// Every attempt the policy allows was made.
        case attemptsExhausted
        /// The shared ``RetryBudget`` had no token for another attempt.
        case budgetExhausted
        /// Too little time remained before the effective deadline for another attempt to finish.
        case deadline
        /// The last error is not one to retry, as the `isRetryable` predicate decided.
        case notRetryable
    }

    /// How many attempts were started.
    public let attempts: Int
    /// Why no further attempt was made.
    public let reason: Reason
    /// The error of the last attempt that ended.
    public let lastError: any Error
    /// Where the retries were started.
    public let location: ScopeLocation

    /// Creates the error.
    ///
    /// - Parameters:
    ///   - attempts: How many attempts were started.
    ///   - reason: Why no further attempt was made.
    ///   - lastError: The error of the last attempt that ended.
    ///   - location: Where the retries were started.
    public init(attempts: Int, reason: Reason, lastError: any Error, location: ScopeLocation) {
        self.attempts = attempts
        self.reason = reason
        self.lastError = lastError
        self.location = location
    }

    /// For example `gave up after 3 attempts (every attempt allowed was made) at App/Client.swift:12: …`.
    public var description: String {
        let why: String
        switch reason {
        case .attemptsExhausted: why = "every attempt allowed was made"
        case .budgetExhausted: why = "the retry budget is spent"
        case .deadline: why = "too little time left before the deadline"
        case .notRetryable: why = "the error is not retryable"
        }
        let noun = attempts == 1 ? "attempt" : "attempts"
        return "gave up after \(attempts) \(noun) (\(why)) at \(location): \(lastError)"
    }
}
