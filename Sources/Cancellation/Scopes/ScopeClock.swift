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
    /// Arms `scope`'s deadline timer for `offset` after the scope's start, tagged with `token`.
    ///
    /// On a clock with an engine the scope is its own timer entry: it is inserted, or moved in place when
    /// it is pending already, and this returns `nil`. Otherwise this returns a new timer, which replaces
    /// the scope's previous one.
    func armDeadline(of scope: ScopeCore, at offset: Duration, tolerance: Duration?, token: UInt64) -> TimerRegistration?
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

    func armDeadline(of scope: ScopeCore, at offset: Duration, tolerance: Duration?, token: UInt64) -> TimerRegistration? {
        arm(at: offset, tolerance: tolerance) { fired in
            if fired { scope.fire(token: token) }
        }
    }

    func deadlinePoint(at offset: Duration) -> any DeadlinePoint {
        ClockDeadline(clock: clock, instant: instant(at: offset))
    }
}

#if canImport(Glibc)
/// A scope's clock that has no engine, in a box (see ``ScopeCore``'s `otherClock`).
final class ScopeClockBox: Sendable {
    let clock: any ScopeClock

    init(_ clock: any ScopeClock) {
        self.clock = clock
    }
}

/// A scope on the continuous or suspending clock, served by that clock's shared ``TimerEngine``: not
/// generic, so everything a scope does per call is specialised code.
struct EngineClockAdapter: ScopeClock {
    let engine: TimerEngine
    /// The scope's start as an offset on the engine.
    let startOffset: Duration

    /// The adapter for a scope on `clock` that started at `start`, if that clock has an engine.
    static func make<C: Clock>(clock: C, start: C.Instant) -> EngineClockAdapter? where C.Duration == Duration {
        if C.self == ContinuousClock.self, case .continuous(let reference) = TimerEngine.continuous.reference {
            // Sound: `C` is `ContinuousClock`, so `C.Instant` is `ContinuousClock.Instant`.
            let start = unsafeBitCast(start, to: ContinuousClock.Instant.self)
            return EngineClockAdapter(engine: .continuous, startOffset: reference.duration(to: start))
        }
        if C.self == SuspendingClock.self, case .suspending(let reference) = TimerEngine.suspending.reference {
            // Sound: `C` is `SuspendingClock`, so `C.Instant` is `SuspendingClock.Instant`.
            let start = unsafeBitCast(start, to: SuspendingClock.Instant.self)
            return EngineClockAdapter(engine: .suspending, startOffset: reference.duration(to: start))
        }
        return nil
    }

    func now() -> Duration {
        engine.now().subtracting(startOffset)
    }

    func arm(at offset: Duration, tolerance: Duration?, action: @escaping @Sendable (Bool) -> Void) -> TimerRegistration {
        TimerRegistration(entry: engine.schedule(atOffset: startOffset + offset, tolerance: tolerance) { _ in action(true) })
    }

    func armDeadline(of scope: ScopeCore, at offset: Duration, tolerance: Duration?, token: UInt64) -> TimerRegistration? {
        engine.arm(scope, atOffset: startOffset.adding(offset), tolerance: tolerance, token: token)
        return nil
    }


    func deadlinePoint(at offset: Duration) -> any DeadlinePoint {
        switch engine.reference {
        case .continuous(let reference):
            return ClockDeadline(clock: ContinuousClock(), instant: reference.advanced(by: startOffset + offset))
        case .suspending(let reference):
            return ClockDeadline(clock: SuspendingClock(), instant: reference.advanced(by: startOffset + offset))
        }
    }
}
#endif
