/// Why an ``AsyncBarrier`` wait failed: Python's `asyncio.BrokenBarrierError`.
public enum AsyncBarrierError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The barrier was broken by ``AsyncBarrier/abort()`` (before the wait, or while it waited), or reset
    /// by ``AsyncBarrier/reset()`` while the wait was pending.
    case broken

    /// A sentence describing the failure, for example `the AsyncBarrier is broken`.
    public var description: String {
        switch self {
        case .broken: "the AsyncBarrier is broken"
        }
    }
}
