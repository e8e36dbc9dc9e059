// MARK: - Operators

extension AsyncSequence {
    /// Returns a sequence whose whole iteration must finish within `duration`, or fail with
    /// ``TimeoutError``: one overall deadline, like `async with asyncio.timeout(delay):` around an
    /// `async for`.
    ///
    /// The deadline is `duration` after the iterator's first `next()` call, on `clock`, and it covers every
    /// later `next()` — time the consumer spends between elements counts too, as it does in asyncio.
    ///
    /// - Elements that arrive before the deadline are returned; one that arrives at the very instant the
    ///   deadline fires is returned too, never dropped, and never delivered twice.
    /// - When the deadline passes while `next()` waits, the upstream's pending `next()` is cancelled and
    ///   the iterator throws ``TimeoutError`` naming the line that applied the operator, with
    ///   ``TimeoutError/timeout`` equal to `duration`. A `next()` called after the deadline passed starts
    ///   the upstream's `next()` already cancelled, so an element it returns without suspending is still
    ///   delivered. After a ``TimeoutError`` the sequence is finished.
    /// - When the deadline fires while the upstream is already returning an element, the element is
    ///   delivered; but the upstream's `next()` was cancelled, so if the upstream later ends instead of
    ///   producing more, that end is reported as the ``TimeoutError`` it really is.
    /// - The upstream's own errors pass through unchanged and end the sequence.
    /// - Cancelling the consuming task cancels the upstream's pending `next()`; the iterator then reports
    ///   what the upstream did — `CancellationError` or the end of the sequence — never ``TimeoutError``.
    ///
    /// ```swift
    /// var received: [Message] = []
    /// do {
    ///     for try await message in inbox.deadline(after: .seconds(5)) { received.append(message) }
    /// } catch is TimeoutError {
    ///     // received holds everything that arrived in the five seconds
    /// }
    /// ```
    ///
    /// - Warning: The upstream's `next()` runs in a child task for each element, which costs a task and a
    ///   timer per element. Cancellation is cooperative: an upstream that ignores it keeps `next()` waiting
    ///   past the deadline.
    ///
    /// - Parameters:
    ///   - duration: How long the whole iteration may take, from the first `next()`, measured on `clock`.
    ///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
    ///   - clock: The clock that measures the deadline.
    ///   - fileID: The file that applies the operator, for ``TimeoutError``. Leave the default.
    ///   - line: The line that applies the operator. Leave the default.
    /// - Returns: The sequence with a deadline.
    /// - Throws: Its iterator throws ``TimeoutError`` when the deadline passed, `CancellationError` when the
    ///   consuming task was cancelled and the upstream threw it, and otherwise the upstream's own errors.
    public func deadline<C: Clock>(
        after duration: Duration,
        tolerance: Duration? = nil,
        clock: C,
        fileID: String = #fileID,
        line: Int = #line
    ) -> AsyncDeadlineSequence<Self, C> where C.Duration == Duration {
        AsyncDeadlineSequence(
            base: self,
            deadline: .relative(duration),
            tolerance: tolerance,
            clock: clock,
            location: ScopeLocation(fileID: fileID, line: line)
        )
    }

    /// Returns a sequence whose whole iteration must finish within `duration` on the continuous clock, or
    /// fail with ``TimeoutError``.
    ///
    /// This is ``_Concurrency/AsyncSequence/deadline(after:tolerance:clock:fileID:line:)`` with
    /// `ContinuousClock`; see it for the full contract.
    ///
    /// - Parameters:
    ///   - duration: How long the whole iteration may take, from the first `next()`.
    ///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
    ///   - fileID: The file that applies the operator; leave the default.
    ///   - line: The line that applies the operator; leave the default.
    /// - Returns: The sequence with a deadline.
    /// - Throws: Its iterator throws ``TimeoutError``, `CancellationError`, or the upstream's own errors.
    public func deadline(
        after duration: Duration,
        tolerance: Duration? = nil,
        fileID: String = #fileID,
        line: Int = #line
    ) -> AsyncDeadlineSequence<Self, ContinuousClock> {
        deadline(after: duration, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line)
    }

