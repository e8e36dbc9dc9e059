@testable import Cancellation

/// The lock's state machine as the exploration drives it.
protocol ExplorableLockMachine: Hashable {
    typealias Real = AsyncLockStateMachine<Int>
    init()
    var holder: UInt64? { get }
    var waiterCount: Int { get }
    mutating func acquireOrReserve() -> Real.AcquireAction
    mutating func register(_ id: UInt64, _ token: Int, now: UInt64) -> Real.RegisterAction
    mutating func cancel(_ id: UInt64) -> Real.CancelAction
    mutating func release(_ generation: UInt64, at now: UInt64) throws(AsyncLockError) -> Real.ReleaseAction
}

extension AsyncLockStateMachine: ExplorableLockMachine where Token == Int {
    mutating func release(_ generation: UInt64, at now: UInt64) throws(AsyncLockError) -> ReleaseAction {
        try release(generation, now: now)
    }
}

/// `AsyncLock.acquire()` and `release(_:)` by `tasks` tasks, each cancellable at any step of its wait; a
/// woken waiter registers again and may lose the lock to a barging task; time may pass the starvation
/// threshold up to twice, which turns on direct hand-offs. These are the steps of `AsyncLock.acquire()`.
struct LockModel<Machine: ExplorableLockMachine>: ExplorationModel {
    let tasks: Int
    /// How many times time may jump past the starvation threshold.
    let timeJumps = 2

    struct State: Hashable {
        var machine: Machine
        var tasks: [WaitingTask]
        /// The generation each task holds, or was handed.
        var generations: [UInt64?]
        var now: UInt64 = 0
        var jumps = 0
    }

    enum Event: CustomStringConvertible {
        case waiter(Int, WaitingTask.Step)
        case release(Int)
        case timePasses

        var description: String {
            switch self {
            case .waiter(let task, let step): "task \(task): \(step) (acquire())"
            case .release(let task): "task \(task): release()"
            case .timePasses: "time passes the starvation threshold"
            }
        }
    }

    var initial: State {
        State(machine: Machine(), tasks: Array(repeating: WaitingTask(), count: tasks),
              generations: Array(repeating: nil, count: tasks))
    }

    func enabledEvents(in state: State) -> [Event] {
        var events = state.tasks.enumerated().flatMap { index, task in
            task.enabledSteps().map { Event.waiter(index, $0) } + (task.phase == .proceeded ? [.release(index)] : [])
        }
        if state.jumps < timeJumps && state.tasks.contains(where: { !$0.hasEnded }) { events.append(.timePasses) }
        return events
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var state = state
        switch event {
        case .timePasses:
            state.now += Machine.Real.starvationThreshold
            state.jumps += 1
        case .release(let index):
            guard let generation = state.generations[index] else { preconditionFailure("release without a generation") }
            let action: Machine.Real.ReleaseAction
            do {
                action = try state.machine.release(generation, at: state.now)
            } catch {
                throw ExplorationViolation(message: "task \(index) released generation \(generation), which the lock says it does not hold")
            }
            state.generations[index] = nil
            state.tasks[index].take(.finish)
            switch action {
            case .handOff(let next, let generation):
                state.generations[next] = generation
                try state.tasks[next].resume(.granted, task: next)
            case .wake(let next):
                try state.tasks[next].resume(.retry, task: next)
            case .none:
                break
            }
        case .waiter(let index, let step):
            switch step {
            case .start:
                state.tasks[index].start {
                    switch state.machine.acquireOrReserve() {
                    case .acquired(let generation):
                        state.generations[index] = generation
                        return .proceeded
                    case .wait(let id):
                        return .reserved(id)
                    }
                }
            case .register:
                let id = state.tasks[index].registering()
                switch state.machine.register(id, index, now: state.now) {
                case .resumeAcquired(let generation):
                    state.generations[index] = generation
                    try state.tasks[index].resume(.granted, task: index)
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
        // Mutual exclusion: one owner at most, counting a waiter the lock was handed to that has not run yet.
        let owners = state.tasks.indices.filter { state.generations[$0] != nil }
        if owners.count > 1 {
            return "tasks \(owners) own the lock at once"
        }
        if (state.machine.holder == nil) != owners.isEmpty {
            return "the lock's holder (\(String(describing: state.machine.holder))) does not match its owners \(owners)"
        }
        if let owner = owners.first, state.machine.holder != state.generations[owner] {
            return "task \(owner) owns generation \(String(describing: state.generations[owner])), the lock is held by \(String(describing: state.machine.holder))"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        if let stuck = state.tasks.firstIndex(where: { !$0.hasEnded }) {
            return "task \(stuck) never finished (\(state.tasks[stuck].phase)) though the lock is \(state.machine.holder == nil ? "free" : "held"): a lost wake-up"
        }
        if state.machine.holder != nil || state.machine.waiterCount != 0 {
            return "the lock ends held (\(String(describing: state.machine.holder))) or with \(state.machine.waiterCount) waiters"
        }
        return nil
    }
}

// MARK: - Broken variants, for the tests only

/// An acquisition that takes the lock when nobody waits for it, without checking that it is free.
struct LockThatBargesWhileHeld: ExplorableLockMachine {
    var real = Real()
    var fakeGenerations: Set<UInt64> = []
    var holder: UInt64? { real.holder }
    var waiterCount: Int { real.waiterCount }
    mutating func acquireOrReserve() -> Real.AcquireAction {
        if real.holder != nil && real.waiterCount == 0 {
            let fake = UInt64(1_000 + fakeGenerations.count)
            fakeGenerations.insert(fake)
            return .acquired(fake)
        }
        return real.acquireOrReserve()
    }
    mutating func register(_ id: UInt64, _ token: Int, now: UInt64) -> Real.RegisterAction { real.register(id, token, now: now) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func release(_ generation: UInt64, at now: UInt64) throws(AsyncLockError) -> Real.ReleaseAction {
        if fakeGenerations.remove(generation) != nil { return .none }
        return try real.release(generation, at: now)
    }
}

/// A release that picks the next waiter to wake and then forgets to wake it.
struct LockReleaseThatDropsTheWakeUp: ExplorableLockMachine {
    var real = Real()
    var holder: UInt64? { real.holder }
    var waiterCount: Int { real.waiterCount }
    mutating func acquireOrReserve() -> Real.AcquireAction { real.acquireOrReserve() }
    mutating func register(_ id: UInt64, _ token: Int, now: UInt64) -> Real.RegisterAction { real.register(id, token, now: now) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func release(_ generation: UInt64, at now: UInt64) throws(AsyncLockError) -> Real.ReleaseAction {
        let action = try real.release(generation, at: now)
        if case .wake = action { return .none }
        return action
    }
}
