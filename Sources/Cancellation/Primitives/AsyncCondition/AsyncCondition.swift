
/// A condition variable bound to an ``AsyncLock``, whose waits are cancellation points — Python's
/// `asyncio.Condition`.
///
/// A task holding the lock calls ``wait(holding:)``: it releases the lock, suspends until another
/// task calls ``notify(_:)`` or ``notifyAll()``, and takes the lock again before returning. Check the
/// state you wait for in a loop, or use ``wait(for:holding:)``, which does it for you.
///
/// ```swift
/// let condition = AsyncCondition()
/// var items: [Item] = []   // guarded by condition.lock
///
/// // Consumer
/// let item = try await condition.withLock { held in
///     try await condition.wait(for: { !items.isEmpty }, holding: &held)
///     return items.removeFirst()
/// }
///
/// // Producer
/// try await condition.withLock { _ in
///     items.append(item)
///     condition.notify()
/// }
/// ```
///
/// The lock is identified by an ``AsyncLock/Ownership``, passed `inout` because waiting releases the lock
/// and takes it again under a new ownership. ``withLock(_:)`` hands its body the current one.
///
/// **Cancellation.** Waiting for a notification is a cancellation point, and every enclosing cancel scope or
/// timeout applies to it. Like asyncio, a wait takes the lock again before it returns *or throws*, also
/// when it is cancelled (taking it again is not a cancellation point), so the caller holds the lock
/// whatever happens and its cleanup runs under the lock. The contract: *if a wait throws because of
/// cancellation, it consumed no notification* — a notification only ever goes to a waiter queued at that
/// instant, and one that reaches a waiter in the same instant it is cancelled wins: that wait returns
/// normally. So a notification is never lost to a cancelled waiter (asyncio gh-112202): it either goes to
/// a waiter that returns normally, or, if the cancelled waiter left the queue first, to the next waiter.
/// A task that is already cancelled throws `CancellationError` at once, still holding the lock, without
/// waiting.
///
/// **Notifying.** ``notify(_:)`` and ``notifyAll()`` wake waiters in the order they started waiting, and
/// the woken waiters take the lock again in that order too (each is resumed once the one before it holds
/// the lock, so they never race for it; a task that is not waiting may still take the lock between
/// them). They
/// need not hold the lock (unlike asyncio, which raises), but a waiter that is about to wait is only
/// guaranteed to see a notification sent by a task holding the lock: change the guarded state and notify
/// while holding it.
public final class AsyncCondition: Sendable {
    /// The lock the condition is bound to. Hold it to change the state the condition is about.
    public let lock: AsyncLock

    private let state = LockedValue(AsyncConditionStateMachine<WaiterContinuation<Void>>())

    /// Creates a condition bound to `lock`, or to a new lock.
    ///
    /// - Parameter lock: The lock guarding the state the condition is about; share one lock between
    ///   several conditions about the same state.
    public init(lock: AsyncLock = AsyncLock()) {
        self.lock = lock
    }

    /// The number of tasks waiting for a notification at this instant, for diagnostics and tests.
    public var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Waits for the lock, runs `body` while holding it, and releases it when `body` returns or throws —
    /// ``AsyncLock/withLock(_:)`` that gives `body` the ownership to wait with.
    ///
    /// On cancellation while waiting for the lock, this throws `CancellationError` and `body` did not run.
    /// Inside `body`, a cancelled ``wait(holding:)`` throws with the lock held again, and the lock
    /// is released after `body` as usual.
    ///
    /// - Parameters:
    ///   - body: The critical section, run on the caller's actor; it receives the current ownership of the
    ///     lock, to pass to ``wait(holding:)``.
    /// - Returns: What `body` returns.
    /// - Throws: `CancellationError` if the task was cancelled before it got the lock; otherwise what
    ///   `body` throws.
    nonisolated(nonsending) public func withLock<Result>(
        _ body: nonisolated(nonsending) (inout AsyncLock.Ownership) async throws -> Result
    ) async throws -> Result {
        var held = try await lock.acquire()
        let result: Result
        do {
            result = try await body(&held)
        } catch {
            releaseAfterBody(held)
            throw error
        }
        releaseAfterBody(held)
        return result
    }

    private func releaseAfterBody(_ held: AsyncLock.Ownership) {
        do {
            try lock.release(held)
        } catch {
            // Unreachable unless `body` released the ownership it was lent itself, which `withLock` forbids.
            assertionFailure("AsyncCondition: \(error)")
        }
    }

