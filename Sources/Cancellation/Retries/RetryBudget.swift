/// A budget of retries shared by the callers that hold it, so that a failing dependency is not hit by a storm
/// of retries: retries never exceed a fixed share of the calls made, plus a small reserve.
///
/// It is a token bucket. Every call deposits ``ratio`` tokens (up to ``reserve`` in all), every retry or
/// hedged attempt takes one whole token, and none is made without one. Over any stretch of calls, retries
/// therefore number at most `ratio × calls + reserve` — the shape of Finagle's retry budget. (gRPC's retry
/// throttling is the same idea driven by failures: failures take a token, successes return a fraction.)
///
/// Share one budget per dependency: pass the same instance in the ``RetryPolicy`` or ``HedgingPolicy`` of
/// every call site that talks to it.
public final class RetryBudget: Sendable {
    /// The tokens each call deposits; between 0 and 1.
    public let ratio: Double
    /// The most tokens the budget holds, and what it starts with; a burst of retries after a quiet spell
    /// can use them all.
    public let reserve: Double
    private let balance: LockedValue<Double>

    /// Creates a budget.
    ///
    /// - Parameters:
    ///   - ratio: The share of calls that may be retried, between 0 and 1 (0.1: one retry per ten calls).
    ///     Values outside that range, or not a number, count as the nearest end (not a number counts as 0).
    ///   - reserve: The tokens the budget starts with and can hold at most; negative counts as zero.
    public init(ratio: Double = 0.1, reserve: Int = 10) {
        self.ratio = ratio.isNaN ? 0 : min(1, max(0, ratio))
        self.reserve = Double(max(0, reserve))
        balance = LockedValue(Double(max(0, reserve)))
    }

    /// The tokens available now.
    public var tokens: Double {
        balance.withLock { $0 }
    }

    /// Records a call (its first attempt): deposits ``ratio`` tokens, up to ``reserve`` — or up to one
    /// token when the reserve is below one, so that a budget without reserve can still earn retries.
    public func recordCall() {
        let cap = max(reserve, 1)
        balance.withLock { $0 = min(cap, $0 + ratio) }
    }

    /// Takes one token for a retry or a hedged attempt, if one is available.
    ///
    /// - Returns: Whether the retry may be made.
    public func acquireRetry() -> Bool {
        balance.withLock { tokens in
            // A small tolerance, so that ten deposits of 0.1 make one whole token.
            guard tokens >= 1 - 1e-9 else { return false }
            tokens = max(0, tokens - 1)
            return true
        }
    }
}
