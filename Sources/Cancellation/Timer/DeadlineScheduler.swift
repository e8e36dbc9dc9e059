/// A timer armed by ``DeadlineScheduler``.
struct TimerRegistration: Sendable {
    private enum Kind: Sendable {
        /// A small task sleeping on the scope's own clock (any clock).
        case sleepingTask(Task<Void, Never>)
        #if canImport(Glibc)
        /// An entry in the shared engine of a continuous or suspending clock.
        case engine(TimerEntry)
        #endif
    }

    private let kind: Kind

    fileprivate init(task: Task<Void, Never>) {
        kind = .sleepingTask(task)
    }

    #if canImport(Glibc)
    init(entry: TimerEntry) {
        kind = .engine(entry)
    }
    #endif

    /// Stops the timer. Its action may already be running; actions are idempotent and check the scope's
    /// state, so a late one has no effect.
    func cancel() {
        _ = cancelReportingPending()
    }

    /// Stops the timer and says whether it was still pending (engine timers) or its task not yet
    /// finished (sleeping-task timers).
    func cancelReportingPending() -> Bool {
        switch kind {
        case .sleepingTask(let task):
            task.cancel()
            return true
        #if canImport(Glibc)
        case .engine(let entry):
            // `false` means it fired: its action ran, or is running, on the engine thread.
            return entry.timerOwner?.cancel(entry) ?? false
        #endif
        }
    }

    /// Waits until nothing the timer started is still running: the sleeping task has ended. Engine timers
    /// start nothing, so there is nothing to wait for.
    func waitUntilFinished() async {
        switch kind {
        case .sleepingTask(let task):
            await task.value
        #if canImport(Glibc)
        case .engine:
            break
        #endif
        }
    }

    /// Whether the timer lives in a shared engine and so reports its own end synchronously.
    var isEngineTimer: Bool {
        switch kind {
        case .sleepingTask: return false
        #if canImport(Glibc)
        case .engine: return true
        #endif
        }
    }
}

/// The one seam through which every scope asks to be woken at its deadline.
///
/// Deadlines on `ContinuousClock` and `SuspendingClock` go to a shared ``TimerEngine`` (on Linux): one
/// heap, one thread, no task per timer. Deadlines on any other clock — a test clock, say — are served by a
/// small task sleeping on that clock with `sleep(until:tolerance:)`, so every `Clock` keeps working.
enum DeadlineScheduler {
    /// Arms a timer that runs `action` once `clock` reaches `deadline`.
    ///
    /// - Parameters:
    ///   - clock: The clock the deadline is measured on.
    ///   - deadline: When to run the action.
    ///   - tolerance: How late the timer may fire, passed on to the clock.
    ///   - action: Runs exactly once, on some thread: with `true` at or after the deadline, or with `false`
    ///     when the timer was cancelled first (only for sleeping-task timers; engine timers that are
    ///     cancelled before firing never run their action). It must be quick and must tolerate running
    ///     after the scope has moved on (it checks a generation number).
    /// - Returns: A registration that cancels the timer.
    static func schedule<C: Clock>(
        on clock: C,
        at deadline: C.Instant,
        tolerance: Duration?,
        action: @escaping @Sendable (_ fired: Bool) -> Void
    ) -> TimerRegistration where C.Duration == Duration {
        #if canImport(Glibc)
        if let continuousDeadline = deadline as? ContinuousClock.Instant, C.self == ContinuousClock.self {
            return TimerRegistration(entry: TimerEngine.continuous.schedule(at: continuousDeadline, tolerance: tolerance) { _ in action(true) })
        }
        if let suspendingDeadline = deadline as? SuspendingClock.Instant, C.self == SuspendingClock.self {
            return TimerRegistration(entry: TimerEngine.suspending.schedule(at: suspendingDeadline, tolerance: tolerance) { _ in action(true) })
        }
        #endif
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
