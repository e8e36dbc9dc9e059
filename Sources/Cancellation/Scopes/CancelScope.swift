import Logging

/// A handle on a running cancel scope: its deadline can be read and moved, and it can be cancelled with a
/// reason from any task or thread.
///
/// You get a `CancelScope` from ``withCancelScope(deadline:tolerance:clock:isolation:fileID:line:operation:)``
/// or from the scope-taking forms of `withTimeout`. It is `Sendable`: hand it to another task that should
/// be able to stop the work, or keep it after the scope ends to ask what happened
/// (``isCancelled``, ``didCatchCancellation``, ``reason``).
///
/// One deadline covers every `await` in the scope's block, like Python's `asyncio.timeout()`, and it can be
/// moved while the block runs, like `asyncio.Timeout.reschedule()`:
///
/// ```swift
/// let reply = try await withTimeout(.seconds(2)) { scope in
///     let header = try await connection.readHeader()
///     scope.reschedule(after: .seconds(header.isLarge ? 30 : 5))   // more time for a large body
///     return try await connection.readBody(header)
/// }
/// ```
///
/// Cancellation is cooperative: cancelling a scope cancels the child task that runs its block, and the
/// block stops at its next cancellation point.
public final class CancelScope<C: Clock>: Sendable where C.Duration == Duration {
    /// The clock the scope's deadline is measured on.
    public var clock: C { adapter.clock }
    /// How late the scope's timer may fire, passed on to the clock.
    public var tolerance: Duration? { core.tolerance }
    /// Where the scope was opened.
    public var location: ScopeLocation { core.location }

    /// The scope's machinery, which does not depend on the clock's type.
    @usableFromInline
    let core: ScopeCore
    /// The clock and the scope's start on it (a ``ClockAdapter``), for converting instants to offsets.
    ///
    /// Kept as an existential so that this generic class stores nothing of a generic type: its deinit is
    /// not specialised, and destroying a `ClockAdapter<C>` field looked up that type's metadata on every
    /// scope. An existential carries its own.
    private let storedAdapter: any ScopeClock

    /// `storedAdapter` as what it always is.
    private var adapter: ClockAdapter<C> {
        storedAdapter as! ClockAdapter<C>
    }

    @usableFromInline
    @_specialize(exported: true, where C == ContinuousClock)
    @_specialize(exported: true, where C == SuspendingClock)
    init(clock: C, start: C.Instant? = nil, deadline: C.Instant?, tolerance: Duration?, location: ScopeLocation) {
        let start = start ?? clock.now
        let adapter = ClockAdapter(clock: clock, start: start)
        self.storedAdapter = adapter
        let offset = deadline.map { adapter.offset(of: $0) }
        // Every scope is run as soon as it is made, so it begins at the start just read and beginning need
        // not read the clock again.
        #if canImport(Glibc)
        if let engineClock = EngineClockAdapter.make(clock: clock, start: start) {
            self.core = ScopeCore(engineClock: engineClock, deadline: offset, tolerance: tolerance, location: location, beginsAtStart: true)
            return
        }
        #endif
        self.core = ScopeCore(clock: adapter, deadline: offset, tolerance: tolerance, location: location, beginsAtStart: true)
    }

    @usableFromInline
    @_specialize(exported: true, where C == ContinuousClock)
    @_specialize(exported: true, where C == SuspendingClock)
    convenience init(clock: C, timeout: Duration, tolerance: Duration?, location: ScopeLocation) {
        let now = clock.now
        self.init(clock: clock, start: now, deadline: now.deadline(after: timeout), tolerance: tolerance, location: location)
    }

    // MARK: Public interface

    /// The scope's deadline, or `nil` when it has none.
    ///
    /// Setting it moves the deadline later or earlier, or removes it with `nil`, while the block runs; a
    /// deadline that has already passed cancels the block at once. Setting it after the scope was cancelled
    /// or has finished records the value but does not undo anything.
    public var deadline: C.Instant? {
        get { core.deadline.map { adapter.instant(at: $0) } }
        set { reschedule(to: newValue) }
    }

