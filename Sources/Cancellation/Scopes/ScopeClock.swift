/// What a scope needs from its clock, with times as offsets from the scope's start.
///
/// The scope's machinery is written against this protocol once, instead of being generic over the clock:
/// generic code that is not specialized looks up type metadata for the clock's associated types on every
/// call, which cost several microseconds per scope. The one generic piece is ``ClockAdapter``.
protocol ScopeClock: Sendable {
    /// The time since the scope's start.
    func now() -> Duration
    /// Arms a timer for `offset` after the scope's start.
    func arm(at offset: Duration, tolerance: Duration?, action: @escaping @Sendable (_ fired: Bool) -> Void) -> TimerRegistration
    /// The deadline `offset` after the scope's start, for ``EffectiveDeadline``.
    func deadlinePoint(at offset: Duration) -> any DeadlinePoint
}

/// A clock and the instant a scope started on it.
struct ClockAdapter<C: Clock>: ScopeClock where C.Duration == Duration {
    let clock: C
    let start: C.Instant

    func now() -> Duration {
        start.duration(to: clock.now)
    }

    func instant(at offset: Duration) -> C.Instant {
        start.advanced(by: offset)
    }

    func offset(of instant: C.Instant) -> Duration {
        start.duration(to: instant)
    }

    func arm(at offset: Duration, tolerance: Duration?, action: @escaping @Sendable (Bool) -> Void) -> TimerRegistration {
        DeadlineScheduler.schedule(on: clock, at: instant(at: offset), tolerance: tolerance, action: action)
    }

    func deadlinePoint(at offset: Duration) -> any DeadlinePoint {
        ClockDeadline(clock: clock, instant: instant(at: offset))
    }
}
