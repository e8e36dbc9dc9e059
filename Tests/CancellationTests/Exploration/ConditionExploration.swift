@testable import Cancellation

/// The condition's state machine as the exploration drives it.
protocol ExplorableConditionMachine: Hashable {
    typealias Real = AsyncConditionStateMachine<Int>
    init()
    var queuedWaiters: Int { get }
    /// Notified waiters not yet resumed, and whether one is resumed and on its way to the lock.
    var pendingHandOffs: (count: Int, inProgress: Bool) { get }
    mutating func reserve() -> UInt64
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction
    mutating func cancel(_ id: UInt64) -> Real.CancelAction
    mutating func notify(_ count: Int) -> (notified: Int, resume: Int?)
    mutating func notifyAll() -> (notified: Int, resume: Int?)
    mutating func reacquired() -> Int?
}

extension AsyncConditionStateMachine: ExplorableConditionMachine where Token == Int {
    var queuedWaiters: Int { waiters.count }
    var pendingHandOffs: (count: Int, inProgress: Bool) { (handOff.count, handOffInProgress) }
}

/// Two tasks that take the lock and `wait(holding:)` on the condition, each cancellable at any step, and a
/// third that calls `notify(1)` and then `notifyAll()`. The lock is modelled as a plain mutex (the lock's
/// own model checks the lock). These are the steps of `AsyncCondition.wait(holding:)`: check cancellation,
/// reserve, register (queued first, the lock released second), be notified one at a time, take the lock
/// again ignoring cancellation, and pass the baton to the next notified waiter.
struct ConditionModel<Machine: ExplorableConditionMachine>: ExplorationModel {
    static var waiters: Int { 2 }
    static var notifier: [Int] { [1, Int.max] }  // notify(1), then notifyAll()

    enum Stage: Hashable {
        /// Waiting for the lock before the wait.
        case locking
        /// In `wait(holding:)`; the wait's own steps are in the task's `WaitingTask`.
        case waiting
        /// The wait ended; taking the lock again.
        case relocking
        /// Holding the lock again; releases it and ends.
        case unlocking
        case done
    }

    struct State: Hashable {
        var machine: Machine
        var stages: [Stage]
        var waits: [WaitingTask]
        /// Whether the task's wait released the lock (registered and queued).
        var released: [Bool]
        var lockHolder: Int?
        var notifierStep = 0
    }

    enum Event: CustomStringConvertible {
        case lock(Int)
        case wait(Int, WaitingTask.Step)
        case relock(Int)
        case unlock(Int)
        case notify(Int)

        var description: String {
            switch self {
            case .lock(let task): "task \(task): takes the lock"
            case .wait(let task, let step): "task \(task): \(step) (wait(holding:))"
            case .relock(let task): "task \(task): takes the lock again"
            case .unlock(let task): "task \(task): releases the lock"
            case .notify(let count): count == Int.max ? "notifier: notifyAll()" : "notifier: notify(\(count))"
            }
        }
    }

    var initial: State {
        State(machine: Machine(), stages: Array(repeating: .locking, count: Self.waiters),
              waits: Array(repeating: WaitingTask(), count: Self.waiters), released: Array(repeating: false, count: Self.waiters))
    }

