/// A deadline measured on some clock, erased so scopes on different clocks can be compared (a timer engine
/// provides them: ``EngineDeadline``).
@usableFromInline
protocol DeadlinePoint: Sendable {
    /// The time left until the deadline, negative when it has passed.
    func remaining() -> Duration
    /// The deadline as an instant of `clock`: exact when it was set on a clock of that type, otherwise
    /// `clock.now` advanced by the time remaining.
    func instant<Other: Clock>(in clock: Other) -> Other.Instant where Other.Duration == Duration
}

/// The deadline that applies to the current task: the earliest deadline of all the cancel scopes and
/// timeouts it runs in.
///
/// Read ``current`` from any code, however deep, to learn how much time the caller's caller left you, and
/// pass the ``remaining`` budget on — to a server in a request header, to a database driver as a statement
/// timeout, or to your own nested timeouts.
///
/// ```swift
/// if let deadline = EffectiveDeadline.current {
///     request.headers["grpc-timeout"] = encode(deadline.remaining)
/// }
/// ```
///
/// The value is a snapshot of the deadline in force when it was read: moving a scope's deadline later
/// does not change a value read earlier. Deadlines outside a ``withCancellationShield(operation:)``
/// do not apply inside it.
public struct EffectiveDeadline: Sendable, CustomStringConvertible {
    let point: any DeadlinePoint

    init(point: any DeadlinePoint, location: ScopeLocation) {
        self.point = point
        self.location = location
    }

    /// The scope whose deadline this is.
    public let location: ScopeLocation

    /// The time left until the deadline, measured now on the deadline's clock; `.zero` once it has passed.
    public var remaining: Duration {
        max(.zero, point.remaining())
    }

    /// Whether the deadline has passed.
    public var hasExpired: Bool {
        point.remaining() <= .zero
    }

    /// The deadline as an instant of `clock`.
    ///
    /// When the deadline was set on a clock of the same type the instant is exact; otherwise it is
    /// `clock.now` advanced by the time remaining.
    ///
    /// - Parameter clock: The clock to express the deadline on.
    /// - Returns: The deadline on that clock.
    public func instant<C: Clock>(in clock: C) -> C.Instant where C.Duration == Duration {
        point.instant(in: clock)
    }

    /// For example `2.5 seconds left (scope at App/Handler.swift:12)`.
    public var description: String {
        let left = point.remaining()
        if left <= .zero {
            return "expired (scope at \(location))"
        }
        return "\(left.humanReadable) left (scope at \(location))"
    }
}
