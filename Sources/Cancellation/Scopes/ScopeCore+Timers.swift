import Logging

// A scope's timers: its deadline (the scope is its own entry in its engine), the grace timer that reports an
// operation ignoring the scope's cancellation, and the transitions that arm and disarm them.

extension ScopeCore {
    /// Moves the deadline (an offset from the scope's start), or removes it with `nil`.
    func reschedule(to deadline: Duration?) {
        reschedule(to: deadline, now: now())
    }

    /// Moves the deadline, with `now` read from the scope's clock by the caller.
    func reschedule(to deadline: Duration?, now: Duration) {
        transition { $0.setDeadline(deadline, now: now) }
    }

    /// Cancels the scope's operation with `reason`, or has it start cancelled.
    func cancel(reason: String) {
        let now = self.now()
        transition { $0.cancel(reason: reason, now: now) }
    }

    /// The deadline timer armed for `generation` fired (the scope is its own timer entry).
    func deadlineFired(generation: UInt64) {
        let now = self.now()
        var cancelled = false
        transition { machine in
            let action = machine.deadlineFired(generation: generation, now: now)
            if case .cancelOperation = action { cancelled = true }
            return action
        }
        if cancelled {
            diagnostics.observer?(.deadlineExpired(scope: location))
        }
    }

    /// Runs a transition of the state machine under the scope's lock, arms or disarms the timers it asks for
    /// under the same lock (so that no arming can be undone by an older one), then cancels the operation's
    /// task if it asks for that, once the lock is released.
    func transition(_ body: (inout Machine) -> Machine.Action) {
        let mustCancel = withState { machine in perform(body(&machine), on: &machine) }
        if mustCancel {
            cancelOperationTask()
        }
    }

    /// Performs the timer part of `action` — arming or disarming the deadline (the scope's entry is inserted
    /// in its engine, or moved in place, or taken out), arming the grace timer — and returns whether the
    /// operation's task must be cancelled, which the caller does once it no longer holds the scope's lock.
    ///
    /// Called with the scope's lock held, or before anyone else can reach the scope.
    func perform(_ action: Machine.Action, on machine: inout Machine) -> Bool {
        switch action {
        case .none:
            return false
        case .armDeadline(let deadline, let generation):
            engine.arm(self, at: startOffset.adding(deadline), tolerance: tolerance, token: generation)
            return false
        case .disarmDeadline:
            engine.cancel(self)
            return false
        case .cancelOperation(let disarmDeadline, let graceDeadline):
            if disarmDeadline {
                engine.cancel(self)
            }
            if let graceDeadline {
                machine.graceTimerArmed(armTimer(at: graceDeadline) { [self] in reportIfUncooperative() })
            }
            return true
        }
    }

    /// Arms a timer on the scope's engine for `deadline` (an offset from the scope's start), with the scope's
    /// tolerance.
    ///
    /// - Parameters:
    ///   - deadline: When to run `action`, as an offset from the scope's start.
    ///   - action: What to run; it runs on the engine's driver and must be quick.
    /// - Returns: The timer, to disarm it.
    func armTimer(at deadline: Duration, action: @escaping @Sendable () -> Void) -> TimerRegistration {
        engine.schedule(at: startOffset.adding(deadline), tolerance: tolerance, action: action)
    }

    /// The grace timer fired: logs that the operation ignores the scope's cancellation, if it still runs.
    private func reportIfUncooperative() {
        guard let cancellation = withState({ $0.graceTimerFired() }) else { return }
        let ignoredFor = now().subtracting(cancellation.at)
        diagnostics.logger.warning(
            "Operation has ignored cancellation for \(ignoredFor.humanReadable); its callers are still waiting",
            metadata: [
                "scope": "\(location)",
                "reason": "\(cancellation.reason)",
                "ignored_for": "\(ignoredFor.humanReadable)",
            ]
        )
        diagnostics.observer?(.uncooperative(scope: location, ignoredFor: ignoredFor))
    }

    /// Ends the scope: no timer may act on it any more, and every timer it armed is disarmed.
    ///
    /// Synchronous in the common case — engine timers are disarmed at once — so that a scope on an actor does
    /// not leave the actor to end; only a scope with an engine of its own (which must stop its sleeping
    /// task) or a late-finish report to log continues in ``ScopeEnding/complete()``.
    @usableFromInline
    func finish() -> ScopeEnding? {
        let ending = withState { machine -> Machine.Ending in
            let ending = machine.finish()
            if ending.disarmDeadline {
                engine.cancel(self)
            }
            ending.graceTimer?.cancel()
            return ending
        }
        guard ownWakeup != nil || ending.lateFinish != nil else { return nil }
        return ScopeEnding(core: self, lateFinish: ending.lateFinish)
    }

    /// Logs that an operation which ignored the scope's cancellation has finished.
    fileprivate func logLateFinish(of cancellation: Machine.Cancellation) {
        let after = now().subtracting(cancellation.at)
        diagnostics.logger.notice(
            "Operation that ignored cancellation finished \(after.humanReadable) after it was cancelled",
            metadata: ["scope": "\(location)", "reason": "\(cancellation.reason)"]
        )
    }
}

/// What is left of ending a scope after ``ScopeCore/finish()``: an engine of the scope's own to stop, and a
/// report to log.
///
/// A class, made only in the uncommon case, so that the scope's frame — which every pending scope keeps in
/// its caller's task — holds one reference rather than the whole record.
@usableFromInline
final class ScopeEnding: Sendable {
    private let core: ScopeCore
    private let lateFinish: ScopeCore.Machine.Cancellation?

    fileprivate init(core: ScopeCore, lateFinish: ScopeCore.Machine.Cancellation?) {
        self.core = core
        self.lateFinish = lateFinish
    }

    /// Stops the scope's own engine, if it has one, then logs the report.
    @usableFromInline
    func complete() async {
        await core.ownWakeup?.stop()
        if let lateFinish {
            core.logLateFinish(of: lateFinish)
        }
    }
}
