/// A deadline as an offset on a timer engine: what ``EffectiveDeadline`` reads for a scope, whatever its
/// clock.
struct EngineDeadline: DeadlinePoint {
    let engine: TimerEngine
    /// The deadline, as an offset on the engine.
    let offset: Duration

    func remaining() -> Duration {
        offset.subtracting(engine.now())
    }

    func instant<Other: Clock>(in clock: Other) -> Other.Instant where Other.Duration == Duration {
        engine.instant(atOffset: offset, of: Other.self) ?? clock.now.advanced(by: remaining())
    }
}
