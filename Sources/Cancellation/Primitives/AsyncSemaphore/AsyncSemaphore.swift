
/// A counting semaphore for async code whose waits are cancellation points, served in FIFO order.
///
/// The semaphore holds a number of permits. ``wait()`` takes one, suspending while none is
/// available; ``signal()`` returns one, handing it straight to the longest-waiting task if there is one, so a
/// task arriving later cannot overtake the waiters. ``withPermit(_:)`` is the scoped form. This is
/// Python's `asyncio.Semaphore`, or `asyncio.BoundedSemaphore` with a `maximum`.
///
/// ```swift
/// let downloads = AsyncSemaphore(permits: 4)
/// let page = try await downloads.withPermit { try await fetch(url) }
/// ```
///
/// **Cancellation.** Waiting is a cancellation point, and every enclosing cancel scope or timeout applies to
/// it. The contract: *if a wait throws because of cancellation, it had no effect* — no permit was taken. A
/// task that is already cancelled throws `CancellationError` without taking a permit. If a permit was
/// handed to a waiter at the instant it was cancelled, the hand-off wins: the wait returns normally and the
/// task owns the permit (it must signal it back, which ``withPermit(_:)`` does). So after
/// `signal()` with waiters A and B, if A is cancelled, either A holds the permit or B gets it — never
/// neither. No waiter is resumed twice and no signal is lost.
///
/// - Warning: The semaphore does not track which task holds which permit: any task may signal. Signalling
///   more than was taken is caught only up to `maximum` (see ``signal()``).
public final class AsyncSemaphore: Sendable {
    private let state: LockedValue<AsyncSemaphoreStateMachine<WaiterContinuation<Void>>>

    /// Creates a semaphore with `permits` available permits, of which at most `maximum` may be available
    /// at once.
    ///
    /// - Precondition: `permits >= 0` and `maximum >= max(permits, 1)`.
    /// - Parameters:
    ///   - permits: The permits available at first.
    ///   - maximum: The bound that ``signal()`` enforces; the default is unbounded in practice
    ///     (`Int.max`). Pass `permits` to get Python's `BoundedSemaphore`.
    public init(permits: Int, maximum: Int = .max) {
        precondition(permits >= 0, "AsyncSemaphore needs a non-negative number of permits")
        precondition(maximum >= max(permits, 1), "AsyncSemaphore's maximum must be at least max(permits, 1)")
        state = LockedValue(AsyncSemaphoreStateMachine(permits: permits, maximum: maximum))
    }

    /// The permits available at this instant; the answer may be out of date as soon as it is returned.
    public var availablePermits: Int {
        state.withLock { $0.permits }
    }

    /// The number of tasks waiting for a permit at this instant, for diagnostics and tests.
    public var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Takes a permit if one is available, without waiting.
    ///
    /// This is not a cancellation point: it neither suspends nor checks for cancellation.
    ///
    /// - Returns: Whether a permit was taken.
    public func tryWait() -> Bool {
        state.withLock { $0.tryWait() }
    }

    /// Waits until a permit is available and takes it.
    ///
    /// Waiters are served in FIFO order. On cancellation — before the call or while waiting — this throws
    /// `CancellationError` and no permit was taken. If a permit was handed over at the instant of
    /// cancellation, this returns normally and the caller owns the permit.
    ///
    /// - Throws: `CancellationError` if the task was cancelled before it got a permit.
    nonisolated(nonsending) public func wait() async throws {
        try Task.checkCancellation()
        guard case .wait(let id) = state.withLock({ $0.waitOrReserve() }) else { return }
        try await suspendAsWaiter(isolation: #isolation) { (continuation: WaiterContinuation<Void>) in
            switch state.withLock({ $0.register(id, continuation) }) {
            case .resumeAcquired: continuation.resume()
            case .resumeCancelled: continuation.resume(throwing: CancellationError())
            case .suspended: break
            }
        } cancel: { [self] in
            if case .resumeCancelled(let continuation) = state.withLock({ $0.cancel(id) }) {
                continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Returns a permit, handing it to the longest-waiting task if there is one.
    ///
    /// Signalling never waits and is not affected by cancellation.
    ///
    /// - Throws: ``AsyncSemaphoreError/overflow`` if `maximum` permits are available already; the
    ///   semaphore is then left unchanged.
    public func signal() throws(AsyncSemaphoreError) {
        let action = try state.withLock { (machine) throws(AsyncSemaphoreError) in try machine.signal() }
        if case .resume(let continuation) = action { continuation.resume() }
    }

    /// Waits for a permit, runs `body`, and signals the permit back when `body` returns or throws.
    ///
    /// On cancellation while waiting, this throws `CancellationError` and `body` did not run.
    ///
    /// If other code signalled permits it never took, so that the semaphore is at its `maximum` when `body`
    /// ends, the permit is dropped rather than pushed past the bound.
    ///
    /// - Parameters:
    ///   - body: The work to run while holding a permit; it runs on the caller's actor.
    /// - Returns: What `body` returns.
    /// - Throws: `CancellationError` if the task was cancelled before it got a permit; otherwise what `body`
    ///   throws.
    nonisolated(nonsending) public func withPermit<Result>(
        _ body: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await wait()
        let result: Result
        do {
            result = try await body()
        } catch {
            signalHeld()
            throw error
        }
        signalHeld()
        return result
    }

    /// Returns a permit this type took itself.
    private func signalHeld() {
        do {
            try signal()
        } catch {
            // Reachable only if other code signalled permits it never took, up to the maximum; the permit
            // taken here is then dropped rather than exceeding the bound (documented on `withPermit`).
            return
        }
    }
}
