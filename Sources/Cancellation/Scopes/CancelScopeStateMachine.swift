/// The pure state of one cancel scope: its phase, its deadline and the timers armed for it, and its own
/// cancellation.
///
/// Times are offsets from the scope's start on the scope's clock, so the machine — and everything that runs
/// on every call — is the same code whatever the clock. Every transition returns what the scope must do:
/// arming or disarming its deadline happens under the scope's lock (the engine's lock nests inside it), and
/// cancelling the operation's task after the lock is released, so no foreign code ever runs while the
/// scope's lock is held.
struct CancelScopeStateMachine: Sendable {
    /// The handle of the grace timer, to disarm it.
    typealias GraceTimer = TimerRegistration

    /// A point in time: the offset from the scope's start on the scope's clock.
    typealias Instant = Duration

    /// The scope's own cancellation: its deadline expired or it was cancelled explicitly.
    struct Cancellation: Sendable, Equatable {
        var reason: CancellationReason
        /// Whether the cancellation of the task that opened the scope reached the scope's operation before
        /// this one did; then that, not this, is the first cause inside the scope.
        var callerCancelledFirst = false
        /// When the scope was cancelled.
        var at: Instant
        /// The deadline in force when the scope was cancelled.
        var deadline: Instant?
    }

    /// What the scope must do after a transition.
    enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Arm the scope's deadline for this instant and generation, under the scope's lock: the scope's entry
        /// is inserted in its engine, or moved in place; a timer of an older generation is stale.
        case armDeadline(Instant, generation: UInt64)
        /// Take the scope's deadline out of its engine, under the scope's lock.
        case disarmDeadline
        /// The scope's own cancellation just happened. Under the scope's lock: take the deadline out of its
        /// engine if `disarmDeadline`, and arm the grace timer for `graceDeadline` if there is one (then
        /// record it with ``graceTimerArmed(_:)``). After the lock: cancel the operation's task.
        case cancelOperation(disarmDeadline: Bool, graceDeadline: Instant?)
    }

    /// What ending the scope leaves to do.
    struct Ending: Sendable {
        /// Take the scope's deadline out of its engine.
        var disarmDeadline: Bool
        /// A grace timer still armed, to disarm.
        var graceTimer: GraceTimer?
        /// The operation was reported for ignoring this cancellation: log that it has ended.
        var lateFinish: Cancellation?
    }

    /// What the running phase owns: the bookkeeping of the timers armed for the scope. (The grace timer's
    /// handle, which only the running phase has too, is kept beside the phase: a payload of plain values is
    /// copied out and back in by every transition for nothing.)
    struct Running: Sendable {
        /// Counts the deadline's moves; a timer armed for an older generation is stale.
        var generation: UInt64 = 0
        /// Whether the scope's entry was put in its engine for the current deadline and has not fired since.
        var deadlineArmed = false
        /// Whether the operation was reported for ignoring the cancellation.
        var reportedUncooperative = false
    }

    /// The scope's phase, with what each phase owns.
    enum State: Sendable {
        /// The scope has been made, and its operation has not started.
        case created
        /// The operation runs.
        case running(Running)
        /// The operation has ended; no timer acts on the scope any more. `caught` says whether the scope
        /// turned its own cancellation into its outcome (Trio's `cancelled_caught`).
        case finished(caught: Bool)
    }

    private(set) var state: State = .created
    /// The deadline, in every phase: set before the start, moved while running, recorded after the end.
    private(set) var deadline: Instant?
    /// The scope's own cancellation, in every phase; one before the start makes the operation start
    /// cancelled.
    private(set) var cancellation: Cancellation?

    /// Whether the scope is cancelled because its deadline passed.
    var hasExpiredDeadline: Bool {
        guard case .deadlineExpired = cancellation?.reason else { return false }
        return true
    }

    /// The timer that reports an operation ignoring the scope's cancellation, while it is armed — only in
    /// the running phase.
    private(set) var graceTimer: GraceTimer?
    let location: ScopeLocation
    /// How long after its cancellation an operation that has not ended is reported, or `nil` for never.
    let gracePeriod: Duration?

    init(deadline: Instant?, location: ScopeLocation, gracePeriod: Duration? = nil) {
        self.deadline = deadline
        self.location = location
        if let gracePeriod, gracePeriod.isPositive, gracePeriod.isShorter(than: longestArmableDuration) {
            self.gracePeriod = gracePeriod
        } else {
            self.gracePeriod = nil
        }
    }

    // MARK: Reading

    /// Whether the scope turned its own cancellation into its outcome.
    var caughtCancellation: Bool {
        if case .finished(let caught) = state { return caught }
        return false
    }

    // MARK: Transitions

    /// The scope begins running its operation.
    mutating func begin(now: Instant) -> Action {
        guard case .created = state else {
            preconditionFailure("a cancel scope runs once")
        }
        var running = Running()
        let action: Action
        if let cancellation {
            // Cancelled before it started: the operation's task must start cancelled.
            action = .cancelOperation(disarmDeadline: false, graceDeadline: graceDeadline(after: cancellation))
        } else {
            action = evaluateDeadline(&running, now: now)
        }
        state = .running(running)
        return action
    }

    /// The deadline is moved (or removed, with `nil`).
    ///
    /// Moving the deadline of a scope that was already cancelled does not undo the cancellation; moving it
    /// before the scope starts or after it ended only records it.
    mutating func setDeadline(_ newDeadline: Instant?, now: Instant) -> Action {
        deadline = newDeadline
        guard case .running(var running) = state else { return .none }
        running.generation &+= 1
        let action: Action
        if case .some = cancellation {
            action = running.deadlineArmed ? .disarmDeadline : .none
            running.deadlineArmed = false
        } else {
            action = evaluateDeadline(&running, now: now)
        }
        state = .running(running)
        return action
    }

    /// The deadline timer armed for `generation` fired at `now`.
    mutating func deadlineFired(generation firedGeneration: UInt64, now: Instant) -> Action {
        guard case .running(var running) = state, firedGeneration == running.generation else {
            // A stale timer: the deadline moved since it was armed, or the scope has ended.
            return .none
        }
        // The engine took the entry out when it fired it.
        running.deadlineArmed = false
        let action: Action
        if case .none = cancellation {
            action = evaluateDeadline(&running, now: now)
        } else {
            action = .none
        }
        state = .running(running)
        return action
    }

    /// An explicit cancellation with a reason.
    mutating func cancel(reason: String, now: Instant) -> Action {
        guard case .none = cancellation else { return .none }
        let cancellation = Cancellation(reason: .cancelled(reason: reason, scope: location), at: now, deadline: deadline)
        switch state {
        case .created:
            // `begin` sees the cancellation and starts the operation cancelled.
            self.cancellation = cancellation
            return .none
        case .running(var running):
            let action = cancelRunning(&running, with: cancellation)
            state = .running(running)
            return action
        case .finished:
            return .none
        }
    }

    /// The grace timer that ``Action/cancelOperation(disarmDeadline:graceDeadline:)`` asked for was armed.
    mutating func graceTimerArmed(_ timer: GraceTimer) {
        guard case .running = state else {
            preconditionFailure("a grace timer is armed only while the operation runs")
        }
        graceTimer = timer
    }

    /// When the scope cancelled its operation, the caller's cancellation had already reached it.
    mutating func noteCallerCancelledFirst() {
        cancellation?.callerCancelledFirst = true
    }

    /// The grace timer fired: returns the cancellation to report if the operation is still running.
    mutating func graceTimerFired() -> Cancellation? {
        guard case .running(var running) = state, let cancellation else { return nil }
        graceTimer = nil
        let report = running.reportedUncooperative ? nil : cancellation
        running.reportedUncooperative = true
        state = .running(running)
        return report
    }

    /// The operation ended; no timer may act on the scope any more.
    mutating func finish() -> Ending {
        guard case .running(let running) = state else {
            preconditionFailure("a cancel scope ends once, after it began")
        }
        state = .finished(caught: false)
        defer { graceTimer = nil }
        return Ending(
            disarmDeadline: running.deadlineArmed,
            graceTimer: graceTimer,
            lateFinish: running.reportedUncooperative ? cancellation : nil
        )
    }

    /// The scope turns its own cancellation into its outcome, if it was cancelled: returns that
    /// cancellation.
    mutating func catchCancellation() -> Cancellation? {
        guard case .finished = state, let cancellation else { return nil }
        state = .finished(caught: true)
        return cancellation
    }

    // MARK: Helpers

    private func graceDeadline(after cancellation: Cancellation) -> Instant? {
        gracePeriod.map { cancellation.at.adding($0) }
    }

    private mutating func cancelRunning(_ running: inout Running, with cancellation: Cancellation) -> Action {
        self.cancellation = cancellation
        let action = Action.cancelOperation(disarmDeadline: running.deadlineArmed, graceDeadline: graceDeadline(after: cancellation))
        running.deadlineArmed = false
        return action
    }

    private mutating func evaluateDeadline(_ running: inout Running, now: Instant) -> Action {
        guard let deadline else {
            return disarmIfArmed(&running)
        }
        let remaining = deadline.subtracting(now)
        if !remaining.isPositive {
            return cancelRunning(&running, with: Cancellation(reason: .deadlineExpired(scope: location), at: now, deadline: deadline))
        }
        if !remaining.isShorter(than: longestArmableDuration) {
            // So far away that it means "no deadline".
            return disarmIfArmed(&running)
        }
        running.deadlineArmed = true
        return .armDeadline(deadline, generation: running.generation)
    }

    private func disarmIfArmed(_ running: inout Running) -> Action {
        defer { running.deadlineArmed = false }
        return running.deadlineArmed ? .disarmDeadline : .none
    }
}
