
/// A FIFO channel between tasks, bounded or unbounded, whose waits are cancellation points — Python's
/// `asyncio.Queue` with Go's `close`.
///
/// ``send(_:)`` adds an element, suspending while a bounded queue is full; ``receive()``
/// takes the oldest one, suspending while the queue is empty. ``finish()`` ends the queue: later sends
/// fail, and receivers get the buffered elements and then `nil`. Iterating the queue with `for try await`
/// receives until the end. Any number of tasks may send and receive; each element goes to exactly one
/// receiver, waiting senders and receivers are served in FIFO order.
///
/// A sender that finds a bounded queue full waits until the queue has drained to half its capacity; then
/// the waiting senders' elements move in together, as many as fit, and those senders resume. A steady
/// producer therefore suspends once per half-buffer rather than once per element. While senders wait, a
/// later send waits behind them even if there is room (so ``trySend(_:)`` reports ``AsyncQueueError/full``).
///
/// ```swift
/// let jobs = AsyncQueue<Job>(capacity: 64)
/// Task {
///     for job in pending { try await jobs.send(job) }
///     jobs.finish()
/// }
/// for try await job in jobs { try await run(job) }
/// ```
///
/// **Cancellation.** Both waits are cancellation points, and every enclosing cancel scope or timeout
/// applies to them. The contract: *if a wait throws because of cancellation, it had no effect* — a
/// cancelled ``send(_:)`` did not enqueue its element, a cancelled ``receive()`` took
/// none. A task that is already cancelled throws `CancellationError` at once. If an element was handed to
/// a waiting receiver at the instant it was cancelled, the hand-off wins: `receive` returns the element, so
/// no element is lost or duplicated; likewise a waiting sender whose element was taken at the instant it
/// was cancelled returns normally.
///
/// - Warning: An unbounded queue (`capacity: nil`) never makes senders wait, so a producer faster than its
///   consumers grows it without limit.
public final class AsyncQueue<Element: Sendable>: Sendable {
    private typealias Machine = AsyncQueueStateMachine<
        Element, WaiterContinuation<Element?>, WaiterContinuation<Void>
    >

    private let state: LockedValue<Machine>

    /// Creates an empty queue.
    ///
    /// - Precondition: `capacity` is `nil` or not negative.
    /// - Parameter capacity: The most elements the queue buffers before senders wait; `0` makes every send
    ///   wait for a receiver (a rendezvous); `nil` for no limit.
    public init(capacity: Int?) {
        precondition((capacity ?? 0) >= 0, "AsyncQueue's capacity must not be negative")
        state = LockedValue(Machine(capacity: capacity))
    }

    /// The most elements the queue buffers, or `nil` for no limit.
    public var capacity: Int? {
        state.withLock { $0.capacity }
    }

    /// The number of buffered elements at this instant.
    public var count: Int {
        state.withLock { $0.buffer.count }
    }

    /// Whether ``finish()`` was called.
    public var isFinished: Bool {
        state.withLock { $0.isFinished }
    }

    /// The number of senders and receivers waiting at this instant, for diagnostics and tests.
    public var waiterCount: (senders: Int, receivers: Int) {
        state.withLock { ($0.senders.count, $0.receivers.count) }
    }

    /// Adds `element` at the back, waiting while the queue is full.
    ///
    /// Once it has had to wait, the send completes when the queue has drained to half its capacity (or,
    /// with capacity 0, when a receiver takes the element).
    ///
    /// On cancellation — before the call or while waiting for room — this throws `CancellationError` and the
    /// element was not enqueued. If the element was taken at the instant of cancellation, this returns
    /// normally.
    ///
    /// - Parameters:
    ///   - element: The element to send.
    /// - Throws: ``AsyncQueueError/finished`` if the queue is finished, or is finished while this waits; the
    ///   element is then dropped. `CancellationError` if the task was cancelled before the element was
    ///   enqueued.
    nonisolated(nonsending) public func send(_ element: Element) async throws {
        try Task.checkCancellation()
        if state.withLock({ $0.sendBuffering(element) }) { return }
        switch state.withLock({ $0.send(element) }) {
        case .deliver(let receiver, let element):
            receiver.resume(returning: element)
        case .buffered:
            return
        case .finished:
            throw AsyncQueueError.finished
        case .wait(let id):
            try await suspendAsWaiter(isolation: #isolation) { (continuation: WaiterContinuation<Void>) in
                switch state.withLock({ $0.registerSender(id, continuation, element) }) {
                case .resumeDelivered(let receiver, let element):
                    receiver.resume(returning: element)
                    continuation.resume()
                case .resumeBuffered: continuation.resume()
                case .resumeFinished: continuation.resume(throwing: AsyncQueueError.finished)
                case .resumeCancelled: continuation.resume(throwing: CancellationError())
                case .suspended: break
                }
            } cancel: { [self] in
                cancelWaiter(id)
            }
        }
    }

