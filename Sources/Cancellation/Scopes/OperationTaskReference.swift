// The task that runs a scope's operation: the scope records it when it starts, so that the scope's own
// cancellation can cancel it — and only it, never the scope's caller.

extension ScopeCore {
    /// Records the current task (the operation's) so the scope can cancel it: the operation's task starts,
    /// the scope can cancel it from now on, and it starts cancelled if the scope was cancelled before it.
    @usableFromInline
    func attachCurrentTask() {
        guard let task = OperationTaskReference.current() else { return }
        let startsCancelled = withOperationTask { slot in
            slot.task = task
            return slot.cancelRequested
        }
        if startsCancelled {
            // A child task is created cancelled when its caller already is.
            if Task.isCancelled { noteCallerCancelledFirst() }
            // This task is alive: it is the one running this code.
            task.withTask { $0.cancel() }
        }
    }

    @usableFromInline
    func detach() {
        withOperationTask { $0.task = nil }
    }

    /// Cancels the operation's task for the scope's own cancellation, or has it start cancelled.
    func cancelOperationTask() {
        // The reference is only present between `attachCurrentTask()` (or `beginAttachingCurrentTask()`) and
        // `detach()`, which the operation's task does itself under this lock, so the task is alive while we
        // cancel it.
        let wasCancelled = withOperationTask { slot -> Bool in
            guard let reference = slot.task else {
                slot.cancelRequested = true
                return false
            }
            return reference.withTask { task in
                // Only the scope and the task tree cancel the operation's task, so if it is already
                // cancelled the cancellation of the scope's caller reached it first.
                let wasCancelled = task.isCancelled
                task.cancel()
                return wasCancelled
            }
        }
        if wasCancelled { noteCallerCancelledFirst() }
    }

    /// Records that the caller's cancellation reached the operation before the scope's own.
    private func noteCallerCancelledFirst() {
        withState { $0.noteCallerCancelledFirst() }
    }
}

/// What a scope keeps about the task running its operation, under the scope's `operationTask` lock.
struct OperationTaskSlot: Sendable {
    /// The task, between its start and its end.
    var task: OperationTaskReference?
    /// The scope was cancelled before the task started: it must start cancelled.
    var cancelRequested = false
}

/// The task running a scope's operation, referred to without keeping it alive.
///
/// `UnsafeCurrentTask` is not `Sendable`, and it is not a frozen type: its layout is only known at run time,
/// so holding one in a scope would make every access to the scope's fields, and every copy of the slot, go
/// through offsets and value witnesses looked up at run time. Its representation is one reference to the
/// task, so this keeps those bits, without retaining them, and makes a proper copy — which retains the live
/// task — only to use it. Should the representation ever differ, it keeps a copy in a box instead.
///
/// Soundness (`@unchecked Sendable`, and the copy made from bits): the reference is stored only in a scope's
/// `operationTask` slot, which the operation's task fills itself when it starts and clears itself, under the
/// slot's lock, before it finishes; other threads use it only under that lock, to call `cancel()` and read
/// `isCancelled`, which are thread-safe. The task is therefore alive whenever the reference can be reached,
/// so the bits always name a live task when a copy is made from them.
struct OperationTaskReference: @unchecked Sendable {
    private enum Representation {
        /// The bits of the `UnsafeCurrentTask` (one unretained reference).
        case bits(UInt)
        /// A copy, for a layout other than one reference.
        case boxed(TaskBox)
    }

    private final class TaskBox {
        let task: UnsafeCurrentTask

        init(_ task: UnsafeCurrentTask) {
            self.task = task
        }
    }

    private let representation: Representation

    private init(representation: Representation) {
        self.representation = representation
    }

    init(task: UnsafeCurrentTask) {
        representation = withUnsafeBytes(of: task) { bytes in
            guard bytes.count == MemoryLayout<UInt>.size else { return .boxed(TaskBox(task)) }
            return .bits(bytes.load(as: UInt.self))
        }
    }

    /// The task this code runs in, or `nil` outside any task.
    ///
    /// Where an optional `UnsafeCurrentTask` is one word with `nil` as zero (checked once, see
    /// ``currentTaskIsBits``), the word is read as it is handed to `withUnsafeCurrentTask`'s closure: a
    /// closure that unwraps or copies the optional instead works on a value of a resilient type, through its
    /// metadata and value witnesses and a stack allocation sized at run time, which cost about 3 % of a whole
    /// no-op `withTimeout` call (by `perf`, see Benchmarks/README.md).
    static func current() -> OperationTaskReference? {
        if currentTaskIsBits {
            // Sound: `currentTaskIsBits` proved both types are one word (all `unsafeBitCast` requires) and
            // `nil` the word zero; any other word is the current task, alive while this code runs in it.
            let bits = withUnsafeCurrentTask { task in unsafeBitCast(task, to: UInt.self) }
            return bits == 0 ? nil : OperationTaskReference(representation: .bits(bits))
        }
        return withUnsafeCurrentTask { task in task.map(OperationTaskReference.init(task:)) }
    }

    /// Whether an `UnsafeCurrentTask` and its optional are each one word, with `nil` as the word zero, as
    /// they are on every platform of Swift 6.3 (one reference to the task); otherwise ``current()`` takes
    /// the general path.
    ///
    /// Sound (the `unsafeBitCast` below): `&&` evaluates it only once both sizes above have been found to
    /// be one word, which is all `unsafeBitCast` requires; it reads the bits of `nil` and nothing else.
    private static let currentTaskIsBits: Bool =
        MemoryLayout<UnsafeCurrentTask>.size == MemoryLayout<UInt>.size
        && MemoryLayout<UnsafeCurrentTask?>.size == MemoryLayout<UInt>.size
        && unsafeBitCast(UnsafeCurrentTask?.none, to: UInt.self) == 0  // sound: see the note above

    /// Whether the reference keeps the task's bits (the expected layout) rather than a boxed copy.
    var keepsBits: Bool {
        if case .bits = representation { return true }
        return false
    }

    /// Calls `body` with the task, which must be alive (see the type's soundness note).
    func withTask<Result>(_ body: (UnsafeCurrentTask) -> Result) -> Result {
        switch representation {
        case .bits(let bits):
            return withUnsafeBytes(of: bits) { bytes in
                // A copy made from the bits, retaining the task for the duration of `body`.
                body(bytes.load(as: UnsafeCurrentTask.self))
            }
        case .boxed(let box):
            return body(box.task)
        }
    }
}
