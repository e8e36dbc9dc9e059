/// How ``withRetries(_:isRetryable:fileID:line:operation:)`` tries an operation again: how many attempts,
/// how long to back off between them, how much time an attempt needs, and the budget retries draw from.
///
/// The backoff before retry *n* is drawn from `0 ... min(maxBackoff, initialBackoff × multiplierⁿ⁻¹)`
/// ("full jitter"), which spreads the retries of many callers that failed together instead of sending them
/// back in waves; ``Jitter-swift.enum/none`` uses the upper bound itself.
///
/// Values out of range are not errors: they are brought into range when the policy is made — fewer than
/// one attempt means one, a negative duration means zero, a multiplier below 1 (or not a number) means 1, a
/// maximum below the initial backoff means the initial backoff.
public struct RetryPolicy: Sendable {
    /// How the backoff is drawn below its ceiling.
    public enum Jitter: Sendable, Hashable {
        /// No jitter: the backoff is the ceiling itself.
        case none
        /// Full jitter: uniformly random between zero and the ceiling, from the system's generator.
        case full
        /// Full jitter from a generator seeded with the given value, so that a run can be reproduced (a
        /// test, a simulation). Each call of the scoped function starts the generator anew.
        case fullSeeded(UInt64)
    }

    /// The most attempts in all, the first included; at least 1.
    public var maxAttempts: Int {
        didSet { maxAttempts = max(1, maxAttempts) }
    }
    /// The ceiling of the backoff before the first retry; zero or more.
    public var initialBackoff: Duration {
        didSet { initialBackoff = max(.zero, initialBackoff) }
    }
    /// The largest ceiling any backoff reaches; at least ``initialBackoff``.
    public var maxBackoff: Duration {
        didSet { maxBackoff = max(initialBackoff, maxBackoff) }
    }
    /// How much the ceiling grows from one retry to the next; at least 1.
    public var multiplier: Double {
        didSet { multiplier = Self.validMultiplier(multiplier) }
    }
    /// How the backoff is drawn below its ceiling.
    public var jitter: Jitter
    /// The least time an attempt needs. A retry is not started — and its backoff not slept — when less
    /// than its backoff plus this remains until the effective deadline, nor less than the mean duration
    /// of the attempts made so far in the call, whichever is longer.
    public var minimumAttemptDuration: Duration {
        didSet { minimumAttemptDuration = max(.zero, minimumAttemptDuration) }
    }
    /// The budget every retry draws one token from, shared by the callers that hold it; `nil` for none.
    public var budget: RetryBudget?

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: The most attempts in all, the first included. Fewer than 1 counts as 1.
    ///   - initialBackoff: The ceiling of the backoff before the first retry. Negative counts as zero.
    ///   - maxBackoff: The largest ceiling any backoff reaches. Below `initialBackoff` counts as it.
    ///   - multiplier: How much the ceiling grows per retry. Below 1, or not a number, counts as 1.
    ///   - jitter: How the backoff is drawn below its ceiling.
    ///   - minimumAttemptDuration: The least time an attempt needs before the effective deadline.
    ///   - budget: The shared budget retries draw from, or `nil`.
    public init(
        maxAttempts: Int = 3,
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(10),
        multiplier: Double = 2,
        jitter: Jitter = .full,
        minimumAttemptDuration: Duration = .zero,
        budget: RetryBudget? = nil
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = max(.zero, initialBackoff)
        self.maxBackoff = max(max(.zero, initialBackoff), maxBackoff)
        self.multiplier = Self.validMultiplier(multiplier)
        self.jitter = jitter
        self.minimumAttemptDuration = max(.zero, minimumAttemptDuration)
        self.budget = budget
    }

    /// The ceiling of the backoff before retry `retry` (1 for the first retry): `initialBackoff ×
    /// multiplier^(retry − 1)`, at most ``maxBackoff``.
    ///
    /// - Parameter retry: The retry's number, from 1; smaller values count as 1.
    /// - Returns: The ceiling, between ``initialBackoff`` and ``maxBackoff``.
    public func backoffCeiling(beforeRetry retry: Int) -> Duration {
        let cap = max(initialBackoff, maxBackoff)
        var ceiling = initialBackoff.seconds
        for _ in 1..<max(1, retry) {
            ceiling *= multiplier
            if ceiling >= cap.seconds { return cap }  // also ends the loop for a huge `retry`
        }
        return ceiling >= cap.seconds ? cap : max(initialBackoff, .seconds(ceiling))
    }

    private static func validMultiplier(_ value: Double) -> Double {
        value.isNaN ? 1 : max(1, min(value, 1e6))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The random draws of one call's jitter.
struct JitterSource {
    private var seeded: SeededGenerator?
    private let jitter: RetryPolicy.Jitter

    init(_ jitter: RetryPolicy.Jitter) {
        self.jitter = jitter
        if case .fullSeeded(let seed) = jitter { seeded = SeededGenerator(seed: seed) }
    }

    /// A backoff at most `ceiling`, drawn as the policy's jitter says.
    mutating func backoff(below ceiling: Duration) -> Duration {
        let fraction: Double
        switch jitter {
        case .none:
            return ceiling
        case .full:
            var generator = SystemRandomNumberGenerator()
            fraction = Double.random(in: 0...1, using: &generator)
        case .fullSeeded:
            fraction = Double.random(in: 0...1, using: &seeded!)
        }
        return .seconds(ceiling.seconds * fraction)
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), for reproducible jitter.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
