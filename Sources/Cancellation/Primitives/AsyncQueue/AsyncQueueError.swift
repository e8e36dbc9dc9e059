/// Why an ``AsyncQueue`` refused an element.
public enum AsyncQueueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The queue was finished (before the send, or while the sender waited for room); the element was not
    /// enqueued.
    case finished
    /// ``AsyncQueue/trySend(_:)`` found no room, or senders waiting for room; the element was not enqueued.
    case full

    /// A sentence describing the misuse, for example `sent on a finished AsyncQueue`.
    public var description: String {
        switch self {
        case .finished: "sent on a finished AsyncQueue"
        case .full: "AsyncQueue is full"
        }
    }
}
