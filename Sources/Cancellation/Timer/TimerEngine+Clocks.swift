// Which engine serves a scope's deadlines, for each kind of clock.

extension TimerEngine {
    /// The instant the offsets of ``continuous`` start from.
    static let continuousReference = ContinuousClock.now
    /// The instant the offsets of ``suspending`` start from.
    static let suspendingReference = SuspendingClock.now

    // The two standard engines are spelled out rather than made by one generic function: their clocks are
    // read on every scope's start and reschedule, and each closure below reads one concrete clock.

    /// The engine for `ContinuousClock` deadlines, shared by every scope on that clock.
    static let continuous: TimerEngine = {
        let reference = continuousReference
        return TimerEngine(
            clock: ContinuousClock.self,
            now: { reference.duration(to: .now) },
            instant: { reference.advanced(by: $0) },
            wakeup: DispatchWakeup(label: "swift-cancellation.continuous-clock-timers", longestWait: .seconds(1)),
            honoursTolerance: true,
            idleHorizon: .seconds(1)
        )
    }()

    /// The engine for `SuspendingClock` deadlines, shared by every scope on that clock.
    static let suspending: TimerEngine = {
        let reference = suspendingReference
        return TimerEngine(
            clock: SuspendingClock.self,
            now: { reference.duration(to: .now) },
            instant: { reference.advanced(by: $0) },
            wakeup: DispatchWakeup(label: "swift-cancellation.suspending-clock-timers", longestWait: .seconds(1)),
            honoursTolerance: true,
            idleHorizon: .seconds(1)
        )
    }()

    /// The engine that serves deadlines on `clock`, and `start` as an offset on it.
    ///
    /// The standard clocks have a shared engine each and a clock that drives its own engine
    /// (``_TimerEngineDrivenClock``) has its own; for any other clock this makes an engine of its own that
    /// sleeps on the clock, with `start` as its reference (its offset is zero), which the caller must
    /// ``SleepingTaskWakeup/stop()`` when it is done with it.
    ///
    /// - Returns: The engine, its offset of `start`, and the wake-up to stop for an engine made here.
    static func serving<C: Clock>(
        _ clock: C,
        start: C.Instant
    ) -> (engine: TimerEngine, start: Duration, ownWakeup: SleepingTaskWakeup<C>?) where C.Duration == Duration {
        if C.self == ContinuousClock.self {
            // Sound: `C` is `ContinuousClock`, so `C.Instant` is `ContinuousClock.Instant`.
            let start = unsafeBitCast(start, to: ContinuousClock.Instant.self)
            return (.continuous, continuousReference.duration(to: start), nil)
        }
        if C.self == SuspendingClock.self {
            // Sound: `C` is `SuspendingClock`, so `C.Instant` is `SuspendingClock.Instant`.
            let start = unsafeBitCast(start, to: SuspendingClock.Instant.self)
            return (.suspending, suspendingReference.duration(to: start), nil)
        }
        if let driven = clock as? any _TimerEngineDrivenClock {
            let (engine, offset) = servingDriven(driven, start: start)
            return (engine, offset, nil)
        }
        let wakeup = SleepingTaskWakeup(clock: clock, reference: start)
        let engine = TimerEngine(
            clock: C.self,
            now: { start.duration(to: clock.now) },
            instant: { start.advanced(by: $0) },
            wakeup: wakeup,
            honoursTolerance: true,
            idleHorizon: nil
        )
        return (engine, .inlinedZero, wakeup)
    }

    private static func servingDriven<D: _TimerEngineDrivenClock, Instant>(
        _ clock: D,
        start: Instant
    ) -> (engine: TimerEngine, start: Duration) {
        // `D` is the caller's clock type, so its instants are of this type.
        let start = start as! D.Instant
        return (clock.timerEngine, clock.engineOffset(of: start))
    }
}

/// A clock whose deadlines the library serves with a ``TimerEngine`` that the clock drives itself, firing
/// the engine's due timers whenever its time moves.
///
/// `CancellationTesting`'s `ManualClock` adopts it, so that scopes on a manual clock run the very scope and
/// timer code that scopes on `ContinuousClock` run. It is not part of the supported API (hence the
/// underscore): its requirements are SPI, so no other module can adopt it. Scopes on any other clock are
/// served through the clock's `sleep(until:tolerance:)`.
public protocol _TimerEngineDrivenClock: Clock where Duration == Swift.Duration {
    /// The engine that serves deadlines on this clock.
    @_spi(Testing) var timerEngine: TimerEngine { get }
    /// `instant` as an offset on ``timerEngine``.
    ///
    /// - Parameter instant: An instant of this clock.
    /// - Returns: The instant's offset from the engine's reference instant.
    @_spi(Testing) func engineOffset(of instant: Instant) -> Swift.Duration
}