    /// Adds `element` at the back if there is room now and no sender is waiting, without waiting.
    ///
    /// This is not a cancellation point.
    ///
    /// - Parameter element: The element to send.
    /// - Throws: ``AsyncQueueError/full`` if a bounded queue is full or senders are waiting,
    ///   ``AsyncQueueError/finished`` if the queue is finished; the element is not enqueued then.
    public func trySend(_ element: Element) throws(AsyncQueueError) {
        switch state.withLock({ $0.trySend(element) }) {
        case .deliver(let receiver, let element): receiver.resume(returning: element)
        case .buffered: return
        case .full: throw .full
        case .finished: throw .finished
        }
    }

    /// Takes the oldest element, waiting while the queue is empty.
    ///
    /// On cancellation — before the call or while waiting — this throws `CancellationError` and no element
    /// was taken. If an element was handed over at the instant of cancellation, this returns it.
    ///
    /// - Returns: The element, or `nil` once the queue is finished and drained.
    /// - Throws: `CancellationError` if the task was cancelled before it got an element.
    nonisolated(nonsending) public func receive() async throws -> Element? {
        try Task.checkCancellation()
        let taken = withUnsafeTemporaryAllocation(of: Element.self, capacity: 1) { slot in
            state.withLock { $0.receiveBuffered(into: slot.baseAddress!) } ? slot.baseAddress!.move() : nil
        }
        if let taken { return taken }
        switch state.withLock({ $0.receive() }) {
        case .element(let element, let senders):
            for sender in senders { sender.resume() }
            return element
        case .finished:
            return nil
        case .wait(let id):
            return try await suspendAsWaiter(isolation: #isolation) { (continuation: WaiterContinuation<Element?>) in
                switch state.withLock({ $0.registerReceiver(id, continuation) }) {
                case .resumeElement(let element, let senders):
                    for sender in senders { sender.resume() }
                    continuation.resume(returning: element)
                case .resumeFinished: continuation.resume(returning: nil)
                case .resumeCancelled: continuation.resume(throwing: CancellationError())
                case .suspended: break
                }
            } cancel: { [self] in
                cancelWaiter(id)
            }
        }
    }

    /// Takes the oldest element if there is one now, without waiting.
    ///
    /// This is not a cancellation point.
    ///
    /// - Returns: The element, or `nil` if none is available now (check ``isFinished`` to tell an empty
    ///   queue from an ended one).
    public func tryReceive() -> Element? {
        switch state.withLock({ $0.tryReceive() }) {
        case .element(let element, let senders):
            for sender in senders { sender.resume() }
            return element
        case .finished, .empty:
            return nil
        }
    }

    /// Ends the queue: waiting and later senders fail with ``AsyncQueueError/finished``, waiting receivers
    /// get `nil`, and later receivers get the buffered elements and then `nil`. Finishing twice does nothing
    /// more.
    public func finish() {
        let (receivers, senders) = state.withLock { $0.finish() }
        for receiver in receivers { receiver.resume(returning: nil) }
        for sender in senders { sender.resume(throwing: AsyncQueueError.finished) }
    }

    private func cancelWaiter(_ id: UInt64) {
        switch state.withLock({ $0.cancel(id) }) {
        case .resumeReceiver(let receiver): receiver.resume(throwing: CancellationError())
        case .resumeSender(let sender): sender.resume(throwing: CancellationError())
        case .none: break
        }
    }
}

extension AsyncQueue: AsyncSequence {
    /// Receives the queue's elements until it is finished and drained. Several iterators over one queue
    /// share its elements: each element goes to one of them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: AsyncQueue

        /// Receives the next element.
        ///
        /// On cancellation, this throws `CancellationError` and no element was taken.
        ///
        /// - Returns: The next element, or `nil` once the queue is finished and drained.
        /// - Throws: `CancellationError` if the task was cancelled before it got an element.
        public mutating func next() async throws -> Element? {
            try await queue.receive()
        }
    }

    /// Returns an iterator that receives (and so consumes) the queue's elements.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: self)
    }
}