    /// Moves the scope's deadline to `deadline`, or removes it with `nil`.
    ///
    /// - Parameter deadline: The new deadline; one in the past cancels the scope's block at once.
    public func reschedule(to deadline: C.Instant?) {
        core.reschedule(to: deadline.map { adapter.offset(of: $0) })
    }

    /// Moves the scope's deadline to `duration` from now.
    ///
    /// - Parameter duration: The time from now; zero or negative cancels the block at once, and a duration
    ///   longer than about 136 years removes the deadline.
    public func reschedule(after duration: Duration) {
        // One clock reading serves both as the base of the new deadline and as "now" for deciding whether
        // it has already passed.
        let now = core.now()
        core.reschedule(to: now.deadline(after: duration), now: now)
    }

    /// Cancels the scope's block, from any task or thread, giving a reason that code inside can read from
    /// ``CancellationReason/current``.
    ///
    /// Only the scope's own block is cancelled, never the task that opened the scope. Cancelling a scope
    /// that was already cancelled, or has finished, does nothing. Cancelling a scope before its block
    /// starts makes the block start cancelled.
    ///
    /// - Parameter reason: Why the scope is cancelled.
    public func cancel(reason: String = "cancelled") {
        core.cancel(reason: reason)
    }

    /// Whether the scope's own cancellation happened: its deadline expired or it was cancelled explicitly
    /// (Trio's `cancel_called`).
    public var isCancelled: Bool { core.isCancelled }

    /// Whether the block ended because of the scope's own cancellation, and the scope turned that into its
    /// outcome — `nil`, ``TimeoutError`` or ``ScopeCancelledError`` (Trio's `cancelled_caught`).
    ///
    /// `false` while the block runs, when it finished normally or with its own error even though the scope
    /// was cancelled, and when the caller's own cancellation ended it.
    public var didCatchCancellation: Bool { core.didCatchCancellation }

    /// The scope's own cancellation reason, or `nil` when the scope was not cancelled.
    public var reason: CancellationReason? { core.reason }

    /// The time left until the deadline, `.zero` once it has passed, or `nil` without a deadline.
    public var remaining: Duration? { core.remaining }

    /// Runs `operation` in a child task under this scope and waits for it.
    @inlinable
    func run<Value>(
        isolation: isolated (any Actor)?,
        operation: (CancelScope<C>) async throws -> sending Value
    ) async throws -> sending ScopeCore.Outcome<Value> {
        try await core.run(isolation: isolation) { try await operation(self) }
    }
}

/// The machinery of a cancel scope, the same code for every clock: its state, its timers, the task
/// running its operation, and how the operation's ending is classified.
///
/// A scope is the engine entry of its own deadline timer, so arming a deadline allocates nothing.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is: every stored property this class adds is a
/// `let` of a `Sendable` type (its mutable state is in `Mutex`es), and the fields it inherits are guarded by
/// the engine's lock, as ``TimerEntry`` explains.
@usableFromInline
final class ScopeCore: TimerEntry, @unchecked Sendable {
    #if canImport(Glibc)
    /// The scope's clock when it is an engine clock, which the hot paths call directly.
    private let engineClock: EngineClockAdapter?
    /// Any other clock (a test clock, say), boxed so that a scope on an engine clock stores one reference
    /// less and does not retain its engine twice.
    private let otherClock: ScopeClockBox?

    /// The scope's clock.
    var clock: any ScopeClock {
        if let engineClock { return engineClock }
        return otherClock!.clock
    }
    #else
    /// The scope's clock.
    let clock: any ScopeClock
    #endif
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

    private struct Storage {
        var machine: CancelScopeStateMachine
        /// The timer armed for the current deadline on a clock without an engine, which a reschedule
        /// replaces.
        var deadlineTimer: TimerRegistration?
        /// Whether the scope has put itself, as its deadline's timer entry, in its clock's engine (it may
        /// have fired since).
        var deadlineInEngine = false
        /// Other timers — the uncooperative-operation report, and replaced timers that run as sleeping
        /// tasks — which `finish` stops and waits for.
        var otherTimers: [TimerRegistration] = []

        /// Takes the current deadline timer out, keeping it for `finish` if it is a task to wait for.
        mutating func retireDeadlineTimer() -> TimerRegistration? {
            guard let timer = deadlineTimer else { return nil }
            deadlineTimer = nil
            if !timer.isEngineTimer {
                otherTimers.append(timer)
            }
            return timer
        }
    }

