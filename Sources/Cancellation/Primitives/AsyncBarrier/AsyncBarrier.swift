
/// A meeting point for a fixed number of tasks, whose wait is a cancellation point — Python's
/// `asyncio.Barrier`.
///
/// Each of `parties` tasks calls ``wait()``; all of them wait until the last one arrives, then
/// all proceed together (the barrier *trips*), and the barrier is ready for the next round at once.
///
/// ```swift
/// let barrier = AsyncBarrier(parties: workers.count)
/// for worker in workers {
///     group.addTask {
///         try await worker.prepare()
///         try await barrier.wait()   // nobody starts before everybody is prepared
///         try await worker.run()
///     }
/// }
/// ```
///
/// ``abort()`` breaks the barrier: waiting and later waits fail with ``AsyncBarrierError/broken`` until
/// ``reset()``, which also fails the waits pending at that moment.
///
/// **Cancellation.** Waiting is a cancellation point, and every enclosing cancel scope or timeout applies
/// to it. The contract: *if a wait throws because of cancellation, it had no effect* — the task withdraws,
/// is not counted among the arrivals, and the barrier still needs `parties` arrivals to trip. This is what
/// asyncio's `Barrier.wait` does too (it uncounts the task on its way out); it is unlike the timeout of
/// Python's `threading.Barrier`, which breaks the barrier. To make the other parties give up when one is
/// cancelled, call ``abort()`` from its cancellation path. A task that is already cancelled throws
/// `CancellationError` at once, without arriving. If the barrier tripped at the instant a waiter was
/// cancelled, the trip wins: that wait returns normally.
public final class AsyncBarrier: Sendable {
    /// The number of arrivals that trip the barrier.
    public let parties: Int

    private let state: LockedValue<AsyncBarrierStateMachine<WaiterContinuation<Int>>>

    /// Creates a barrier for `parties` tasks.
    ///
    /// - Precondition: `parties` is at least 1.
    /// - Parameter parties: The number of arrivals that trip the barrier.
    public init(parties: Int) {
        precondition(parties >= 1, "AsyncBarrier needs at least one party")
        self.parties = parties
        state = LockedValue(AsyncBarrierStateMachine(parties: parties))
    }

    /// The number of tasks waiting at the barrier at this instant — asyncio's `n_waiting`.
    public var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Whether ``abort()`` broke the barrier (and ``reset()`` has not mended it since).
    public var isBroken: Bool {
        state.withLock { $0.isBroken }
    }

    /// Arrives at the barrier and waits until `parties` tasks have arrived.
    ///
    /// On cancellation — before the call or while waiting — this throws `CancellationError` and the task
    /// withdrew: it was not counted as an arrival. If the barrier tripped at the instant of cancellation,
    /// this returns normally.
    ///
    /// - Returns: This task's arrival index in the round, from `0` (first) to `parties - 1` (the arrival that
    ///   tripped the barrier); each index goes to exactly one task of the round.
    /// - Throws: ``AsyncBarrierError/broken`` if the barrier is broken, or is aborted or reset while this
    ///   waits. `CancellationError` if the task was cancelled before the barrier tripped.
    @discardableResult
    nonisolated(nonsending) public func wait() async throws -> Int {
        try Task.checkCancellation()
        switch state.withLock({ $0.arrive() }) {
        case .trip(let index, let released):
            for waiter in released { waiter.token.resume(returning: waiter.index) }
            return index
        case .broken:
            throw AsyncBarrierError.broken
        case .wait(let id):
            return try await suspendAsWaiter(isolation: #isolation) { (continuation: WaiterContinuation<Int>) in
                switch state.withLock({ $0.register(id, continuation) }) {
                case .resumeTripped(let index, let released):
                    for waiter in released { waiter.token.resume(returning: waiter.index) }
                    continuation.resume(returning: index)
                case .resumeBroken: continuation.resume(throwing: AsyncBarrierError.broken)
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

    /// Breaks the barrier: waiting tasks fail with ``AsyncBarrierError/broken``, and so do later waits until
    /// ``reset()``.
    ///
    /// Never waits and is not affected by cancellation. Aborting a broken barrier does nothing more.
    public func abort() {
        let waiters = state.withLock { $0.abort() }
        for waiter in waiters { waiter.resume(throwing: AsyncBarrierError.broken) }
    }

    /// Returns the barrier to its initial state: empty and not broken. Tasks waiting at that moment fail
    /// with ``AsyncBarrierError/broken``.
    ///
    /// Never waits and is not affected by cancellation.
    public func reset() {
        let waiters = state.withLock { $0.reset() }
        for waiter in waiters { waiter.resume(throwing: AsyncBarrierError.broken) }
    }
}
