
/// A mutual-exclusion lock for async code whose waits are cancellation points; waiters are served in FIFO
/// order.
///
/// Use ``withLock(_:)``: it waits for the lock, runs the body, and releases the lock when the
/// body returns or throws. An uncontended acquisition never suspends.
///
/// **Fairness.** Waiters are woken in the order they started waiting, one at a time. The lock is *barging*,
/// like Go's `sync.Mutex` and most thread mutexes: releasing it with waiters frees it and wakes the
/// longest-waiting task, and until that task has run, a task that is already running and asks for the lock
/// may take it first. The woken task then waits again at the head of the line. This saves a task switch per
/// acquisition under contention. A waiter is never overtaken for long: once it has waited about 1 ms and
/// finds the lock taken again, the lock switches to direct hand-off — each release hands it to the first
/// waiter, and newcomers queue behind — until a waiter is served within 1 ms of asking or none is left.
///
/// ```swift
/// let lock = AsyncLock()
/// try await withTimeout(.seconds(1)) {
///     try await lock.withLock { try await connection.write(frame) }
/// }
/// ```
///
/// **Cancellation.** Waiting for the lock is a cancellation point, and every enclosing cancel scope or
/// timeout applies to it with no extra API. The contract: *if a wait throws because of cancellation, it had
/// no effect* — the task never held the lock, and nothing else changed. A task that is already cancelled
/// throws `CancellationError` without taking the lock, even when it is free. If a waiter was woken (or
/// handed the lock) in the same instant it was cancelled, the wakeup wins when the lock is still free: the
/// waiter takes it and its acquisition returns normally (so `withLock` runs its body, which sees the
/// cancellation at its first cancellation point, and then releases the lock to the next waiter); if a
/// running task took the lock meanwhile, the cancelled waiter throws, and that task's release wakes the
/// next waiter. No waiter is resumed twice, none is left waiting for a release that already happened, and
/// cancelled waiters never delay the others.
///
/// Cleanup that must take the lock in a cancelled task runs inside ``withCancellationShield(operation:)``.
///
/// - Warning: The lock is not reentrant: calling ``withLock(_:)`` from inside its own body waits
///   forever (or until cancelled). It is not an actor either: the body may suspend while holding the lock,
///   and all other waiters wait that long.
public final class AsyncLock: Sendable {
    /// Proof of holding an ``AsyncLock``, returned by ``AsyncLock/acquire()`` and consumed by
    /// ``AsyncLock/release(_:)``.
    ///
    /// Each acquisition gets a distinct ownership, so a stale or foreign one is recognised on release.
    public struct Ownership: Hashable, Sendable {
        let lock: ObjectIdentifier
        let generation: UInt64
    }

    private let state = LockedValue(AsyncLockStateMachine<WaiterContinuation<AsyncLockResumption>>())

    /// Creates an unlocked lock.
    public init() {}

    /// Whether some task holds the lock at this instant.
    ///
    /// The answer may be out of date as soon as it is returned; use it for diagnostics, not for decisions.
    public var isLocked: Bool {
        state.withLock { $0.holder != nil }
    }

    /// The number of tasks waiting for the lock at this instant, for diagnostics and tests.
    public var waiterCount: Int {
        state.withLock { $0.waiterCount }
    }