    func enabledEvents(in state: State) -> [Event] {
        var events: [Event] = []
        for task in 0..<Self.waiters {
            switch state.stages[task] {
            case .locking: if state.lockHolder == nil { events.append(.lock(task)) }
            case .waiting:
                let wait = state.waits[task]
                // The wait's last step is taking the lock again; `proceeded`/`cancelled` end the wait itself.
                events += wait.enabledSteps().filter { $0 != .finish }.map { .wait(task, $0) }
                if wait.hasEnded || wait.phase == .proceeded { events.append(.relock(task)) }
            case .relocking: if state.lockHolder == nil || state.lockHolder == task { events.append(.relock(task)) }
            case .unlocking: events.append(.unlock(task))
            case .done: break
            }
            if state.stages[task] == .locking && !state.waits[task].isCancelled { events.append(.wait(task, .cancel)) }
        }
        if state.notifierStep < Self.notifier.count { events.append(.notify(Self.notifier[state.notifierStep])) }
        return events
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var state = state
        switch event {
        case .notify(let count):
            state.notifierStep += 1
            let queued = state.machine.queuedWaiters
            let (notified, next) = count == Int.max ? state.machine.notifyAll() : state.machine.notify(count)
            if notified != min(count, queued) {
                throw ExplorationViolation(message: "notify(\(count)) woke \(notified) of \(queued) queued waiters")
            }
            if let next { try state.waits[next].resume(.granted, task: next) }
        case .lock(let task):
            state.lockHolder = task
            state.stages[task] = .waiting
        case .relock(let task):
            if state.stages[task] == .waiting {
                // The wait is over; it takes the lock again only if it had released it.
                state.stages[task] = state.released[task] ? .relocking : .unlocking
                if state.released[task] { return state }
            }
            if state.stages[task] == .relocking {
                state.lockHolder = task
                state.stages[task] = .unlocking
                if state.waits[task].phase == .proceeded, let next = state.machine.reacquired() {
                    try state.waits[next].resume(.granted, task: next)
                }
            }
        case .unlock(let task):
            state.lockHolder = nil
            state.stages[task] = .done
        case .wait(let task, let step):
            switch step {
            case .start:
                state.waits[task].start { .reserved(state.machine.reserve()) }
            case .register:
                let id = state.waits[task].registering()
                switch state.machine.register(id, task) {
                case .resumeCancelled:
                    try state.waits[task].resume(.cancelled, task: task)
                case .suspended:
                    state.released[task] = true
                    state.lockHolder = nil
                }
            case .handler:
                if let id = state.waits[task].runningHandler(),
                   case .resumeCancelled(let token) = state.machine.cancel(id) {
                    try state.waits[token].resume(.cancelled, task: token)
                }
            case .cancel, .wake, .finish:
                state.waits[task].take(step)
            }
        }
        return state
    }

    func violation(in state: State) -> String? {
        // One notified waiter at a time goes for the lock: resumed by a notification, not yet holding the
        // lock again.
        let onTheirWay = (0..<Self.waiters).filter {
            state.waits[$0].resumption == .granted && (state.stages[$0] == .waiting || state.stages[$0] == .relocking)
        }
        if onTheirWay.count > 1 {
            return "tasks \(onTheirWay) were resumed by notifications and go for the lock at once"
        }
        let queued = state.waits.filter(\.isQueued).count
        let pending = state.machine.pendingHandOffs.count
        if queued != state.machine.queuedWaiters + pending {
            return "\(queued) tasks wait, the condition has \(state.machine.queuedWaiters) queued and \(pending) notified"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        let handOffs = state.machine.pendingHandOffs
        if handOffs.count > 0 || handOffs.inProgress {
            return "\(handOffs.count) notified waiters never resumed (baton held: \(handOffs.inProgress)): a lost wake-up"
        }
        if state.lockHolder != nil {
            return "the lock ends held by task \(state.lockHolder!)"
        }
        return nil
    }
}

// MARK: - Broken variants, for the tests only

/// A waiter that takes the lock again and does not pass the baton to the next notified one.
struct ConditionThatKeepsTheBaton: ExplorableConditionMachine {
    var real = Real()
    var queuedWaiters: Int { real.waiters.count }
    var pendingHandOffs: (count: Int, inProgress: Bool) { (real.handOff.count, real.handOffInProgress) }
    mutating func reserve() -> UInt64 { real.reserve() }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction { real.register(id, token) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func notify(_ count: Int) -> (notified: Int, resume: Int?) { real.notify(count) }
    mutating func notifyAll() -> (notified: Int, resume: Int?) { real.notifyAll() }
    mutating func reacquired() -> Int? { nil }
}

/// A cancellation that resumes a queued waiter but leaves it queued, where a notification finds it again.
struct ConditionCancelThatLeavesTheWaiterQueued: ExplorableConditionMachine {
    var real = Real()
    var registered: [UInt64: Int] = [:]
    var ghosts = 0
    var queuedWaiters: Int { real.waiters.count - ghosts }
    var pendingHandOffs: (count: Int, inProgress: Bool) { (real.handOff.count, real.handOffInProgress) }
    mutating func reserve() -> UInt64 { real.reserve() }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction {
        let action = real.register(id, token)
        if case .suspended = action { registered[id] = token }
        return action
    }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction {
        guard let token = registered.removeValue(forKey: id) else { return real.cancel(id) }
        ghosts += 1
        return .resumeCancelled(token)
    }
    mutating func notify(_ count: Int) -> (notified: Int, resume: Int?) { real.notify(count) }
    mutating func notifyAll() -> (notified: Int, resume: Int?) { real.notifyAll() }
    mutating func reacquired() -> Int? { real.reacquired() }
}