    /// Returns a sequence whose whole iteration must finish by the absolute `deadline`, or fail with
    /// ``TimeoutError``: `async with asyncio.timeout_at(when):` around an `async for`.
    ///
    /// The contract is that of ``_Concurrency/AsyncSequence/deadline(after:tolerance:clock:fileID:line:)``;
    /// ``TimeoutError/timeout`` is the time from the first `next()` to `deadline`.
    ///
    /// - Parameters:
    ///   - deadline: The instant of `clock` by which the iteration must finish.
    ///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
    ///   - clock: The clock `deadline` belongs to.
    ///   - fileID: The file that applies the operator, for ``TimeoutError``. Leave the default.
    ///   - line: The line that applies the operator. Leave the default.
    /// - Returns: The sequence with a deadline.
    /// - Throws: Its iterator throws ``TimeoutError`` when the deadline passed, `CancellationError` when the
    ///   consuming task was cancelled and the upstream threw it, and otherwise the upstream's own errors.
    public func deadline<C: Clock>(
        at deadline: C.Instant,
        tolerance: Duration? = nil,
        clock: C,
        fileID: String = #fileID,
        line: Int = #line
    ) -> AsyncDeadlineSequence<Self, C> where C.Duration == Duration {
        AsyncDeadlineSequence(
            base: self,
            deadline: .absolute(deadline),
            tolerance: tolerance,
            clock: clock,
            location: ScopeLocation(fileID: fileID, line: line)
        )
    }
}

// MARK: - AsyncDeadlineSequence

/// An asynchronous sequence whose whole iteration must finish by a deadline.
///
/// Create one with ``_Concurrency/AsyncSequence/deadline(after:tolerance:clock:fileID:line:)`` or
/// ``_Concurrency/AsyncSequence/deadline(at:tolerance:clock:fileID:line:)``. Its iterator throws
/// ``TimeoutError`` when the deadline passes, and is finished afterwards.
///
/// Cancelling the consuming task cancels the upstream's pending `next()`; the upstream's own errors pass
/// through unchanged; no element is lost or duplicated when the deadline and an element arrive together.
public struct AsyncDeadlineSequence<Base: AsyncSequence, C: Clock>: AsyncSequence where C.Duration == Duration {
    /// The upstream's elements.
    public typealias Element = Base.Element
    /// Any error: ``TimeoutError`` or the upstream's own.
    public typealias Failure = any Error

    /// How the deadline was given.
    @usableFromInline
    enum Deadline: Sendable {
        /// A duration from the first `next()`.
        case relative(Duration)
        /// An instant of the clock.
        case absolute(C.Instant)
    }

    @usableFromInline let base: Base
    @usableFromInline let deadline: Deadline
    @usableFromInline let tolerance: Duration?
    @usableFromInline let clock: C
    @usableFromInline let location: ScopeLocation

    @usableFromInline
    init(base: Base, deadline: Deadline, tolerance: Duration?, clock: C, location: ScopeLocation) {
        self.base = base
        self.deadline = deadline
        self.tolerance = tolerance
        self.clock = clock
        self.location = location
    }

    /// Makes the iterator; a relative deadline starts counting when its `next()` is first called.
    ///
    /// - Returns: A new iterator over the upstream.
    @inlinable
    public func makeAsyncIterator() -> AsyncTimedIterator<Base.AsyncIterator, C> {
        let window: AsyncTimedIterator<Base.AsyncIterator, C>.Window
        switch deadline {
        case .relative(let duration):
            window = .fromFirstElement(duration)
        case .absolute(let instant):
            window = .until(instant)
        }
        return AsyncTimedIterator(upstream: base.makeAsyncIterator(), window: window, tolerance: tolerance, clock: clock, location: location)
    }
}

extension AsyncDeadlineSequence: Sendable where Base: Sendable {}