    /// Releases the lock, waits for a notification, and takes the lock again before returning.
    ///
    /// The waiter is queued before the lock is released, so a notification sent by the next holder of the
    /// lock cannot be missed. Waits can also end without a notification only through cancellation; still,
    /// check the state you wait for in a loop (or use ``wait(for:holding:)``), since another task
    /// may change it between the notification and the moment this task holds the lock again.
    ///
    /// On cancellation — before the call or while waiting — this throws `CancellationError` after taking
    /// the lock again (or without ever releasing it, if the task was cancelled before it started waiting);
    /// no notification was consumed. If a notification reached this waiter at the instant it was
    /// cancelled, this returns normally. Taking the lock again is not a cancellation point.
    ///
    /// - Parameters:
    ///   - ownership: The current ownership of ``lock``; replaced by the new one when the lock is taken
    ///     again.
    /// - Throws: `CancellationError` if the task was cancelled before it was notified; the lock is held
    ///   again. ``AsyncLockError/notHeld`` if `ownership` does not hold ``lock``; nothing changed then.
    nonisolated(nonsending) public func wait(
        holding ownership: inout AsyncLock.Ownership
    ) async throws {
        guard lock.holds(ownership) else { throw AsyncLockError.notHeld }
        try Task.checkCancellation()
        let id = state.withLock { $0.reserve() }
        let held = ownership
        var released = false
        var failure: (any Error)?
        do {
            try await suspendAsWaiter(isolation: #isolation) { (continuation: WaiterContinuation<Void>) in
                switch state.withLock({ $0.register(id, continuation) }) {
                case .resumeCancelled:
                    continuation.resume(throwing: CancellationError())
                case .suspended:
                    // Queued first, released second: a notification sent after the release finds this waiter.
                    do {
                        try lock.release(held)
                        released = true
                    } catch {
                        // Someone else released this ownership meanwhile (a misuse): stop waiting at once.
                        if case .resumeCancelled(let queued) = state.withLock({ $0.cancel(id) }) {
                            queued.resume(throwing: error)
                        }
                    }
                }
            } cancel: { [self] in
                if case .resumeCancelled(let continuation) = state.withLock({ $0.cancel(id) }) {
                    continuation.resume(throwing: CancellationError())
                }
            }
        } catch {
            failure = error
        }
        if released {
            ownership = await lock.acquireIgnoringCancellation(isolation: #isolation)
        }
        if let failure { throw failure }
        // Notified, and holding the lock again: the next notified waiter may go for it now.
        state.withLock { $0.reacquired() }?.resume()
    }

    /// Waits, as often as needed, until `predicate` is true; the lock is held whenever `predicate` runs and
    /// when this returns — asyncio's `wait_for`.
    ///
    /// Returns at once, without waiting, if `predicate` is true already. On cancellation, this throws
    /// `CancellationError` with the lock held again, like ``wait(holding:)``.
    ///
    /// - Parameters:
    ///   - predicate: The state to wait for, read under the lock.
    ///   - ownership: The current ownership of ``lock``; replaced by the new one whenever the lock is taken
    ///     again.
    /// - Throws: `CancellationError` if the task was cancelled before `predicate` became true (the lock is
    ///   held again); ``AsyncLockError/notHeld`` if `ownership` does not hold ``lock``; what `predicate`
    ///   throws.
    nonisolated(nonsending) public func wait(
        for predicate: () throws -> Bool,
        holding ownership: inout AsyncLock.Ownership
    ) async throws {
        while try !predicate() {
            try await wait(holding: &ownership)
        }
    }

    /// Wakes up to `count` waiting tasks, longest-waiting first.
    ///
    /// Never waits and is not affected by cancellation. A waiter that was cancelled before the notification
    /// is not counted: the notification goes to the next waiter.
    ///
    /// - Parameter count: The most waiters to wake; `1` by default.
    /// - Returns: The number of waiters woken: fewer than `count` if fewer were waiting.
    @discardableResult
    public func notify(_ count: Int = 1) -> Int {
        guard count > 0 else { return 0 }
        let (notified, next) = state.withLock { $0.notify(count) }
        next?.resume()
        return notified
    }

    /// Wakes every waiting task.
    ///
    /// Never waits and is not affected by cancellation.
    ///
    /// - Returns: The number of waiters woken.
    @discardableResult
    public func notifyAll() -> Int {
        let (notified, next) = state.withLock { $0.notifyAll() }
        next?.resume()
        return notified
    }
}