    private func ownership(_ generation: UInt64) -> Ownership {
        Ownership(lock: ObjectIdentifier(self), generation: generation)
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// This is not a cancellation point: it neither suspends nor checks for cancellation. Like any running
    /// task, it may take a free lock before a woken waiter has run (see the fairness rule in ``AsyncLock``).
    ///
    /// - Returns: The ownership to pass to ``release(_:)``, or `nil` if the lock is held.
    public func tryAcquire() -> Ownership? {
        state.withLock { $0.tryAcquire() }.map(ownership)
    }

    /// Waits until the lock is free and takes it.
    ///
    /// Prefer ``withLock(_:)``, which cannot forget to release. Waiters are woken in FIFO order;
    /// a running task may take the lock before a woken waiter has run (see the fairness rule in
    /// ``AsyncLock``).
    ///
    /// On cancellation — before the call or while waiting — this throws `CancellationError` and the lock
    /// was not taken. If the task was woken or handed the lock at the instant of cancellation and the lock is
    /// still free, this returns the ownership normally instead.
    ///
    /// - Returns: The ownership to pass to ``release(_:)`` exactly once.
    /// - Throws: `CancellationError` if the task was cancelled before it got the lock.
    nonisolated(nonsending) public func acquire() async throws -> Ownership {
        try Task.checkCancellation()
        switch state.withLock({ $0.acquireOrReserve() }) {
        case .acquired(let generation):
            return ownership(generation)
        case .wait(let id):
            let isolation = #isolation
            let generation = try await withTaskCancellationHandler(
                operation: { try await waitAsWaiter(id, isolation: isolation) },
                onCancel: { [self] in
                    if case .resumeCancelled(let continuation) = state.withLock({ $0.cancel(id) }) {
                        continuation.resume(throwing: CancellationError())
                    }
                },
                isolation: isolation
            )
            return ownership(generation)
        }
    }

    /// Waits for the lock and takes it, whether or not the task is cancelled: for ``AsyncCondition``, which
    /// takes the lock again before its wait returns or throws, as asyncio's does.
    func acquireIgnoringCancellation(isolation: isolated (any Actor)?) async -> Ownership {
        switch state.withLock({ $0.acquireOrReserve() }) {
        case .acquired(let generation):
            return ownership(generation)
        case .wait(let id):
            do {
                return ownership(try await waitAsWaiter(id, isolation: isolation))
            } catch {
                // Unreachable: a waiter is resumed with an error only after `cancel(id)`, which only the
                // cancellation handler of `acquire` calls, and this wait installs none.
                preconditionFailure("AsyncLock: a wait without a cancellation handler failed: \(error)")
            }
        }
    }

    /// Suspends as waiter `id` until the lock is handed over or taken; returns the generation of the hold.
    ///
    /// A woken waiter that finds the lock taken again queues again (at the front) and suspends anew, under the
    /// same id and so the same cancellation handler.
    private func waitAsWaiter(_ id: UInt64, isolation: isolated (any Actor)?) async throws -> UInt64 {
        while true {
            let resumption: AsyncLockResumption = try await suspendOnce(isolation: isolation) { continuation in
                let now = monotonicNanoseconds()
                switch state.withLock({ $0.register(id, continuation, now: now) }) {
                case .resumeAcquired(let generation): continuation.resume(returning: .acquired(generation))
                case .resumeCancelled: continuation.resume(throwing: CancellationError())
                case .suspended: break
                }
            }
            if case .acquired(let generation) = resumption { return generation }
        }
    }

    /// Whether `ownership` is the current hold of this lock.
    func holds(_ ownership: Ownership) -> Bool {
        ownership.lock == ObjectIdentifier(self) && state.withLock { $0.holder == ownership.generation }
    }

    /// Releases the lock held by `ownership`, waking the longest-waiting task if there is one (or handing
    /// it the lock, when a waiter has been overtaken for too long).
    ///
    /// Releasing never waits and is not affected by cancellation.
    ///
    /// - Parameter ownership: What ``acquire()`` or ``tryAcquire()`` returned.
    /// - Throws: ``AsyncLockError/notHeld`` if `ownership` does not hold this lock now (released before, or
    ///   from another lock); the lock is then left unchanged.
    public func release(_ ownership: Ownership) throws(AsyncLockError) {
        guard ownership.lock == ObjectIdentifier(self) else { throw .notHeld }
        let action = try state.withLock { (machine) throws(AsyncLockError) in
            try machine.release(ownership.generation, now: monotonicNanoseconds())
        }
        switch action {
        case .handOff(let continuation, let generation): continuation.resume(returning: .acquired(generation))
        case .wake(let continuation): continuation.resume(returning: .retry)
        case .none: break
        }
    }

    /// Releases a hold this type knows to be current.
    private func releaseHeld(_ ownership: Ownership) {
        do {
            try release(ownership)
        } catch {
            // Unreachable: `withLock` releases only the ownership it acquired, once.
            assertionFailure("AsyncLock: \(error)")
        }
    }

    /// Waits for the lock, runs `body` while holding it, and releases it when `body` returns or throws.
    ///
    /// An uncontended call never suspends before running `body`. Waiters are woken in FIFO order; a
    /// running task may take the lock before a woken waiter has run (see the fairness rule in ``AsyncLock``).
    ///
    /// On cancellation while waiting, this throws `CancellationError`, `body` did not run and the lock was
    /// not taken. If the task was woken or handed the lock at the instant of cancellation and the lock is
    /// still free, `body` runs (in a cancelled task) and the lock is released afterwards as usual.
    ///
    /// - Parameters:
    ///   - body: The critical section. It runs on the caller's actor (`nonisolated(nonsending)`), so it may
    ///     read and return the caller's own state.
    /// - Returns: What `body` returns.
    /// - Throws: `CancellationError` if the task was cancelled before it got the lock; otherwise what
    ///   `body` throws.
    nonisolated(nonsending) public func withLock<Result>(
        _ body: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        let held = try await acquire()
        let result: Result
        do {
            result = try await body()
        } catch {
            releaseHeld(held)
            throw error
        }
        releaseHeld(held)
        return result
    }

    /// Runs `body` while holding the lock if the lock is free now; otherwise returns `nil` without waiting.
    ///
    /// Taking the lock is not a cancellation point; `body` runs even in a cancelled task.
    ///
    /// - Parameters:
    ///   - body: The critical section; it runs on the caller's actor.
    /// - Returns: What `body` returns, or `nil` if the lock was held.
    /// - Throws: What `body` throws; the lock is released first.
    nonisolated(nonsending) public func withLockIfAvailable<Result, Failure: Error>(
        _ body: nonisolated(nonsending) () async throws(Failure) -> Result
    ) async throws(Failure) -> Result? {
        guard let held = tryAcquire() else { return nil }
        let result: Result
        do {
            result = try await body()
        } catch {
            releaseHeld(held)
            throw error
        }
        releaseHeld(held)
        return result
    }
}
