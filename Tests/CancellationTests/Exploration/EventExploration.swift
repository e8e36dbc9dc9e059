@testable import Cancellation

/// The event's state machine as the exploration drives it.
protocol ExplorableEventMachine: Hashable {
    typealias Real = AsyncEventStateMachine<Int>
    init()
    var isSet: Bool { get }
    var queuedWaiters: Int { get }
    mutating func waitOrReserve() -> Real.WaitAction
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction
    mutating func cancel(_ id: UInt64) -> Real.CancelAction
    mutating func set() -> [Int]
    mutating func reset()
}

extension AsyncEventStateMachine: ExplorableEventMachine where Token == Int {
    init() { self.init(isSet: false) }
    var queuedWaiters: Int { waiters.count }
}

/// `AsyncEvent.wait()` by `waiters` tasks, each cancellable at any step, while one more task calls `set()`,
/// `reset()` and `set()` again.
struct EventModel<Machine: ExplorableEventMachine>: ExplorationModel {
    let waiters: Int
    /// The setter's program.
    static var program: [String] { ["set", "reset", "set"] }

    struct State: Hashable {
        var machine: Machine
        var tasks: [WaitingTask]
        var setterStep = 0
    }

    enum Event: CustomStringConvertible {
        case waiter(Int, WaitingTask.Step)
        case setter(String)

        var description: String {
            switch self {
            case .waiter(let task, let step): "task \(task): \(step) (wait())"
            case .setter(let step): "setter: \(step)()"
            }
        }
    }

    var initial: State {
        State(machine: Machine(), tasks: Array(repeating: WaitingTask(), count: waiters))
    }

    func enabledEvents(in state: State) -> [Event] {
        var events = state.tasks.enumerated().flatMap { index, task in
            task.enabledSteps(canFinish: true).map { Event.waiter(index, $0) }
        }
        if state.setterStep < Self.program.count { events.append(.setter(Self.program[state.setterStep])) }
        return events
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var machine = state.machine
        var state = state
        switch event {
        case .setter(let step):
            state.setterStep += 1
            if step == "set" {
                for token in machine.set() { try state.tasks[token].resume(.granted, task: token) }
            } else {
                machine.reset()
            }
        case .waiter(let index, let step):
            switch step {
            case .start:
                state.tasks[index].start {
                    switch machine.waitOrReserve() {
                    case .proceed: .proceeded
                    case .wait(let id): .reserved(id)
                    }
                }
            case .register:
                let id = state.tasks[index].registering()
                switch machine.register(id, index) {
                case .resume: try state.tasks[index].resume(.granted, task: index)
                case .resumeCancelled: try state.tasks[index].resume(.cancelled, task: index)
                case .suspended: break
                }
            case .handler:
                if let id = state.tasks[index].runningHandler(),
                   case .resumeCancelled(let token) = machine.cancel(id) {
                    try state.tasks[token].resume(.cancelled, task: token)
                }
            case .cancel, .wake, .finish:
                state.tasks[index].take(step)
            }
        }
        state.machine = machine
        return state
    }

    func violation(in state: State) -> String? {
        let queued = state.tasks.filter(\.isQueued).count
        if queued != state.machine.queuedWaiters {
            return "\(state.machine.queuedWaiters) waiters queued in the machine, \(queued) tasks waiting for a resumption"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        if state.machine.isSet, let stuck = state.tasks.firstIndex(where: { !$0.hasEnded }) {
            return "task \(stuck) still waits though the event is set: a lost wake-up"
        }
        return nil
    }
}

// MARK: - Broken variants, for the tests only

/// A `set()` that releases only the first waiter; the others are dropped from the queue, never resumed.
struct EventSetThatReleasesOne: ExplorableEventMachine {
    var real = Real(isSet: false)
    var dropped = 0
    var isSet: Bool { real.isSet }
    var queuedWaiters: Int { real.waiters.count + dropped }
    mutating func waitOrReserve() -> Real.WaitAction { real.waitOrReserve() }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction { real.register(id, token) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func set() -> [Int] {
        let all = real.set()
        dropped += max(0, all.count - 1)
        return Array(all.prefix(1))
    }
    mutating func reset() { real.reset() }
}

/// A registration that does not look at the flag: it parks the waiter even when the event is set, until
/// the next `set()`.
struct EventRegisterThatIgnoresTheFlag: ExplorableEventMachine {
    var real = Real(isSet: false)
    var parked: [UInt64: Int] = [:]
    var isSet: Bool { real.isSet }
    var queuedWaiters: Int { real.waiters.count + parked.count }
    mutating func waitOrReserve() -> Real.WaitAction { real.waitOrReserve() }
    mutating func register(_ id: UInt64, _ token: Int) -> Real.RegisterAction {
        guard real.isSet else { return real.register(id, token) }
        parked[id] = token
        return .suspended
    }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction {
        if let token = parked.removeValue(forKey: id) { return .resumeCancelled(token) }
        return real.cancel(id)
    }
    mutating func set() -> [Int] {
        let released = real.set() + parked.values.sorted()
        parked = [:]
        return released
    }
    mutating func reset() { real.reset() }
}
