/// A pending timer in a ``TimerEngine``; subclasses say what firing does.
///
/// A cancel scope is itself the entry of its deadline (``ScopeCore`` is a subclass), so arming a deadline
/// allocates nothing; other timers are ``ClosureTimerEntry``s.
///
/// `@unchecked Sendable`: the mutable fields belong to the engine that holds the entry and are only read or
/// written while that engine's lock is held (the heap is the engine's state), so no two threads reach them at
/// the same time; subclasses add only `let`s of `Sendable` types or state behind their own locks.
@usableFromInline
class TimerEntry: @unchecked Sendable {
    /// When the timer must have fired, as an offset on its engine: its deadline plus its tolerance. The heap
    /// is ordered by this. Guarded by the engine's lock (which orders every access, so the language's
    /// run-time exclusivity checks are skipped for these fields).
    @exclusivity(unchecked) final var timerLatest: Duration = .inlinedZero
    /// A value handed to ``fire(token:)`` when the timer fires; arming again can change it (a scope uses it
    /// for the generation of its deadline). Guarded by the engine's lock.
    @exclusivity(unchecked) final var timerToken: UInt64 = 0
    /// The entry's position in its engine's heap, or `nil` when it is in none. Guarded by the engine's lock.
    @exclusivity(unchecked) final var heapIndex: Int?

    init() {}

    /// Runs when the timer fires, with the entry's token at that moment, on the thread that runs the
    /// engine's due timers and without any lock of the engine held; it must be quick. Subclasses override it.
    ///
    /// - Parameter token: The token the entry was last armed with.
    func fire(token: UInt64) {
        preconditionFailure("a timer entry subclass says what firing does")
    }
}

/// A timer entry that runs a closure when it fires.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is; the one property this class adds is a `let`
/// holding a `@Sendable` closure.
final class ClosureTimerEntry: TimerEntry, @unchecked Sendable {
    private let action: @Sendable () -> Void

    init(action: @escaping @Sendable () -> Void) {
        self.action = action
    }

    override func fire(token: UInt64) {
        action()
    }
}

/// A timer armed with ``TimerEngine/schedule(at:tolerance:action:)``, which can be disarmed.
struct TimerRegistration: Sendable {
    let engine: TimerEngine
    let entry: TimerEntry

    /// Disarms the timer.
    ///
    /// - Returns: `true` when it was still pending; `false` when it has fired (its action may be running now).
    @discardableResult
    func cancel() -> Bool {
        engine.cancel(entry)
    }
}
