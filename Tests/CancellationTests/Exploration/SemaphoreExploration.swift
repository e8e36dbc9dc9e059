@testable import Cancellation

/// The semaphore's state machine as the exploration drives it; the real machine, and broken variants
/// written here for the tests only.
protocol ExplorableSemaphoreMachine: Hashable {
    typealias Real = AsyncSemaphoreStateMachine<Int>
    init(permits: Int)
    var permits: Int { get }
    mutating func waitOrReserve() -> Real.WaitAction
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction
    mutating func cancel(_ id: UInt64) -> Real.CancelAction
    mutating func signal() throws(AsyncSemaphoreError) -> Real.SignalAction
}

extension AsyncSemaphoreStateMachine: ExplorableSemaphoreMachine where Token == Int {
    init(permits: Int) {
        self.init(permits: permits, maximum: .max)
    }
}

/// `AsyncSemaphore.wait()` followed by `signal()`, run by `tasks` tasks, each of which may be cancelled at
/// any step of its wait, around the semaphore's state machine.
struct SemaphoreModel<Machine: ExplorableSemaphoreMachine>: ExplorationModel {
    let tasks: Int
    let permits: Int

    struct State: Hashable {
        var machine: Machine
        var tasks: [WaitingTask]
    }

    enum Event: CustomStringConvertible {
        case waiter(Int, WaitingTask.Step)
        case signal(Int)

        var description: String {
            switch self {
            case .waiter(let task, let step): "task \(task): \(step) (wait())"
            case .signal(let task): "task \(task): signal()"
            }
        }
    }

    var initial: State {
        State(machine: Machine(permits: permits), tasks: Array(repeating: WaitingTask(), count: tasks))
    }

    func enabledEvents(in state: State) -> [Event] {
        state.tasks.enumerated().flatMap { index, task in
            task.enabledSteps().map { Event.waiter(index, $0) } + (task.phase == .proceeded ? [.signal(index)] : [])
        }
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var state = state
        switch event {
        case .signal(let index):
            let action: Machine.Real.SignalAction
            do {
                action = try state.machine.signal()
            } catch {
                throw ExplorationViolation(message: "signal() overflowed while task \(index) held a permit")
            }
            if case .resume(let next) = action { try state.tasks[next].resume(.granted, task: next) }
            state.tasks[index].take(.finish)
        case .waiter(let index, let step):
            switch step {
            case .start:
                state.tasks[index].start {
                    switch state.machine.waitOrReserve() {
                    case .acquired: .proceeded
                    case .wait(let id): .reserved(id)
                    }
                }
            case .register:
                let id = state.tasks[index].registering()
                switch state.machine.register(id, index) {
                case .resumeAcquired: try state.tasks[index].resume(.granted, task: index)
                case .resumeCancelled: try state.tasks[index].resume(.cancelled, task: index)
                case .suspended: break
                }
            case .handler:
                if let id = state.tasks[index].runningHandler(),
                   case .resumeCancelled(let token) = state.machine.cancel(id) {
                    try state.tasks[token].resume(.cancelled, task: token)
                }
            case .cancel, .wake, .finish:
                state.tasks[index].take(step)
            }
        }
        return state
    }

    func violation(in state: State) -> String? {
        // Permits are conserved: each is available, held, or handed to a waiter that has not run yet.
        let held = state.tasks.filter { $0.phase == .proceeded }.count
        let handed = state.tasks.filter { !$0.isQueued && $0.resumption == .granted && $0.phase != .proceeded && $0.phase != .finished }.count
        let available = state.machine.permits
        if available + held + handed != permits {
            return "permits not conserved: \(available) available + \(held) held + \(handed) handed over ≠ \(permits)"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        // Every task ended: it got a permit and gave it back, or its wait was cancelled — and then, by the
        // conservation above, it took nothing.
        if let stuck = state.tasks.firstIndex(where: { !$0.hasEnded }) {
            return "task \(stuck) never finished (\(state.tasks[stuck].phase)) though \(state.machine.permits) permit(s) are free: a lost wake-up"
        }
        if state.machine.permits != permits {
            return "\(state.machine.permits) permits at the end, not \(permits)"
        }
        return nil
    }
}

// MARK: - Broken variants, for the tests only

/// A signal that hands its permit to a waiter and also adds it to the available ones.
struct SemaphoreSignalThatAlsoKeepsThePermit: ExplorableSemaphoreMachine {
    var real: Real
    init(permits: Int) { real = Real(permits: permits) }
    var permits: Int { real.permits + extra }
    var extra = 0
    mutating func waitOrReserve() -> Real.WaitAction {
        if extra > 0 { extra -= 1; return .acquired }
        return real.waitOrReserve()
    }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction { real.register(id, token) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func signal() throws(AsyncSemaphoreError) -> Real.SignalAction {
        let action = try real.signal()
        if case .resume = action { extra += 1 }
        return action
    }
}

/// A cancellation that resumes a queued waiter but leaves it in the queue, where a signal finds it again.
struct SemaphoreCancelThatLeavesTheWaiterQueued: ExplorableSemaphoreMachine {
    var real: Real
    var cancelledTokens: [UInt64: Int] = [:]
    init(permits: Int) { real = Real(permits: permits) }
    var permits: Int { real.permits }
    mutating func waitOrReserve() -> Real.WaitAction { real.waitOrReserve() }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction {
        let action = real.register(id, token)
        if case .suspended = action { cancelledTokens[id] = token }
        return action
    }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction {
        // Reports the waiter as removed without removing it.
        if let token = cancelledTokens.removeValue(forKey: id) { return .resumeCancelled(token) }
        return real.cancel(id)
    }
    mutating func signal() throws(AsyncSemaphoreError) -> Real.SignalAction { try real.signal() }
}
