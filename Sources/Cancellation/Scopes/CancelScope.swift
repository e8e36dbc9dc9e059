
/// A handle on a running cancel scope: its deadline can be read and moved, and it can be cancelled with a
/// reason from any task or thread.
///
/// You get a `CancelScope` from ``withCancelScope(deadline:tolerance:clock:fileID:line:operation:)->Value?``
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
    public var clock: C { clockStart.clock }
    /// How late the scope's timer may fire, passed on to the clock.
    public var tolerance: Duration? { core.tolerance }
    /// Where the scope was opened.
    public var location: ScopeLocation { core.location }

    /// The scope's machinery, which does not depend on the clock's type.
    @usableFromInline
    let core: ScopeCore
    /// The clock and the scope's start on it (a ``ClockStart``), for converting instants to offsets.
    ///
    /// Kept as an existential so that this generic class stores nothing of a generic type: its deinit is
    /// not specialised, and destroying a `ClockStart<C>` field looked up that type's metadata on every
    /// scope. An existential carries its own.
    private let storedClockStart: any Sendable

    /// `storedClockStart` as what it always is.
    private var clockStart: ClockStart<C> {
        // Sound: `init` stores a `ClockStart<C>` and nothing else.
        storedClockStart as! ClockStart<C>
    }

    /// Makes a scope, to be run at once.
    ///
    /// - Parameters:
    ///   - clock: The scope's clock.
    ///   - start: The scope's start, already read; `nil` to read it now.
    ///   - startIsNow: Whether `start` was read just now (the scope begins at it); `nil` when `start` is.
    ///   - deadline: The deadline, or `nil` for none.
    ///   - tolerance: How late the deadline may be enforced.
    ///   - location: Where the scope was opened.
    @usableFromInline
    @_specialize(exported: true, where C == ContinuousClock)
    @_specialize(exported: true, where C == SuspendingClock)
    init(
        clock: C,
        start: C.Instant? = nil,
        startIsNow: Bool = false,
        deadline: C.Instant?,
        tolerance: Duration?,
        location: ScopeLocation
    ) {
        // Every scope is run as soon as it is made, so a scope whose start was read just now begins at it
        // and beginning need not read the clock again; a start given by the caller may lie in the past.
        let beginsAtStart = start == nil || startIsNow
        let start = start ?? clock.now
        self.storedClockStart = ClockStart(clock: clock, start: start)
        self.core = ScopeCore(
            clock: clock, start: start, deadline: deadline.map { start.duration(to: $0) },
            tolerance: tolerance, location: location, beginsAtStart: beginsAtStart
        )
    }

    @usableFromInline
    @_specialize(exported: true, where C == ContinuousClock)
    @_specialize(exported: true, where C == SuspendingClock)
    convenience init(clock: C, timeout: Duration, tolerance: Duration?, location: ScopeLocation) {
        let now = clock.now
        self.init(clock: clock, start: now, startIsNow: true, deadline: now.deadline(after: timeout), tolerance: tolerance, location: location)
    }

    // MARK: Public interface

    /// The scope's deadline, or `nil` when it has none.
    ///
    /// Setting it moves the deadline later or earlier, or removes it with `nil`, while the block runs; a
    /// deadline that has already passed cancels the block at once. Setting it after the scope was cancelled
    /// or has finished records the value but does not undo anything.
    public var deadline: C.Instant? {
        get { core.deadline.map { clockStart.start.advanced(by: $0) } }
        set { reschedule(to: newValue) }
    }

    /// Moves the scope's deadline to `deadline`, or removes it with `nil`.
    ///
    /// - Parameter deadline: The new deadline; one in the past cancels the scope's block at once.
    public func reschedule(to deadline: C.Instant?) {
        core.reschedule(to: deadline.map { clockStart.start.duration(to: $0) })
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
        operation: (CancelScope<C>) async throws -> Value
    ) async throws -> ScopeCore.Outcome<Value> {
        try await core.run(isolation: isolation) { try await operation(self) }
    }
}

/// A scope's clock and its start on it.
struct ClockStart<C: Clock>: Sendable where C.Duration == Duration {
    let clock: C
    let start: C.Instant
}
