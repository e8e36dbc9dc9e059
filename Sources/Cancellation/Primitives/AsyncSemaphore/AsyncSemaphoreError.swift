/// The answer to signalling an ``AsyncSemaphore`` past its bound.
public enum AsyncSemaphoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// ``AsyncSemaphore/signal()`` found `maximum` permits available already (like Python's
    /// `BoundedSemaphore.release()` raising `ValueError`). The semaphore was left unchanged.
    case overflow

    /// A sentence describing the misuse, for example
    /// `signalled an AsyncSemaphore that already has its maximum number of permits`.
    public var description: String {
        switch self {
        case .overflow: "signalled an AsyncSemaphore that already has its maximum number of permits"
        }
    }
}