    private let storage: LockedValue<Storage>
    /// The task running the scope's operation while it runs. Kept apart from `storage` because
    /// cancelling a task runs its cancellation handlers synchronously, and those may read the scope.
    private let operationTask = LockedValue(OperationTaskSlot())

    #if canImport(Glibc)
    private init(
        engineClock: EngineClockAdapter?,
        otherClock: ScopeClockBox?,
        deadline: Duration?,
        tolerance: Duration?,
        location: ScopeLocation,
        beginsAtStart: Bool
    ) {
        self.engineClock = engineClock
        self.otherClock = otherClock
        self.beginsAtStart = beginsAtStart
        self.tolerance = tolerance
        self.location = location
        self.diagnostics = CancellationDiagnostics.current
        self.parentLink = ScopeChain.current
        self.storage = LockedValue(Storage(machine: CancelScopeStateMachine(deadline: deadline, location: location)))
        super.init(deadline: .inlinedZero, latest: .inlinedZero)
    }

    convenience init(clock: any ScopeClock, deadline: Duration?, tolerance: Duration?, location: ScopeLocation, beginsAtStart: Bool = false) {
        self.init(
            engineClock: nil, otherClock: ScopeClockBox(clock),
            deadline: deadline, tolerance: tolerance, location: location, beginsAtStart: beginsAtStart
        )
    }

    convenience init(engineClock: EngineClockAdapter, deadline: Duration?, tolerance: Duration?, location: ScopeLocation, beginsAtStart: Bool = false) {
        self.init(
            engineClock: engineClock, otherClock: nil,
            deadline: deadline, tolerance: tolerance, location: location, beginsAtStart: beginsAtStart
        )
    }
    #else
    init(clock: any ScopeClock, deadline: Duration?, tolerance: Duration?, location: ScopeLocation, beginsAtStart: Bool = false) {
        self.clock = clock
        self.beginsAtStart = beginsAtStart
        self.tolerance = tolerance
        self.location = location
        self.diagnostics = CancellationDiagnostics.current
        self.parentLink = ScopeChain.current
        self.storage = LockedValue(Storage(machine: CancelScopeStateMachine(deadline: deadline, location: location)))
        super.init(deadline: .inlinedZero, latest: .inlinedZero)
    }
    #endif

    /// The time since the scope's start, on its clock.
    func now() -> Duration {
        #if canImport(Glibc)
        if let engineClock { return engineClock.now() }
        #endif
        return clock.now()
    }

    /// Takes the scope's own entry out of its clock's engine if it put it there, under the scope's lock
    /// (so that it cannot undo a newer arming).
    private func takeEntryOutOfEngine(_ storage: inout Storage) {
        #if canImport(Glibc)
        if storage.deadlineInEngine, let engineClock {
            engineClock.engine.cancel(self)
        }
        #endif
        storage.deadlineInEngine = false
    }

    var deadline: Duration? {
        storage.withLock { $0.machine.deadline }
    }

    func reschedule(to deadline: Duration?) {
        reschedule(to: deadline, now: now())
    }

    /// Moves the deadline, with `now` read from the scope's clock by the caller.
    func reschedule(to deadline: Duration?, now: Duration) {
        let (action, previousTimer) = storage.withLock { storage in
            let action = storage.machine.setDeadline(deadline, now: now)
            if case .arm(let newDeadline, let generation) = action {
                // On an engine clock this is one heap update — the scope's entry moves in place.
                return (CancelScopeStateMachine.DeadlineAction.none, armDeadline(&storage, at: newDeadline, generation: generation))
            }
            return (action, disarmDeadline(&storage))
        }
        // Stopped now so it does not linger until its old deadline (a stale one that fires anyway is
        // ignored: its generation is old).
        previousTimer?.cancel()
        perform(action)
    }

    func cancel(reason: String) {
        let now = self.now()
        let mustCancel = storage.withLock { $0.machine.cancel(reason: reason, now: now) }
        if mustCancel {
            perform(.cancel)
        }
    }

    var isCancelled: Bool {
        storage.withLock { $0.machine.cancellation != nil }
    }

