
/// A flag that tasks can wait for, like Python's `asyncio.Event`: ``set()`` wakes every waiter, ``reset()``
/// clears the flag, ``wait()`` returns once the flag is set.
///
/// ```swift
/// let ready = AsyncEvent()
/// Task { try await ready.wait(); serve() }
/// configure()
/// ready.set()
/// ```
///
/// **Cancellation.** Waiting is a cancellation point, and every enclosing cancel scope or timeout applies to
/// it. The contract: *if a wait throws because of cancellation, it had no effect* — waiting consumes
/// nothing, so other waiters are unaffected. A task that is already cancelled throws `CancellationError`
/// even if the flag is set. No wakeup is lost: every task waiting when ``set()`` is called is released by
/// it, even if ``reset()`` follows before that task runs again. If `set()` and a waiter's cancellation
/// coincide, the waiter either returns normally or throws, never both and never neither.
///
/// - Warning: A waiter that resumes after `set()` may find the flag already cleared by a `reset()`; the
///   event says that the flag was set, not that it still is.
public final class AsyncEvent: Sendable {
    private let state: LockedValue<AsyncEventStateMachine<WaiterContinuation<Void>>>

    /// Creates an event.
    ///
    /// - Parameter isSet: Whether the flag starts set; by default it starts clear.
    public init(isSet: Bool = false) {
        state = LockedValue(AsyncEventStateMachine(isSet: isSet))
    }

    /// Whether the flag is set at this instant.
    public var isSet: Bool {
        state.withLock { $0.isSet }
    }

    /// The number of tasks waiting at this instant, for diagnostics and tests.
    public var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Sets the flag and releases every waiting task. Setting a set event does nothing.
    ///
    /// Setting never waits and is not affected by cancellation.
    public func set() {
        let released = state.withLock { $0.set() }
        for continuation in released { continuation.resume() }
    }

    /// Clears the flag; later calls of ``wait()`` suspend until the next ``set()``.
    ///
    /// Tasks already released by an earlier `set()` stay released.
    public func reset() {
        state.withLock { $0.reset() }
    }

    /// Returns once the flag is set: at once if it is set now, else at the next ``set()``.
    ///
    /// On cancellation — before the call or while waiting — this throws `CancellationError`.
    ///
    /// - Throws: `CancellationError` if the task was cancelled before the flag was seen set.
    nonisolated(nonsending) public func wait() async throws {
        try Task.checkCancellation()
        guard case .wait(let id) = state.withLock({ $0.waitOrReserve() }) else { return }
        try await suspendAsWaiter(isolation: #isolation) { (continuation: WaiterContinuation<Void>) in
            switch state.withLock({ $0.register(id, continuation) }) {
            case .resume: continuation.resume()
            case .resumeCancelled: continuation.resume(throwing: CancellationError())
            case .suspended: break
            }
        } cancel: { [self] in
            if case .resumeCancelled(let continuation) = state.withLock({ $0.cancel(id) }) {
                continuation.resume(throwing: CancellationError())
            }
        }
    }
}
