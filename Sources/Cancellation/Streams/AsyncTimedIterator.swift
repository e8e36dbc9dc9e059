/// The iterator of ``AsyncTimeoutSequence`` and ``AsyncDeadlineSequence``: the upstream's elements, each
/// `next()` run under a deadline.
///
/// The deadline of a per-element timeout starts anew at every `next()`; that of a deadline over the whole
/// iteration is fixed at the first `next()` (or given as an instant) and is the same for every later one.
/// Either way each `next()` is one scope around the upstream's `next()`, and the rules are the same:
///
/// - An element that arrives before the deadline is returned; one that arrives at the very instant the
///   deadline fires is returned too, never dropped, and never delivered twice.
/// - When the deadline passes first, the upstream's pending `next()` is cancelled and the iterator throws
///   ``TimeoutError``; afterwards the iterator is finished and returns `nil`. An upstream that answers the
///   cancellation by ending (as `AsyncStream` does) has timed out, not ended.
/// - When the deadline fired while the upstream was already returning an element, the element is delivered;
///   but the upstream was cancelled, so if it later ends instead of producing more, that end is reported as
///   the ``TimeoutError`` it really is.
/// - The upstream's own errors pass through unchanged and end the iteration.
/// - Cancelling the consuming task cancels the upstream's pending `next()`; the iterator then reports what
///   the upstream did — `CancellationError` or the end — never ``TimeoutError``.
public struct AsyncTimedIterator<Upstream: AsyncIteratorProtocol, C: Clock>: AsyncIteratorProtocol where C.Duration == Duration {
    /// The upstream's elements.
    public typealias Element = Upstream.Element
    /// Any error: ``TimeoutError`` or the upstream's own.
    public typealias Failure = any Error

    /// The deadline of each `next()`.
    @usableFromInline
    enum Window: Sendable {
        /// A duration from each `next()` call: a per-element timeout.
        case eachElement(Duration)
        /// A duration from the first `next()` call, for the whole iteration.
        case fromFirstElement(Duration)
        /// An instant of the clock, for the whole iteration.
        case until(C.Instant)
    }

    @usableFromInline var upstream: Upstream
    @usableFromInline let window: Window
    /// For a deadline over the whole iteration: the first `next()` call and the deadline, once started.
    @usableFromInline var started: (start: C.Instant, deadline: C.Instant?)?
    @usableFromInline var finished = false
    /// The timeout that cancelled the upstream while it returned an element; a later end is reported as
    /// this timeout.
    @usableFromInline var interrupted: (any Error)?
    @usableFromInline let tolerance: Duration?
    @usableFromInline let clock: C
    @usableFromInline let location: ScopeLocation

    @usableFromInline
    init(upstream: Upstream, window: Window, tolerance: Duration?, clock: C, location: ScopeLocation) {
        self.upstream = upstream
        self.window = window
        self.tolerance = tolerance
        self.clock = clock
        self.location = location
    }

    /// Waits for the upstream's next element until the deadline.
    ///
    /// If the consuming task is cancelled, the upstream's pending `next()` is cancelled too.
    ///
    /// - Returns: The next element, or `nil` when the upstream ended or the iteration is finished.
    /// - Throws: ``TimeoutError`` when the deadline passed first; `CancellationError` when the consuming task
    ///   was cancelled and the upstream threw it; otherwise the upstream's own error.
    @inlinable
    public mutating func next() async throws -> Element? {
        try await next(isolation: nil)
    }

    /// Waits for the upstream's next element until the deadline, running the upstream's `next` on `actor`
    /// so that non-`Sendable` elements stay in the consumer's isolation.
    ///
    /// If the consuming task is cancelled, the upstream's pending `next()` is cancelled too.
    ///
    /// - Parameter actor: The consumer's actor; `for try await` passes it.
    /// - Returns: The next element, or `nil` when the upstream ended or the iteration is finished.
    /// - Throws: ``TimeoutError`` when the deadline passed first; `CancellationError` when the consuming task
    ///   was cancelled and the upstream threw it; otherwise the upstream's own error.
    @inlinable
    public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
        guard !finished else { return nil }
        do {
            let element = try await step(in: makeScope(), isolation: actor)
            if element == nil { finished = true }
            return element
        } catch {
            finished = true
            throw error
        }
    }

    /// The scope of one `next()`.
    @inlinable
    mutating func makeScope() -> ScopeCore {
        switch window {
        case .eachElement(let timeout):
            return ScopeCore.startingNow(on: clock, timeout: timeout, tolerance: tolerance, location: location)
        case .fromFirstElement, .until:
            let started = self.started ?? start()
            // Offsets are measured from the first `next()`, so a `TimeoutError` reports the whole budget.
            return ScopeCore(
                clock: clock, start: started.start, deadline: started.deadline.map { started.start.duration(to: $0) },
                tolerance: tolerance, location: location, beginsAtStart: false
            )
        }
    }

    /// Fixes the iteration's start and deadline at the first `next()`.
    @inlinable
    mutating func start() -> (start: C.Instant, deadline: C.Instant?) {
        let start = clock.now
        let started: (start: C.Instant, deadline: C.Instant?)
        switch window {
        case .eachElement(let timeout), .fromFirstElement(let timeout):
            started = (start, start.deadline(after: timeout))
        case .until(let instant):
            started = (start, instant)
        }
        self.started = started
        return started
    }

    /// Runs one `next()` of the upstream as `scope`'s block, and turns the scope's own cancellation into the
    /// error that stands for it (``TimeoutError``).
    @inlinable
    mutating func step(in scope: ScopeCore, isolation: isolated (any Actor)?) async throws -> Element? {
        let outcome = try await scope.runForOperator(isolation: isolation) {
            // Sound: the element moves from the scope's child task back to this task, which is suspended
            // awaiting that child for the whole call; the child's completion orders the hand-over, so the
            // two tasks never reach the element at the same time.
            UncheckedSendableBox(value: try await nextOfUpstream(isolation: isolation))
        }
        switch consume outcome {
        case .returned(let box, let scopeCancellation):
            if box.value == nil {
                // An upstream that ended because a deadline cancelled it has timed out; it has not ended.
                if !Task.isCancelled, let error = scopeCancellation ?? interrupted {
                    throw error
                }
            } else if interrupted == nil, let scopeCancellation {
                // The element won the race against the deadline, but the upstream was cancelled.
                interrupted = scopeCancellation
            }
            return box.value
        case .cancelledByScope(let error):
            throw error
        }
    }

    /// The upstream's `next`, on `isolation` where the platform can say so.
    @inlinable
    mutating func nextOfUpstream(isolation: isolated (any Actor)?) async throws -> Element? {
        if #available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *) {
            return try await upstream.next(isolation: isolation)
        }
        // Before `next(isolation:)`, an iterator's `next()` is nonisolated. Sound: the iterator is reached by
        // this call alone — the consuming task is suspended awaiting the scope's child for the whole step —
        // so handing it to the nonisolated `next()` and back cannot race.
        nonisolated(unsafe) var iterator = upstream
        defer { upstream = iterator }
        return try await iterator.next()
    }
}

extension AsyncTimedIterator: Sendable where Upstream: Sendable {}