    var didCatchCancellation: Bool {
        storage.withLock { $0.machine.caughtCancellation }
    }

    var reason: CancellationReason? {
        storage.withLock { $0.machine.cancellation?.reason }
    }

    var remaining: Duration? {
        guard let deadline else { return nil }
        return max(.zero, deadline - now())
    }

    // MARK: Running the scope

    /// How a scope's block ended, when it did not throw.
    @usableFromInline
    enum Outcome<Value> {
        /// The block returned a value (possibly after the scope was cancelled).
        case completed(Value)
        /// The block ended by the scope's own cancellation; the error is what a throwing scope throws for
        /// it (``TimeoutError`` or ``ScopeCancelledError``).
        case cancelledByScope(any Error)
    }

    /// Runs `operation` in a child task under this scope and waits for it.
    ///
    /// Throws the operation's error unless it is a `CancellationError` caused by the scope's own
    /// cancellation while the caller is not cancelled, in which case the outcome is `cancelledByScope`.
    @inlinable
    func run<Value>(
        isolation: isolated (any Actor)?,
        operation: () async throws -> sending Value
    ) async throws -> sending Outcome<Value> {
        try await withoutActuallyEscaping(operation) { operation in
            begin()
            // Sound: the closure is called exactly once, by the child task below, on the caller's isolation,
            // while this task is suspended awaiting that child; the child's start and completion order the
            // hand-over, and `withoutActuallyEscaping` checks the closure did not outlive the call.
            let box = UncheckedSendableBox(value: operation)
            // The child's result. Sound: only the child writes it, once, and this task reads it only after
            // the group has waited for the child, which orders the write before the read; the value is
            // `sending` (disconnected) and the error `Sendable`.
            nonisolated(unsafe) var result: Result<Value, any Error>?
            // The child task is cancelled with its caller by the task tree; no cancellation handler is
            // needed (when the scope cancels it, it notes whether the caller had done so first).
            //
            // A discarding group: the child leaves its result in `result`, so the group keeps no result of
            // a generic type (waiting for one, and draining the group, are generic code in the standard
            // library that looks up type metadata on every call).
            await withDiscardingTaskGroup { group in
                // An immediate child starts on this thread: an operation that does not suspend runs to
                // its end without a trip through the global executor.
                //
                // The child's closure captures the caller's isolation, so it is isolated to it: on an actor
                // the child starts on that actor, synchronously, and runs the caller's operation there
                // without a hop (the caller is suspended inside `addImmediateTask` meanwhile).
                group.addImmediateTask { [isolation] in
                    _ = isolation
                    result = await self.runOperation(box)
                }
            }
            if let ending = finish() {
                await ending.complete()
            }
            // Whether the caller is cancelled matters only when the operation threw `CancellationError`, so
            // it is asked then (a caller cancelled by now sees its own cancellation, never a timeout).
            return try outcome(of: result.take()!, callerIsCancelled: Task.isCancelled)
        }
    }

    /// The body of the scope's child task: the operation, under the scope, on the isolation the child runs
    /// on (the caller's).
    @inlinable
    nonisolated(nonsending) func runOperation<Value>(
        _ box: UncheckedSendableBox<() async throws -> sending Value>
    ) async -> Result<Value, any Error> {
        // The scope is the innermost link of the child task's chain (a scope is its own link), and the task
        // is attached so that the scope can cancel it.
        await ScopeChain.storage.withValue(self) {
            attachCurrentTask()
            defer { detach() }
            do {
                return .success(try await box.value())
            } catch {
                return .failure(error)
            }
        }
    }

    /// Classifies how the operation ended; `callerIsCancelled` is evaluated only for a `CancellationError`.
    ///
    /// - Throws: The operation's error, unless it is a `CancellationError` caused by the scope's own
    ///   cancellation while the caller is not cancelled.
    @inlinable
    func outcome<Value>(
        of result: sending Result<Value, any Error>,
        callerIsCancelled: @autoclosure () -> Bool
    ) throws -> sending Outcome<Value> {
        switch consume result {
        case .success(let value):
            return .completed(value)
        case .failure(let error):
            if error is CancellationError, !callerIsCancelled(), let caught = takeCaughtCancellation() {
                return .cancelledByScope(caught)
            }
            throw error
        }
    }

