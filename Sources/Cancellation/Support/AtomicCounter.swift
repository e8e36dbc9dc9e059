import Synchronization

/// A process-wide monotonically increasing counter.
final class AtomicCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    /// Adds one and returns the new value (the first call returns 1).
    func increment() -> UInt64 {
        value.add(1, ordering: .relaxed).newValue
    }
}
