import Cancellation

/// The time budget a client passes on to the server it calls.
public enum OutgoingTimeout {
    /// The timeout to send with an outgoing request: the shorter of the call's own timeout and the time
    /// left until the current task's effective deadline (`EffectiveDeadline.current`).
    ///
    /// Call it right before sending, so the time already spent is not sent on. A caller deep inside a
    /// server handler that runs under the request's deadline passes what is left of it to the next hop
    /// without any plumbing.
    ///
    /// - Parameter configured: The timeout configured for this call, or `nil` for none. Negative values
    ///   count as zero.
    /// - Returns: The budget to send, `.zero` or more; `nil` when neither the call nor any enclosing
    ///   scope has a deadline. `.zero` means the deadline has already passed: do not send the request.
    public static func current(configured: Duration? = nil) -> Duration? {
        let configured = configured.map { max($0, .zero) }
        guard let inherited = EffectiveDeadline.current?.remaining else { return configured }
        guard let configured else { return inherited }
        return min(configured, inherited)
    }
}
