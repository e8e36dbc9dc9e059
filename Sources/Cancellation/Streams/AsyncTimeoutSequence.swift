// MARK: - Operators

extension AsyncSequence {
    /// Returns a sequence that fails with ``TimeoutError`` when the next element takes longer than
    /// `timeout` to arrive: a per-element (idle) timeout, like Combine's and Rx's `.timeout`.
    ///
    /// Every call to the iterator's `next()` waits at most `timeout`, measured on `clock` from the moment
    /// `next()` is called; a slow consumer is not counted against the upstream. This is `async for` inside
    /// `asyncio.wait_for(anext(it), timeout)`, element by element.
    ///
    /// - If an element arrives in time, it is returned; an element that arrives at the very instant the
    ///   deadline fires is returned too, never dropped, and it is never delivered twice.
    /// - If the deadline passes first, the upstream's pending `next()` is cancelled and the iterator throws
    ///   ``TimeoutError`` naming the line that applied the operator. After that the sequence is finished:
    ///   `next()` returns `nil`, like a Combine publisher that completed with a failure. An upstream that
    ///   answers the cancellation by ending (such as `AsyncStream`) is reported as timed out, not as ended.
    /// - When the deadline fires while the upstream is already returning an element, the element is
    ///   delivered; but the upstream's `next()` was cancelled, so if the upstream later ends instead of
    ///   producing more, that end is reported as the ``TimeoutError`` it really is.
    /// - The upstream's own errors pass through unchanged and end the sequence.
    /// - Cancelling the consuming task cancels the upstream's pending `next()`; the iterator then reports
    ///   what the upstream did — `CancellationError` or the end of the sequence — never ``TimeoutError``.
    ///
    /// ```swift
    /// for try await line in socket.lines.timeout(after: .seconds(30)) {
    ///     handle(line)
    /// }   // throws TimeoutError if the peer stays silent for 30 seconds
    /// ```
    ///
    /// - Warning: The upstream's `next()` runs in a child task for each element, which costs a task and a
    ///   timer per element — cheap beside real I/O, but noticeable for sequences that produce elements
    ///   without suspending. Cancellation is cooperative: an upstream that ignores it keeps `next()` waiting
    ///   past the deadline.
    ///
    /// - Parameters:
    ///   - timeout: How long each `next()` may wait for an element, measured on `clock`.
    ///   - tolerance: How late each deadline may be enforced; `nil` for the clock's default.
    ///   - clock: The clock that measures the timeout.
    ///   - fileID: The file that applies the operator, for ``TimeoutError``. Leave the default.
    ///   - line: The line that applies the operator. Leave the default.
    /// - Returns: The timed sequence.
    /// - Throws: Its iterator throws ``TimeoutError`` when an element was late, `CancellationError` when
    ///   the consuming task was cancelled and the upstream threw it, and otherwise the upstream's own errors.
    public func timeout<C: Clock>(
        after timeout: Duration,
        tolerance: Duration? = nil,
        clock: C,
        fileID: String = #fileID,
        line: Int = #line
    ) -> AsyncTimeoutSequence<Self, C> where C.Duration == Duration {
        AsyncTimeoutSequence(
            base: self,
            timeout: timeout,
            tolerance: tolerance,
            clock: clock,
            location: ScopeLocation(fileID: fileID, line: line)
        )
    }

    /// Returns a sequence that fails with ``TimeoutError`` when the next element takes longer than
    /// `timeout` to arrive, measured on the continuous clock.
    ///
    /// This is ``_Concurrency/AsyncSequence/timeout(after:tolerance:clock:fileID:line:)`` with
    /// `ContinuousClock`; see it for the full contract.
    ///
    /// - Parameters:
    ///   - timeout: How long each `next()` may wait for an element.
    ///   - tolerance: How late each deadline may be enforced; `nil` for the clock's default.
    ///   - fileID: The file that applies the operator; leave the default.
    ///   - line: The line that applies the operator; leave the default.
    /// - Returns: The timed sequence.
    /// - Throws: Its iterator throws ``TimeoutError``, `CancellationError`, or the upstream's own errors.
    public func timeout(
        after timeout: Duration,
        tolerance: Duration? = nil,
        fileID: String = #fileID,
        line: Int = #line
    ) -> AsyncTimeoutSequence<Self, ContinuousClock> {
        self.timeout(after: timeout, tolerance: tolerance, clock: ContinuousClock(), fileID: fileID, line: line)
    }
}

// MARK: - AsyncTimeoutSequence

/// An asynchronous sequence whose every element must arrive within a time limit.
///
/// Create one with ``_Concurrency/AsyncSequence/timeout(after:tolerance:clock:fileID:line:)``. Its iterator
/// throws ``TimeoutError`` when an element is late, and is finished afterwards.
///
/// Cancelling the consuming task cancels the upstream's pending `next()`; the upstream's own errors pass
/// through unchanged; no element is lost or duplicated when the deadline and an element arrive together.
public struct AsyncTimeoutSequence<Base: AsyncSequence, C: Clock>: AsyncSequence where C.Duration == Duration {
    /// The upstream's elements.
    public typealias Element = Base.Element
    /// Any error: ``TimeoutError`` or the upstream's own.
    public typealias Failure = any Error

    @usableFromInline let base: Base
    @usableFromInline let timeout: Duration
    @usableFromInline let tolerance: Duration?
    @usableFromInline let clock: C
    @usableFromInline let location: ScopeLocation

    @usableFromInline
    init(base: Base, timeout: Duration, tolerance: Duration?, clock: C, location: ScopeLocation) {
        self.base = base
        self.timeout = timeout
        self.tolerance = tolerance
        self.clock = clock
        self.location = location
    }

    /// Makes the iterator; the first timeout starts when its `next()` is first called.
    ///
    /// - Returns: A new iterator over the upstream.
    @inlinable
    public func makeAsyncIterator() -> AsyncTimedIterator<Base.AsyncIterator, C> {
        AsyncTimedIterator(upstream: base.makeAsyncIterator(), window: .eachElement(timeout), tolerance: tolerance, clock: clock, location: location)
    }
}

extension AsyncTimeoutSequence: Sendable where Base: Sendable {}