    /// Starts the scope: arms its deadline, or marks it cancelled when the deadline has already passed.
    /// The scope's child task then binds the scope itself as its innermost link.
    @usableFromInline
    func begin() {
        let now = beginsAtStart ? .inlinedZero : self.now()
        performArmingUnderLock { $0.machine.begin(now: now) }
    }

    /// Records the current task (the scope's child) so the scope can cancel it.
    @usableFromInline
    func attachCurrentTask() {
        withUnsafeCurrentTask { task in
            if let task { attach(task) }
        }
    }

    // MARK: Internals

    /// If the scope was cancelled, marks its cancellation caught and returns the error a throwing scope
    /// throws for it.
    @usableFromInline
    func takeCaughtCancellation() -> (any Error)? {
        let cancellation = storage.withLock { storage -> CancelScopeStateMachine.Cancellation? in
            guard let cancellation = storage.machine.cancellation else { return nil }
            storage.machine.markCaught()
            return cancellation
        }
        return cancellation.map(error(for:))
    }

    func perform(_ action: CancelScopeStateMachine.DeadlineAction) {
        switch action {
        case .none:
            break
        case .arm:
            // Every transition that decides to arm a deadline arms it under the same lock
            // (`performArmingUnderLock`, `reschedule`), so an arming never reaches this point.
            preconditionFailure("a scope's deadline is armed under the lock of the transition that decides it")
        case .cancel:
            cancelOperationTask()
            armGraceTimer()
        }
    }

    /// Arms the deadline timer, under the scope's lock: on an engine clock the scope's own entry is
    /// inserted or moved in place; otherwise a new timer replaces the previous one, which is returned to be
    /// stopped once the lock is released.
    private func armDeadline(_ storage: inout Storage, at deadline: Duration, generation: UInt64) -> TimerRegistration? {
        #if canImport(Glibc)
        if let engineClock {
            _ = engineClock.armDeadline(of: self, at: deadline, tolerance: tolerance, token: generation)  // always nil
            storage.deadlineInEngine = true
            return nil
        }
        #endif
        guard let timer = clock.armDeadline(of: self, at: deadline, tolerance: tolerance, token: generation) else {
            storage.deadlineInEngine = true
            return nil
        }
        let replaced = storage.retireDeadlineTimer()
        storage.deadlineTimer = timer
        return replaced
    }

    /// Disarms the deadline timer, under the scope's lock; returns a timer to stop once the lock is
    /// released.
    private func disarmDeadline(_ storage: inout Storage) -> TimerRegistration? {
        takeEntryOutOfEngine(&storage)
        return storage.retireDeadlineTimer()
    }

    /// The deadline timer armed for `generation` fired (the scope is its own timer entry).
    override func fire(token generation: UInt64) {
        let now = self.now()
        performArmingUnderLock { $0.machine.timerFired(generation: generation, now: now) }
    }

    /// Runs a transition of the state machine under the scope's lock and performs its action; arming a
    /// deadline is done under the same lock, so the common start of a scope takes the lock once.
    private func performArmingUnderLock(_ transition: (inout Storage) -> CancelScopeStateMachine.DeadlineAction) {
        let (action, replaced) = storage.withLock { storage -> (CancelScopeStateMachine.DeadlineAction, TimerRegistration?) in
            let action = transition(&storage)
            if case .arm(let deadline, let generation) = action {
                return (.none, armDeadline(&storage, at: deadline, generation: generation))
            }
            return (action, nil)
        }
        replaced?.cancel()
        perform(action)
    }

    /// After the scope's own cancellation, arms the timer that reports an operation ignoring it.
    private func armGraceTimer() {
        guard let gracePeriod = diagnostics.gracePeriod, gracePeriod > .zero, gracePeriod < longestArmableDuration else {
            return
        }
        storage.withLock { storage in
            guard storage.machine.phase == .running, let cancelledAt = storage.machine.cancellation?.at else { return }
            storage.otherTimers.append(clock.arm(at: cancelledAt + gracePeriod, tolerance: tolerance) { [self] fired in
                if fired { reportIfUncooperative() }
            })
        }
    }

