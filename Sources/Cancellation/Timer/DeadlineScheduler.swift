/// A timer armed by ``DeadlineScheduler``; cancelling it guarantees its action will not run afterwards
/// unless it had already started.
struct TimerRegistration: Sendable {
    fileprivate let task: Task<Void, Never>

    /// Stops the timer. The action may already be running; callers make their action idempotent.
    func cancel() {
        task.cancel()
    }

    /// Waits until the timer's task has finished, so nothing the timer started outlives its scope.
    func waitUntilFinished() async {
        await task.value
    }
}

/// The one seam through which every scope asks to be woken at its deadline.
///
/// This implementation sleeps on the scope's own clock in a small detached task per armed deadline,
/// which works with any `Clock`, including test clocks.
enum DeadlineScheduler {
    /// Arms a timer that runs `action` once `clock` reaches `deadline`.
    ///
    /// - Parameters:
    ///   - clock: The clock the deadline is measured on.
    ///   - deadline: When to run the action.
    ///   - tolerance: How late the timer may fire, passed on to the clock.
    ///   - action: Runs exactly once, on some thread, when the timer's task ends: with `true` at or after
    ///     the deadline, or with `false` when the timer was cancelled first. It must be quick and must
    ///     tolerate running after the scope has moved on (it checks a generation number).
    /// - Returns: A registration that cancels the timer.
    static func schedule<C: Clock>(
        on clock: C,
        at deadline: C.Instant,
        tolerance: Duration?,
        action: @escaping @Sendable (_ fired: Bool) -> Void
    ) -> TimerRegistration where C.Duration == Duration {
        let task = Task.detached {
            do {
                try await clock.sleep(until: deadline, tolerance: tolerance)
            } catch {
                action(false)
                return
            }
            action(true)
        }
        return TimerRegistration(task: task)
    }
}
