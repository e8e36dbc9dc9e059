/// The pure state of one cancel scope: its deadline, its own cancellation and its life cycle.
///
/// Times are offsets from the scope's start on the scope's clock, so the machine — and everything that
/// runs on every call — is the same code whatever the clock. Every transition returns what the caller must
/// do outside the lock (arm a timer, cancel the operation's task), so no foreign code ever runs while the
/// scope's lock is held.
struct CancelScopeStateMachine: Sendable {
    /// A point in time: the offset from the scope's start on the scope's clock.
    typealias Instant = Duration

    enum Phase: Sendable {
        case created
        case running
        case finished
    }

    struct Cancellation: Sendable {
        var reason: CancellationReason
        /// Whether the cancellation of the task that opened the scope reached the scope's operation before
        /// this one did; then that, not this, is the first cause inside the scope.
        var callerCancelledFirst = false
        var at: Instant
        /// The deadline in force when the scope was cancelled.
        var deadline: Instant?
    }

    /// What to do after setting or reaching a deadline.
    enum DeadlineAction: Sendable, Equatable {
        /// Nothing: no deadline to arm, or the scope is finished or already cancelled.
        case none
        /// Arm a timer for `deadline`, tagged with `generation`; earlier timers are stale.
        case arm(Instant, generation: UInt64)
        /// The deadline has passed: the operation's task must be cancelled now.
        case cancel
    }

    private(set) var phase: Phase = .created
    private(set) var deadline: Instant?
    private(set) var generation: UInt64 = 0
    private(set) var cancellation: Cancellation?
    private(set) var caughtCancellation = false
    /// Whether a report that the operation ignores cancellation was logged.
    private(set) var reportedUncooperative = false
    let location: ScopeLocation

    init(deadline: Instant?, location: ScopeLocation) {
        self.deadline = deadline
        self.location = location
    }

    /// The scope begins running its operation.
    mutating func begin(now: Instant) -> DeadlineAction {
        precondition(phase == .created, "a cancel scope runs once")
        phase = .running
        // Cancelled before it started: the operation's task must start cancelled.
        guard cancellation == nil else { return .cancel }
        return evaluateDeadline(now: now)
    }

    /// The deadline is moved (or removed, with `nil`).
    ///
    /// Moving the deadline of a scope that was already cancelled does not undo the cancellation.
    mutating func setDeadline(_ newDeadline: Instant?, now: Instant) -> DeadlineAction {
        deadline = newDeadline
        generation &+= 1
        guard phase == .running, cancellation == nil else { return .none }
        return evaluateDeadline(now: now)
    }

    /// A timer armed for `generation` fired at `now`.
    mutating func timerFired(generation firedGeneration: UInt64, now: Instant) -> DeadlineAction {
        guard phase == .running, cancellation == nil, firedGeneration == generation else { return .none }
        return evaluateDeadline(now: now)
    }

    /// An explicit cancellation with a reason. Returns whether the operation's task must be cancelled.
    mutating func cancel(reason: String, now: Instant) -> Bool {
        guard cancellation == nil, phase != .finished else { return false }
        cancellation = Cancellation(
            reason: .cancelled(reason: reason, scope: location),
            at: now,
            deadline: deadline
        )
        // A scope that has not started yet is cancelled as soon as it starts: `begin` sees `cancellation`.
        return phase == .running
    }

    /// When the scope cancelled its operation, the caller's cancellation had already reached it.
    mutating func noteCallerCancelledFirst() {
        cancellation?.callerCancelledFirst = true
    }

    /// The operation ended; no timer may act on the scope any more.
    mutating func finish() {
        phase = .finished
    }

    /// The scope turned the operation's cancellation into its own outcome.
    mutating func markCaught() {
        caughtCancellation = true
    }

    /// A grace timer fired: returns the cancellation to report if the operation is still running.
    mutating func uncooperativeCheck() -> Cancellation? {
        guard phase == .running, let cancellation, !reportedUncooperative else { return nil }
        reportedUncooperative = true
        return cancellation
    }

    private mutating func evaluateDeadline(now: Instant) -> DeadlineAction {
        guard let deadline else { return .none }
        let remaining = deadline.subtracting(now)
        if !remaining.isPositive {
            cancellation = Cancellation(
                reason: .deadlineExpired(scope: location),
                at: now,
                deadline: deadline
            )
            return .cancel
        }
        if !remaining.isShorter(than: longestArmableDuration) {
            return .none
        }
        return .arm(deadline, generation: generation)
    }
}
