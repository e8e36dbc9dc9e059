// Pieces the exploration models share.

/// How a waiter's continuation was resumed.
enum Resumption: Hashable, CustomStringConvertible {
    /// The wait is over: the task got what it waited for.
    case granted
    /// The wait threw `CancellationError`.
    case cancelled
    /// The task was woken to try again (the lock's wake-up): it registers a fresh continuation.
    case retry
    /// The wait threw an error of the primitive (a broken barrier, a finished queue).
    case failed

    var description: String {
        switch self {
        case .granted: "granted"
        case .cancelled: "CancellationError"
        case .retry: "retry"
        case .failed: "the primitive's error"
        }
    }
}

/// A task waiting on a primitive the way the primitives wait (`suspendAsWaiter`): check cancellation, take
/// the fast path or reserve a waiter id, then — with the cancellation handler installed — register a fresh
/// continuation, and run on once it is resumed. The task may be cancelled at any step; its handler then
/// runs once, at any later moment while the task waits, racing everything else.
struct WaitingTask: Hashable {
    enum Phase: Hashable {
        /// Not started.
        case idle
        /// Holds a waiter id; its continuation is not registered yet.
        case reserved(UInt64)
        /// Its continuation is registered (queued, or already resumed and not yet run).
        case waiting(UInt64)
        /// The wait returned normally; the model decides what the task does next.
        case proceeded
        /// The wait threw `CancellationError`.
        case cancelled
        /// The wait threw the primitive's own error.
        case failed
        /// The task has finished whatever it did after the wait.
        case finished
    }

    /// The steps a waiting task can take.
    enum Step: Hashable, CustomStringConvertible {
        case start, register, wake, cancel, handler, finish

        var description: String {
            switch self {
            case .start: "checks cancellation, takes the fast path or reserves an id"
            case .register: "registers its continuation"
            case .wake: "resumes"
            case .cancel: "is cancelled"
            case .handler: "runs its cancellation handler"
            case .finish: "finishes"
            }
        }
    }

    /// How a fast path ended.
    enum Start {
        case proceeded
        case reserved(UInt64)
        case failed
    }

    var phase = Phase.idle
    var isCancelled: Bool
    init(isCancelled: Bool = false) {
        self.isCancelled = isCancelled
    }
    var handlerRan = false
    /// How the current continuation was resumed, if it was.
    var resumption: Resumption?
    /// How many times the current continuation was resumed.
    var resumptions = 0

    /// Waits for a resumption: registered, not resumed yet.
    var isQueued: Bool {
        if case .waiting = phase { return resumption == nil }
        return false
    }

    /// The task ended its wait one way or the other and has no step left.
    var hasEnded: Bool { phase == .cancelled || phase == .failed || phase == .finished }

    /// The steps this task can take now. `canFinish` lets a task whose wait returned take a `finish` step
    /// (models with more to do after the wait give it their own steps instead).
    func enabledSteps(canFinish: Bool = false) -> [Step] {
        var steps: [Step] = []
        switch phase {
        case .idle: steps.append(.start)
        case .reserved: steps.append(.register)
        case .waiting: if resumption != nil { steps.append(.wake) }
        case .proceeded: if canFinish { steps.append(.finish) }
        case .cancelled, .failed, .finished: break
        }
        if !isCancelled && !hasEnded && phase != .proceeded { steps.append(.cancel) }
        if isCancelled && !handlerRan {
            switch phase {
            case .reserved, .waiting: steps.append(.handler)
            default: break
            }
        }
        return steps
    }

    /// `Task.checkCancellation()`, then the fast path or a reservation.
    mutating func start(_ fastPath: () -> Start) {
        if isCancelled {
            phase = .cancelled
            return
        }
        switch fastPath() {
        case .proceeded: phase = .proceeded
        case .reserved(let id): phase = .reserved(id)
        case .failed: phase = .failed
        }
    }

    /// Registers a fresh continuation; returns the waiter id to register.
    mutating func registering() -> UInt64 {
        guard case .reserved(let id) = phase else { preconditionFailure("registering outside a reservation") }
        phase = .waiting(id)
        resumption = nil
        resumptions = 0
        return id
    }

    /// Resumes the current continuation.
    ///
    /// - Throws: ``ExplorationViolation`` if it was resumed before, or there is none.
    mutating func resume(_ how: Resumption, task: Int) throws(ExplorationViolation) {
        guard case .waiting = phase else {
            throw ExplorationViolation(message: "task \(task) resumed (\(how)) while it has no continuation (\(phase))")
        }
        resumptions += 1
        guard resumptions == 1 else {
            throw ExplorationViolation(message: "task \(task)'s continuation resumed a second time (\(how))")
        }
        resumption = how
    }

    /// Marks the handler run; returns the waiter id it cancels, if the task holds one.
    mutating func runningHandler() -> UInt64? {
        handlerRan = true
        switch phase {
        case .reserved(let id), .waiting(let id): return id
        default: return nil
        }
    }

    /// The steps that touch only the task: cancellation, running on after a resumption, finishing.
    mutating func take(_ step: Step) {
        switch step {
        case .cancel:
            isCancelled = true
        case .wake:
            switch (resumption, phase) {
            case (.granted, _): phase = .proceeded
            case (.retry, .waiting(let id)): phase = .reserved(id)  // registers again, same id
            case (.failed, _): phase = .failed
            default: phase = .cancelled
            }
        case .finish:
            phase = .finished
        case .start, .register, .handler:
            preconditionFailure("\(step) needs the machine")
        }
    }
}
