/// The answer to releasing an ``AsyncLock`` hold that is not the current one.
public enum AsyncLockError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The ownership passed to ``AsyncLock/release(_:)`` does not hold the lock: it was released already,
    /// or it belongs to another lock. The lock was left unchanged.
    case notHeld

    /// A sentence describing the misuse, for example
    /// `released an AsyncLock that this ownership does not hold`.
    public var description: String {
        switch self {
        case .notHeld: "released an AsyncLock that this ownership does not hold"
        }
    }
}
