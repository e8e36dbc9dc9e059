/// A value handed from one task to another exactly once: it cannot be copied, and reading it consumes it.
///
/// Where a value crosses from a child task to the task waiting for it through a captured variable — the
/// child's result in a scope — the box makes the hand-over's shape part of the type: one write, one
/// ``take()``, no second reader. The task that writes it and the task that takes it must be ordered (the
/// child's completion before the waiting task's read); each use states how.
///
/// - Note: Task groups and tasks require their results to be copyable, so values that come back as a child
///   task's result (the races, `gather`) travel in ``UncheckedSendableBox`` instead.
@usableFromInline
struct OneShot<Value>: ~Copyable, @unchecked Sendable {
    // Sound only under the one-write, one-take discipline above, ordered by the tasks' own synchronisation.
    @usableFromInline
    let value: Value

    @inlinable
    init(_ value: consuming Value) {
        self.value = value
    }

    /// Consumes the box and returns its value.
    @inlinable
    consuming func take() -> Value {
        value
    }
}