    private func reportIfUncooperative() {
        guard let cancellation = storage.withLock({ $0.machine.uncooperativeCheck() }) else { return }
        let ignoredFor = clock.now() - cancellation.at
        diagnostics.logger.warning(
            "Operation has ignored cancellation for \(ignoredFor.humanReadable); its callers are still waiting",
            metadata: [
                "scope": "\(location)",
                "reason": "\(cancellation.reason)",
                "ignored_for": "\(ignoredFor.humanReadable)",
            ]
        )
    }

    /// The operation's task starts: the scope can cancel it from now on, and it starts cancelled if the
    /// scope was cancelled before it.
    func attach(_ task: UnsafeCurrentTask) {
        let startsCancelled = operationTask.withLock { slot in
            slot.task = OperationTaskReference(task: task)
            return slot.cancelRequested
        }
        if startsCancelled {
            // A child task is created cancelled when its caller already is.
            if task.isCancelled { noteCallerCancelledFirst() }
            task.cancel()
        }
    }

    @usableFromInline
    func detach() {
        operationTask.withLock { $0.task = nil }
    }

    /// Cancels the operation's task for the scope's own cancellation, or has it start cancelled.
    private func cancelOperationTask() {
        // The reference is only present between `attach` and `detach`, which the operation's task does
        // itself under this lock, so the task is alive while we cancel it.
        let wasCancelled = operationTask.withLock { slot -> Bool in
            guard let reference = slot.task else {
                slot.cancelRequested = true
                return false
            }
            return reference.withTask { task in
                // Only the scope and the task tree cancel the operation's task, so if it is already
                // cancelled the cancellation of the scope's caller reached it first.
                let wasCancelled = task.isCancelled
                task.cancel()
                return wasCancelled
            }
        }
        if wasCancelled { noteCallerCancelledFirst() }
    }

    /// Records that the caller's cancellation reached the operation before the scope's own.
    private func noteCallerCancelledFirst() {
        storage.withLock { $0.machine.noteCallerCancelledFirst() }
    }

    /// Ends the scope: no timer may act on it any more, and every timer it armed has finished when this
    /// returns.
    ///
    /// Synchronous in the common case — engine timers stop at once — so that a scope on an actor does not
    /// leave the actor to end; only timers that run as sleeping tasks, and the uncooperative-operation
    /// report, continue in ``ScopeEnding/complete()``.
    @usableFromInline
    func finish() -> ScopeEnding? {
        let leftovers = storage.withLock { storage -> (deadline: TimerRegistration?, others: [TimerRegistration], report: CancelScopeStateMachine.Cancellation?)? in
            storage.machine.finish()
            takeEntryOutOfEngine(&storage)
            let report = storage.machine.reportedUncooperative ? storage.machine.cancellation : nil
            // The common case: an engine deadline, taken out above, and nothing else.
            guard storage.deadlineTimer != nil || !storage.otherTimers.isEmpty || report != nil else { return nil }
            defer {
                storage.deadlineTimer = nil
                storage.otherTimers = []
            }
            return (storage.deadlineTimer, storage.otherTimers, report)
        }
        guard let (deadlineTimer, otherTimers, report) = leftovers else { return nil }
        deadlineTimer?.cancel()
        for timer in otherTimers {
            timer.cancel()
        }
        var tasks = otherTimers.filter { !$0.isEngineTimer }
        if let deadlineTimer, !deadlineTimer.isEngineTimer {
            tasks.append(deadlineTimer)
        }
        guard !tasks.isEmpty || report != nil else { return nil }
        return ScopeEnding(core: self, timerTasks: tasks, report: report)
    }

    /// Logs that an operation which ignored the scope's cancellation has finished.
    fileprivate func logLateFinish(of report: CancelScopeStateMachine.Cancellation) {
        let after = clock.now() - report.at
        diagnostics.logger.notice(
            "Operation that ignored cancellation finished \(after.humanReadable) after it was cancelled",
            metadata: ["scope": "\(location)", "reason": "\(report.reason)"]
        )
    }
}

