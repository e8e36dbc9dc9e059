// Creating the machinery of a scope that starts at once and that no caller gets a handle on — the scopes of
// `withTimeout` and `withTimeoutOrNil` without a `CancelScope` argument.
//
// These run on every call, so the two standard clocks take paths that are not generic at all: a scope on
// them is one `ScopeCore` on the clock's shared engine, created from one clock reading, with no
// `CancelScope` object and no generic code whose type metadata would be looked up at run time.

extension ScopeCore {
    /// A scope that starts now on `clock`, with its deadline `timeout` from now.
    ///
    /// - Parameters:
    ///   - clock: The scope's clock.
    ///   - timeout: The time until the deadline; zero or negative starts the scope cancelled, and about
    ///     136 years or more means no deadline.
    ///   - tolerance: How late the deadline may be enforced.
    ///   - location: Where the scope was opened.
    @inlinable
    static func startingNow<C: Clock>(
        on clock: C,
        timeout: Duration,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore where C.Duration == Duration {
        if C.self == ContinuousClock.self {
            return startingNowOnContinuousClock(timeout: timeout, tolerance: tolerance, location: location)
        }
        if C.self == SuspendingClock.self {
            return startingNowOnSuspendingClock(timeout: timeout, tolerance: tolerance, location: location)
        }
        return CancelScope(clock: clock, timeout: timeout, tolerance: tolerance, location: location).core
    }

    /// A scope that starts now on `clock`, with its deadline at `deadline`.
    ///
    /// - Parameters:
    ///   - clock: The scope's clock.
    ///   - deadline: The scope's deadline; one in the past starts the scope cancelled.
    ///   - tolerance: How late the deadline may be enforced.
    ///   - location: Where the scope was opened.
    @inlinable
    static func startingNow<C: Clock>(
        on clock: C,
        deadline: C.Instant,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore where C.Duration == Duration {
        if C.self == ContinuousClock.self {
            // Sound: `C` is `ContinuousClock`, so `C.Instant` is `ContinuousClock.Instant`.
            let deadline = unsafeBitCast(deadline, to: ContinuousClock.Instant.self)
            return startingNowOnContinuousClock(deadline: deadline, tolerance: tolerance, location: location)
        }
        if C.self == SuspendingClock.self {
            // Sound: `C` is `SuspendingClock`, so `C.Instant` is `SuspendingClock.Instant`.
            let deadline = unsafeBitCast(deadline, to: SuspendingClock.Instant.self)
            return startingNowOnSuspendingClock(deadline: deadline, tolerance: tolerance, location: location)
        }
        return CancelScope(clock: clock, deadline: deadline, tolerance: tolerance, location: location).core
    }

    @usableFromInline
    static func startingNowOnContinuousClock(timeout: Duration, tolerance: Duration?, location: ScopeLocation) -> ScopeCore {
        #if canImport(Glibc)
        return startingNow(onEngine: .continuous, timeout: timeout, tolerance: tolerance, location: location)
        #else
        return CancelScope(clock: ContinuousClock(), timeout: timeout, tolerance: tolerance, location: location).core
        #endif
    }

    @usableFromInline
    static func startingNowOnSuspendingClock(timeout: Duration, tolerance: Duration?, location: ScopeLocation) -> ScopeCore {
        #if canImport(Glibc)
        return startingNow(onEngine: .suspending, timeout: timeout, tolerance: tolerance, location: location)
        #else
        return CancelScope(clock: SuspendingClock(), timeout: timeout, tolerance: tolerance, location: location).core
        #endif
    }

    @usableFromInline
    static func startingNowOnContinuousClock(
        deadline: ContinuousClock.Instant,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore {
        #if canImport(Glibc)
        let engine = TimerEngine.continuous
        guard case .continuous(let reference) = engine.reference else { preconditionFailure("not a continuous-clock engine") }
        return startingNow(onEngine: engine, deadlineOffset: reference.duration(to: deadline), tolerance: tolerance, location: location)
        #else
        return CancelScope(clock: ContinuousClock(), deadline: deadline, tolerance: tolerance, location: location).core
        #endif
    }

    @usableFromInline
    static func startingNowOnSuspendingClock(
        deadline: SuspendingClock.Instant,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore {
        #if canImport(Glibc)
        let engine = TimerEngine.suspending
        guard case .suspending(let reference) = engine.reference else { preconditionFailure("not a suspending-clock engine") }
        return startingNow(onEngine: engine, deadlineOffset: reference.duration(to: deadline), tolerance: tolerance, location: location)
        #else
        return CancelScope(clock: SuspendingClock(), deadline: deadline, tolerance: tolerance, location: location).core
        #endif
    }

    #if canImport(Glibc)
    /// A scope on `engine`'s clock starting now, with a deadline `timeout` from now.
    private static func startingNow(onEngine engine: TimerEngine, timeout: Duration, tolerance: Duration?, location: ScopeLocation) -> ScopeCore {
        // Offsets are measured from the scope's start, so the deadline is the timeout itself.
        ScopeCore(
            engineClock: EngineClockAdapter(engine: engine, startOffset: engine.now()),
            deadline: Duration.inlinedZero.deadline(after: timeout),
            tolerance: tolerance,
            location: location,
            beginsAtStart: true
        )
    }

    /// A scope on `engine`'s clock starting now, with a deadline at `deadlineOffset` from the engine's
    /// reference instant.
    private static func startingNow(onEngine engine: TimerEngine, deadlineOffset: Duration, tolerance: Duration?, location: ScopeLocation) -> ScopeCore {
        let start = engine.now()
        return ScopeCore(
            engineClock: EngineClockAdapter(engine: engine, startOffset: start),
            deadline: deadlineOffset.subtracting(start),
            tolerance: tolerance,
            location: location,
            beginsAtStart: true
        )
    }
    #endif
}
