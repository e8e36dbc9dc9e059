extension CancelScope {
    /// Runs one `next()` of an upstream iterator as this scope's block, and turns the scope's own
    /// cancellation into the error a throwing scope throws for it (``TimeoutError``).
    ///
    /// The rules are the core's: an element the upstream returns after the deadline fired is returned, never
    /// dropped; an error of the upstream's own passes through unchanged; the caller's own cancellation is
    /// never reported as a timeout. One rule is added for streams: an upstream that answers the scope's
    /// cancellation by *ending* (`AsyncStream` and `AsyncThrowingStream` return `nil` when the task
    /// awaiting them is cancelled) has timed out, so that end is reported as the scope's ``TimeoutError``.
    /// The same holds for an end that comes later: when the deadline fired while the upstream was already
    /// returning an element, the element is returned, but the upstream was cancelled and may end because of
    /// it, so that scope's ``TimeoutError`` is kept in `interrupted` and thrown in place of a later end.
    ///
    /// - Parameters:
    ///   - iterator: The upstream iterator; it is advanced once, by the scope's child task, while this task
    ///     waits for it.
    ///   - interrupted: The timeout of an earlier step that cancelled the upstream while it returned an
    ///     element; this step sets it when that happens.
    ///   - isolation: The consumer's actor; the upstream's `next` runs there.
    /// - Returns: The upstream's element, or `nil` when it ended on its own.
    /// - Throws: ``TimeoutError`` when the deadline expired first; `CancellationError` when the consuming
    ///   task was cancelled; otherwise whatever the upstream threw.
    @inlinable
    func nextElement<Upstream: AsyncIteratorProtocol>(
        of iterator: inout Upstream,
        interrupted: inout (any Error)?,
        isolation: isolated (any Actor)?
    ) async throws -> Upstream.Element? {
        let outcome = try await run(isolation: isolation) { _ in
            // Sound: the element moves from the scope's child task back to this task, which is suspended
            // awaiting that child for the whole call; the child's completion orders the hand-over, so the
            // two tasks never reach the element at the same time.
            UncheckedSendableBox(value: try await iterator.next(isolation: isolation))
        }
        switch consume outcome {
        case .completed(let box):
            if box.value == nil {
                // An upstream that ended because a deadline cancelled it has timed out; it has not ended.
                if !Task.isCancelled, let error = core.catchCancellation() ?? interrupted {
                    throw error
                }
            } else if interrupted == nil, isCancelled {
                // The element won the race against the deadline, but the upstream was cancelled.
                interrupted = core.catchCancellation()
            }
            return box.value
        case .cancelledByScope(let error):
            throw error
        }
    }
}