/// What is left of ending a scope after ``ScopeCore/finish()``: timers that run as sleeping tasks to wait
/// for, and a report to log.
///
/// A class, made only in the uncommon case, so that the scope's frame — which every pending scope keeps in
/// its caller's task — holds one reference rather than the whole record (twice over, as the compiler lays
/// it out), and fits the caller task's first allocator slab.
@usableFromInline
final class ScopeEnding: Sendable {
    private let core: ScopeCore
    private let timerTasks: [TimerRegistration]
    private let report: CancelScopeStateMachine.Cancellation?

    fileprivate init(core: ScopeCore, timerTasks: [TimerRegistration], report: CancelScopeStateMachine.Cancellation?) {
        self.core = core
        self.timerTasks = timerTasks
        self.report = report
    }

    /// Waits for the timers' tasks to end, then logs the report.
    @usableFromInline
    func complete() async {
        for timer in timerTasks {
            await timer.waitUntilFinished()
        }
        if let report {
            core.logLateFinish(of: report)
        }
    }
}

extension ScopeCore: ScopeLink {
    @usableFromInline
    var scopeRecord: (any ScopeRecord)? { self }
}

extension ScopeCore: ScopeRecord {
    @usableFromInline
    var ownCancellation: (reason: CancellationReason, callerCancelledFirst: Bool)? {
        storage.withLock { storage in
            storage.machine.cancellation.map { ($0.reason, $0.callerCancelledFirst) }
        }
    }

    @usableFromInline
    var deadlinePoint: (any DeadlinePoint)? {
        guard let deadline else { return nil }
        guard deadline - clock.now() < longestArmableDuration else { return nil }
        return clock.deadlinePoint(at: deadline)
    }
}

/// What a scope keeps about the task running its operation, under the scope's `operationTask` lock.
struct OperationTaskSlot: Sendable {
    /// The task, between its start and its end.
    var task: OperationTaskReference?
    /// The scope was cancelled before the task started: it must start cancelled.
    var cancelRequested = false
}

/// The task running a scope's operation, referred to without keeping it alive.
///
/// `UnsafeCurrentTask` is not `Sendable`, and it is not a frozen type: its layout is only known at run time,
/// so holding one in a scope would make every access to the scope's fields, and every copy of the slot, go
/// through offsets and value witnesses looked up at run time. Its representation is one reference to the
/// task, so this keeps those bits, without retaining them, and makes a proper copy — which retains the live
/// task — only to use it. Should the representation ever differ, it keeps a copy in a box instead.
///
/// Soundness (`@unchecked Sendable`, and the copy made from bits): the reference is stored only in a scope's
/// `operationTask` slot, which the operation's task fills itself when it starts and clears itself, under the
/// slot's lock, before it finishes; other threads use it only under that lock, to call `cancel()` and read
/// `isCancelled`, which are thread-safe. The task is therefore alive whenever the reference can be reached,
/// so the bits always name a live task when a copy is made from them.
struct OperationTaskReference: @unchecked Sendable {
    private enum Representation {
        /// The bits of the `UnsafeCurrentTask` (one unretained reference).
        case bits(UInt)
        /// A copy, for a layout other than one reference.
        case boxed(TaskBox)
    }

    private final class TaskBox {
        let task: UnsafeCurrentTask

        init(_ task: UnsafeCurrentTask) {
            self.task = task
        }
    }

    private let representation: Representation

    init(task: UnsafeCurrentTask) {
        representation = withUnsafeBytes(of: task) { bytes in
            guard bytes.count == MemoryLayout<UInt>.size else { return .boxed(TaskBox(task)) }
            return .bits(bytes.load(as: UInt.self))
        }
    }

    /// Whether the reference keeps the task's bits (the expected layout) rather than a boxed copy.
    var keepsBits: Bool {
        if case .bits = representation { return true }
        return false
    }

    /// Calls `body` with the task, which must be alive (see the type's soundness note).
    func withTask<Result>(_ body: (UnsafeCurrentTask) -> Result) -> Result {
        switch representation {
        case .bits(let bits):
            return withUnsafeBytes(of: bits) { bytes in
                // A copy made from the bits, retaining the task for the duration of `body`.
                body(bytes.load(as: UnsafeCurrentTask.self))
            }
        case .boxed(let box):
            return body(box.task)
        }
    }
}
