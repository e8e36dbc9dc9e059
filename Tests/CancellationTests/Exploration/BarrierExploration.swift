@testable import Cancellation

/// The barrier's state machine as the exploration drives it.
protocol ExplorableBarrierMachine: Hashable {
    typealias Real = AsyncBarrierStateMachine<Int>
    init(parties: Int)
    var queuedWaiters: Int { get }
    mutating func arrive() -> Real.ArriveAction
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction
    mutating func cancel(_ id: UInt64) -> Real.CancelAction
    mutating func abort() -> [Int]
}

extension AsyncBarrierStateMachine: ExplorableBarrierMachine where Token == Int {
    var queuedWaiters: Int { waiters.count }
}

/// `AsyncBarrier.wait()` by `tasks` tasks for a barrier of `parties`, each cancellable at any step, and one
/// `abort()` that may come at any moment (or never). These are the steps of `AsyncBarrier.wait()`.
struct BarrierModel<Machine: ExplorableBarrierMachine>: ExplorationModel {
    let tasks: Int
    let parties: Int

    struct State: Hashable {
        var machine: Machine
        var tasks: [WaitingTask]
        /// The arrival index each task got from a trip.
        var indices: [Int?]
        var aborted = false
    }

    enum Event: CustomStringConvertible {
        case waiter(Int, WaitingTask.Step)
        case abort

        var description: String {
            switch self {
            case .waiter(let task, let step): "task \(task): \(step) (wait())"
            case .abort: "abort()"
            }
        }
    }

    var initial: State {
        State(machine: Machine(parties: parties), tasks: Array(repeating: WaitingTask(), count: tasks),
              indices: Array(repeating: nil, count: tasks))
    }

    func enabledEvents(in state: State) -> [Event] {
        var events = state.tasks.enumerated().flatMap { index, task in
            task.enabledSteps(canFinish: true).map { Event.waiter(index, $0) }
        }
        if !state.aborted { events.append(.abort) }
        return events
    }

    /// Records a trip: the task that tripped it gets `index`, each released waiter its own.
    private func trip(
        by task: Int, index: Int, released: Machine.Real.Released, in state: inout State
    ) throws(ExplorationViolation) {
        if released.count + 1 != parties {
            throw ExplorationViolation(message: "a trip released \(released.count) waiters and the task that tripped it; the barrier has \(parties) parties")
        }
        let all = [index] + released.map(\.index)
        if all.sorted() != Array(0..<parties) {
            throw ExplorationViolation(message: "a trip handed out the arrival indices \(all), not 0..<\(parties) once each")
        }
        state.indices[task] = index
        for waiter in released {
            state.indices[waiter.token] = waiter.index
            try state.tasks[waiter.token].resume(.granted, task: waiter.token)
        }
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var state = state
        switch event {
        case .abort:
            state.aborted = true
            for token in state.machine.abort() { try state.tasks[token].resume(.failed, task: token) }
        case .waiter(let index, let step):
            switch step {
            case .start:
                if state.tasks[index].isCancelled {
                    state.tasks[index].start { .failed }  // `Task.checkCancellation()` throws first
                    break
                }
                switch state.machine.arrive() {
                case .trip(let arrival, let released):
                    try trip(by: index, index: arrival, released: released, in: &state)
                    state.tasks[index].start { .proceeded }
                case .broken:
                    state.tasks[index].start { .failed }
                case .wait(let id):
                    state.tasks[index].start { .reserved(id) }
                }
            case .register:
                let id = state.tasks[index].registering()
                switch state.machine.register(id, index) {
                case .resumeTripped(let arrival, let released):
                    try trip(by: index, index: arrival, released: released, in: &state)
                    try state.tasks[index].resume(.granted, task: index)
                case .resumeBroken:
                    try state.tasks[index].resume(.failed, task: index)
                case .resumeCancelled:
                    try state.tasks[index].resume(.cancelled, task: index)
                case .suspended:
                    break
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
        let queued = state.tasks.filter(\.isQueued).count
        if queued != state.machine.queuedWaiters {
            return "\(state.machine.queuedWaiters) waiters counted by the barrier, \(queued) tasks waiting"
        }
        if queued >= parties {
            return "\(queued) tasks wait at a barrier of \(parties) parties without it tripping"
        }
        // A cancelled wait had no effect: a task whose wait was cancelled holds no arrival index.
        if let counted = state.tasks.indices.first(where: { state.tasks[$0].phase == .cancelled && state.indices[$0] != nil }) {
            return "task \(counted) was cancelled, yet counted in a trip"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        // Tasks still waiting at the end wait for parties that never came: fewer than `parties`, none after
        // an abort.
        let waiting = state.tasks.filter { !$0.hasEnded }.count
        if state.aborted && waiting > 0 {
            return "\(waiting) tasks still wait at a barrier that was aborted: a lost wake-up"
        }
        return nil
    }
}

// MARK: - Broken variants, for the tests only

/// A trip that forgets the last waiter it should release; it stays waiting, no longer counted.
struct BarrierTripThatForgetsAWaiter: ExplorableBarrierMachine {
    var real: Real
    var forgotten = 0
    init(parties: Int) { real = Real(parties: parties) }
    var queuedWaiters: Int { real.waiters.count + forgotten }
    mutating func arrive() -> Real.ArriveAction {
        let action = real.arrive()
        guard case .trip(let index, let released) = action, !released.isEmpty else { return action }
        forgotten += 1
        return .trip(index: index, released: Array(released.dropLast()))
    }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction { real.register(id, token) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func abort() -> [Int] { real.abort() }
}

/// A cancellation that resumes its waiter but still counts it as arrived.
struct BarrierCancelThatStillCounts: ExplorableBarrierMachine {
    var real: Real
    /// The queued waiters, by id.
    var registered: [UInt64: Int] = [:]
    /// Cancelled waiters the barrier still counts.
    var ghosts = 0
    init(parties: Int) { real = Real(parties: parties) }
    var queuedWaiters: Int { real.waiters.count - ghosts }
    mutating func arrive() -> Real.ArriveAction { real.arrive() }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction {
        let action = real.register(id, token)
        if case .suspended = action { registered[id] = token }
        return action
    }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction {
        guard let token = registered.removeValue(forKey: id) else { return real.cancel(id) }
        ghosts += 1  // reported removed, left queued
        return .resumeCancelled(token)
    }
    mutating func abort() -> [Int] { real.abort() }
}
