/// Direct access to the shared timer engine, for the package's benchmarks only.
///
/// Not part of the supported API: it exists so `cancellation-benchmarks` can measure the engine's raw
/// insert and removal cost beside the scopes built on it.
@_spi(Benchmarks)
public enum TimerEngineProbe {
    /// Arms `count` continuous-clock timers an hour away and disarms each right after arming it — the
    /// work a timeout that never fires gives the engine.
    ///
    /// - Parameter count: How many timers to arm and disarm.
    /// - Returns: How many of them were still pending when disarmed (all of them, unless the engine fired
    ///   one, which would be a bug).
    public static func armAndDisarm(count: Int) -> Int {
        let engine = TimerEngine.continuous
        let deadline = engine.now().adding(.seconds(3_600))
        var disarmed = 0
        for _ in 0..<count {
            let registration = engine.schedule(at: deadline, tolerance: nil) {}
            if registration.cancel() { disarmed += 1 }
        }
        return disarmed
    }
}
