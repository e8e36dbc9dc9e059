/// How a server turns the timeout a client asked for into the deadline it enforces.
///
/// A request's deadline is the client's timeout when it sent a valid one, otherwise ``defaultTimeout``;
/// either way it is never longer than ``maximumTimeout``. The client can shorten its request's deadline
/// but can never lengthen it past the server's maximum, and a malformed header counts as no header.
///
/// ```swift
/// let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(10), maximumTimeout: .seconds(30))
/// policy.timeout(requested: .milliseconds(200))  // 200 ms
/// policy.timeout(requested: .seconds(3_600))      // 30 s: capped
/// policy.timeout(requested: nil)                  // 10 s: the default
/// ```
public struct ServerDeadlinePolicy: Sendable, Hashable, CustomStringConvertible {
    /// The timeout of a request that carries no valid timeout header, or `nil` to give such a request no
    /// deadline (unless ``maximumTimeout`` sets one).
    public var defaultTimeout: Duration?

    /// The longest deadline the server grants any request, or `nil` for no limit.
    public var maximumTimeout: Duration?

    /// Creates a policy.
    ///
    /// Negative durations are treated as zero: a zero default or maximum means every request's deadline has
    /// already passed when it arrives, which a server can use to shed load.
    ///
    /// - Parameters:
    ///   - defaultTimeout: The timeout of a request without a valid timeout header; `nil` for none.
    ///   - maximumTimeout: The longest deadline granted to any request; `nil` for no limit.
    public init(defaultTimeout: Duration? = nil, maximumTimeout: Duration? = nil) {
        self.defaultTimeout = defaultTimeout.map { max($0, .zero) }
        self.maximumTimeout = maximumTimeout.map { max($0, .zero) }
    }

    /// The timeout to enforce for a request whose client asked for `requested`.
    ///
    /// - Parameter requested: The client's timeout, or `nil` when the request carried none or only
    ///   malformed values.
    /// - Returns: `min(requested ?? defaultTimeout, maximumTimeout)`, never negative; `nil` when the request
    ///   gets no deadline.
    public func timeout(requested: Duration?) -> Duration? {
        let wanted = requested.map { max($0, .zero) } ?? defaultTimeout
        switch (wanted, maximumTimeout) {
        case let (wanted?, maximum?): return min(wanted, maximum)
        case let (wanted?, nil): return wanted
        case let (nil, maximum?): return maximum
        case (nil, nil): return nil
        }
    }

    /// For example `default 10 seconds, maximum 30 seconds`.
    public var description: String {
        let defaultPart = defaultTimeout.map { "default \($0)" } ?? "no default"
        let maximumPart = maximumTimeout.map { "maximum \($0)" } ?? "no maximum"
        return "\(defaultPart), \(maximumPart)"
    }
}
