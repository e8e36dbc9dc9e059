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

    #if canImport(Glibc)
    /// The scope's start on the clock of a shared timer engine, worked out once per scope so that arming a
    /// timer needs no dynamic casts.
    private enum EngineStart {
        case continuous(ContinuousClock.Instant)
        case suspending(SuspendingClock.Instant)
    }

    private let engineStart: EngineStart?
    #endif

    init(clock: C, start: C.Instant) {
        self.clock = clock
        self.start = start
        #if canImport(Glibc)
        if C.self == ContinuousClock.self, let start = start as? ContinuousClock.Instant {
            engineStart = .continuous(start)
        } else if C.self == SuspendingClock.self, let start = start as? SuspendingClock.Instant {
            engineStart = .suspending(start)
        } else {
            engineStart = nil
        }
        #endif
    }

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
        #if canImport(Glibc)
        switch engineStart {
        case .continuous(let start):
            let deadline = start.advanced(by: offset)
            return TimerRegistration(entry: TimerEngine<ContinuousClock>.shared.schedule(at: deadline, tolerance: tolerance, action: action))
        case .suspending(let start):
            let deadline = start.advanced(by: offset)
            return TimerRegistration(entry: TimerEngine<SuspendingClock>.shared.schedule(at: deadline, tolerance: tolerance, action: action))
        case nil:
            break
        }
        #endif
        return DeadlineScheduler.schedule(on: clock, at: instant(at: offset), tolerance: tolerance, action: action)
    }

    func deadlinePoint(at offset: Duration) -> any DeadlinePoint {
        ClockDeadline(clock: clock, instant: instant(at: offset))
    }
}
