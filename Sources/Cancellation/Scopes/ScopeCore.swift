/// The machinery of a cancel scope, the same code for every clock: its state machine behind a lock, the
/// engine that serves its timers, and where it sits in the task-local chain of scopes.
///
/// What a scope does is spread over extensions by role: starting (below), running the operation and
/// classifying how it ended (`ScopeCore+Running.swift`), its timers (`ScopeCore+Timers.swift`), and the task
/// that runs the operation (`OperationTaskReference.swift`).
///
/// A scope is the engine entry of its own deadline timer, so arming a deadline allocates nothing. Its times
/// are offsets from its start on its clock; the engine's are offsets from the engine's reference instant;
/// `startOffset` converts between the two.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is: the fields it inherits are guarded by its
/// engine's lock, as ``TimerEntry`` explains; of the stored properties this class adds, the two `var`s are
/// read and written only with their mutex of `mutexes` held (``withState(_:)``, ``withOperationTask(_:)``),
/// except by the scope's child task when it begins the scope, before any other task or thread can reach it
/// (``withExclusiveAccess(_:)``, see ``beginAttachingCurrentTask()``); the rest are `let`s of `Sendable`
/// types.
@usableFromInline
final class ScopeCore: TimerEntry, @unchecked Sendable {
    typealias Machine = CancelScopeStateMachine

    /// The engine that serves the scope's deadline and its other timers.
    let engine: TimerEngine
    /// The scope's start, as an offset on its engine.
    let startOffset: Duration
    /// The wake-up of an engine made for this scope alone (on a clock without a shared engine), which the
    /// scope stops when it ends.
    let ownWakeup: (any OwnedEngineWakeup)?
    let tolerance: Duration?
    @usableFromInline
    let location: ScopeLocation
    let diagnostics: CancellationDiagnostics
    /// The scope around this one in the task that opened it.
    @usableFromInline
    let parentLink: (any ScopeLink)?
    /// Whether the scope begins at the instant it was created (offset zero), so beginning need not read
    /// the clock again.
    let beginsAtStart: Bool

    /// The scope's state machine. Guarded by the first of `mutexes`.
    @exclusivity(unchecked) private var machine: Machine
    /// The task running the scope's operation while it runs. Guarded by the second of `mutexes`: it has a
    /// lock of its own because cancelling a task runs its cancellation handlers synchronously, and those may
    /// read the scope's state.
    @exclusivity(unchecked) private var operationTaskSlot = OperationTaskSlot()
    /// The two locks, in one allocation. The state they guard is stored here, in the scope, so that the code
    /// that runs on every call is concrete.
    private let mutexes = MutexPair()

    /// Creates a scope.
    ///
    /// - Parameters:
    ///   - engine: The engine that serves the scope's clock.
    ///   - startOffset: The scope's start, as an offset on `engine`.
    ///   - ownWakeup: The wake-up of `engine` when it was made for this scope alone.
    ///   - deadline: The deadline, as an offset from the start.
    ///   - tolerance: How late the deadline may be enforced.
    ///   - location: Where the scope was opened.
    ///   - beginsAtStart: Whether the scope begins at `startOffset` (it is run as soon as it is made, from
    ///     a clock reading taken for it).
    init(
        engine: TimerEngine,
        startOffset: Duration,
        ownWakeup: (any OwnedEngineWakeup)? = nil,
        deadline: Duration?,
        tolerance: Duration?,
        location: ScopeLocation,
        beginsAtStart: Bool
    ) {
        self.engine = engine
        self.startOffset = startOffset
        self.ownWakeup = ownWakeup
        self.tolerance = tolerance
        self.location = location
        self.beginsAtStart = beginsAtStart
        let diagnostics = CancellationDiagnostics.current
        self.diagnostics = diagnostics
        self.parentLink = ScopeChain.current
        self.machine = Machine(deadline: deadline, location: location, gracePeriod: diagnostics.gracePeriod)
    }

    deinit {
        mutexes.destroy()
    }

    /// Runs `body` with the state machine, under the scope's lock.
    @inline(__always)
    func withState<Result>(_ body: (inout Machine) -> Result) -> Result {
        mutexes.withLock(0) { body(&machine) }
    }

    /// Runs `body` with the state machine and the slot of the operation's task, without their locks: for
    /// ``beginAttachingCurrentTask()``, which runs before anyone else can reach the scope.
    @inline(__always)
    func withExclusiveAccess<Result>(_ body: (inout Machine, inout OperationTaskSlot) -> Result) -> Result {
        body(&machine, &operationTaskSlot)
    }

    /// Runs `body` with the slot of the operation's task, under that slot's lock.
    @inline(__always)
    func withOperationTask<Result>(_ body: (inout OperationTaskSlot) -> Result) -> Result {
        mutexes.withLock(1) { body(&operationTaskSlot) }
    }

    /// A scope on `clock` that starts at `start` (an instant already read), with its deadline at `deadline`
    /// (an offset from the start).
    ///
    /// - Parameters:
    ///   - clock: The scope's clock.
    ///   - start: The scope's start on `clock`.
    ///   - deadline: The deadline, as an offset from the start.
    ///   - tolerance: How late the deadline may be enforced.
    ///   - location: Where the scope was opened.
    ///   - beginsAtStart: Whether the scope begins at `start`.
    @usableFromInline
    convenience init<C: Clock>(
        clock: C,
        start: C.Instant,
        deadline: Duration?,
        tolerance: Duration?,
        location: ScopeLocation,
        beginsAtStart: Bool
    ) where C.Duration == Duration {
        let (engine, startOffset, ownWakeup) = TimerEngine.serving(clock, start: start)
        self.init(
            engine: engine, startOffset: startOffset, ownWakeup: ownWakeup,
            deadline: deadline, tolerance: tolerance, location: location, beginsAtStart: beginsAtStart
        )
    }

    /// The scope's deadline timer fired: the scope is its own entry, and `token` is the generation of the
    /// deadline it was armed for.
    override func fire(token: UInt64) {
        deadlineFired(generation: token)
    }

    /// The time since the scope's start, on its clock.
    func now() -> Duration {
        engine.now().subtracting(startOffset)
    }

    // MARK: Reading

    var deadline: Duration? {
        withState { $0.deadline }
    }

    var isCancelled: Bool {
        withState { $0.cancellation != nil }
    }

    var didCatchCancellation: Bool {
        withState { $0.caughtCancellation }
    }

    var reason: CancellationReason? {
        withState { $0.cancellation?.reason }
    }

    var remaining: Duration? {
        guard let deadline else { return nil }
        return max(.zero, deadline.subtracting(now()))
    }
}

/// The wake-up of an engine made for one scope, which must be stopped when the scope ends.
protocol OwnedEngineWakeup: AnyObject, Sendable {
    /// Stops the wake-up; when this returns, nothing it started is still running.
    func stop() async
}

extension SleepingTaskWakeup: OwnedEngineWakeup {}

// MARK: - Starting a scope that no caller gets a handle on

// The scopes of `withTimeout` and `withTimeoutOrNil` without a `CancelScope` argument are made here, on
// every call, so the two standard clocks take paths that are not generic at all: one `ScopeCore` on the
// clock's shared engine, made from one clock reading, with no generic code whose type metadata would be
// looked up at run time.
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
            return startingNow(onStandardEngine: .continuous, timeout: timeout, tolerance: tolerance, location: location)
        }
        if C.self == SuspendingClock.self {
            return startingNow(onStandardEngine: .suspending, timeout: timeout, tolerance: tolerance, location: location)
        }
        return startingNow(onOtherClock: clock, timeout: timeout, tolerance: tolerance, location: location)
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
        return startingNow(onOtherClock: clock, deadline: deadline, tolerance: tolerance, location: location)
    }

    /// A scope on a clock other than the standard ones, starting now, with a deadline `timeout` from now.
    @usableFromInline
    static func startingNow<C: Clock>(
        onOtherClock clock: C,
        timeout: Duration,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore where C.Duration == Duration {
        // Offsets are measured from the scope's start, so the deadline is the timeout itself.
        ScopeCore(
            clock: clock, start: clock.now, deadline: Duration.inlinedZero.deadline(after: timeout),
            tolerance: tolerance, location: location, beginsAtStart: true
        )
    }

    /// A scope on a clock other than the standard ones, starting now, with its deadline at `deadline`.
    @usableFromInline
    static func startingNow<C: Clock>(
        onOtherClock clock: C,
        deadline: C.Instant,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore where C.Duration == Duration {
        let start = clock.now
        return ScopeCore(
            clock: clock, start: start, deadline: start.duration(to: deadline),
            tolerance: tolerance, location: location, beginsAtStart: true
        )
    }

    /// The standard clocks' engines, named for the inlinable code above without exposing the engines.
    @usableFromInline
    enum StandardEngine {
        case continuous
        case suspending
    }

    /// A scope on a standard clock's engine starting now, with a deadline `timeout` from now.
    @usableFromInline
    static func startingNow(
        onStandardEngine standard: StandardEngine,
        timeout: Duration,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore {
        let engine: TimerEngine = standard == .continuous ? .continuous : .suspending
        // Offsets are measured from the scope's start, so the deadline is the timeout itself.
        return ScopeCore(
            engine: engine, startOffset: engine.now(), deadline: Duration.inlinedZero.deadline(after: timeout),
            tolerance: tolerance, location: location, beginsAtStart: true
        )
    }

    @usableFromInline
    static func startingNowOnContinuousClock(
        deadline: ContinuousClock.Instant,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore {
        startingNow(
            onEngine: .continuous, deadline: TimerEngine.continuousReference.duration(to: deadline),
            tolerance: tolerance, location: location
        )
    }

    @usableFromInline
    static func startingNowOnSuspendingClock(
        deadline: SuspendingClock.Instant,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore {
        startingNow(
            onEngine: .suspending, deadline: TimerEngine.suspendingReference.duration(to: deadline),
            tolerance: tolerance, location: location
        )
    }

    /// A scope on `engine` starting now, with its deadline at `deadline`, an offset on the engine.
    private static func startingNow(
        onEngine engine: TimerEngine,
        deadline: Duration,
        tolerance: Duration?,
        location: ScopeLocation
    ) -> ScopeCore {
        let start = engine.now()
        return ScopeCore(
            engine: engine, startOffset: start, deadline: deadline.subtracting(start),
            tolerance: tolerance, location: location, beginsAtStart: true
        )
    }
}

// MARK: - The scope in the task-local chain

extension ScopeCore: ScopeLink {
    @usableFromInline
    var scopeRecord: (any ScopeRecord)? { self }
}

extension ScopeCore: ScopeRecord {
    @usableFromInline
    var ownCancellation: (reason: CancellationReason, callerCancelledFirst: Bool)? {
        withState { machine in
            machine.cancellation.map { ($0.reason, $0.callerCancelledFirst) }
        }
    }

    @usableFromInline
    var deadlinePoint: (any DeadlinePoint)? {
        guard let deadline else { return nil }
        guard deadline.subtracting(now()).isShorter(than: longestArmableDuration) else { return nil }
        return EngineDeadline(engine: engine, offset: startOffset.adding(deadline))
    }
}
