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
/// any moment, around the semaphore's state machine; the steps are those of `AsyncSemaphore.wait()`:
/// check cancellation, take a permit or reserve a waiter id, register the continuation, and the
/// cancellation handler racing all of it.
struct SemaphoreModel<Machine: ExplorableSemaphoreMachine>: ExplorationModel {
    let tasks: Int
    let permits: Int

    enum Phase: Hashable {
        case idle
        case reserved(UInt64)
        case waiting(UInt64)
        case holding
        case released
        case cancelled
    }

    struct TaskState: Hashable {
        var phase = Phase.idle
        var isCancelled = false
        var handlerRan = false
        var resumption: Resumption?
        var resumptions = 0
    }

    struct State: Hashable {
        var machine: Machine
        var tasks: [TaskState]
    }

    enum Event: CustomStringConvertible {
        case start(Int)
        case register(Int)
        case wake(Int)
        case signal(Int)
        case cancel(Int)
        case handler(Int)

        var description: String {
            switch self {
            case .start(let task): "task \(task): wait() — check cancellation, take a permit or reserve an id"
            case .register(let task): "task \(task): register its continuation"
            case .wake(let task): "task \(task): resumes"
            case .signal(let task): "task \(task): signal()"
            case .cancel(let task): "task \(task) is cancelled"
            case .handler(let task): "task \(task): cancellation handler runs"
            }
        }
    }

    var initial: State {
        State(machine: Machine(permits: permits), tasks: Array(repeating: TaskState(), count: tasks))
    }

    func enabledEvents(in state: State) -> [Event] {
        var events: [Event] = []
        for (index, task) in state.tasks.enumerated() {
            switch task.phase {
            case .idle: events.append(.start(index))
            case .reserved: events.append(.register(index))
            case .waiting: if task.resumption != nil { events.append(.wake(index)) }
            case .holding: events.append(.signal(index))
            case .released, .cancelled: break
            }
            let ended = task.phase == .released || task.phase == .cancelled
            if !task.isCancelled && !ended { events.append(.cancel(index)) }
            if task.isCancelled && !task.handlerRan {
                switch task.phase {
                case .reserved, .waiting: events.append(.handler(index))
                default: break
                }
            }
        }
        return events
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var machine = state.machine
        var tasks = state.tasks
        func resume(_ task: Int, _ resumption: Resumption) throws(ExplorationViolation) {
            tasks[task].resumptions += 1
            guard tasks[task].resumptions == 1 else {
                throw ExplorationViolation(message: "task \(task)'s continuation resumed a second time (\(resumption))")
            }
            tasks[task].resumption = resumption
        }
        switch event {
        case .start(let task):
            if tasks[task].isCancelled {
                tasks[task].phase = .cancelled  // `Task.checkCancellation()`
            } else {
                switch machine.waitOrReserve() {
                case .acquired: tasks[task].phase = .holding
                case .wait(let id): tasks[task].phase = .reserved(id)
                }
            }
        case .register(let task):
            guard case .reserved(let id) = tasks[task].phase else { break }
            tasks[task].phase = .waiting(id)
            switch machine.register(id, task) {
            case .resumeAcquired: try resume(task, .granted)
            case .resumeCancelled: try resume(task, .cancelled)
            case .suspended: break
            }
        case .wake(let task):
            tasks[task].phase = tasks[task].resumption == .granted ? .holding : .cancelled
        case .signal(let task):
            do {
                if case .resume(let next) = try machine.signal() { try resume(next, .granted) }
            } catch let error as ExplorationViolation {
                throw error
            } catch {
                throw ExplorationViolation(message: "signal() overflowed with one permit held")
            }
            tasks[task].phase = .released
        case .cancel(let task):
            tasks[task].isCancelled = true
        case .handler(let task):
            tasks[task].handlerRan = true
            let id: UInt64
            switch tasks[task].phase {
            case .reserved(let reserved), .waiting(let reserved): id = reserved
            default: return State(machine: machine, tasks: tasks)
            }
            if case .resumeCancelled(let token) = machine.cancel(id) { try resume(token, .cancelled) }
        }
        return State(machine: machine, tasks: tasks)
    }

    func violation(in state: State) -> String? {
        // Permits are conserved: each is available, held, or handed to a waiter that has not run yet.
        let held = state.tasks.filter { $0.phase == .holding }.count
        let handed = state.tasks.filter {
            if case .waiting = $0.phase { return $0.resumption == .granted }
            return false
        }.count
        let available = state.machine.permits
        if available + held + handed != permits {
            return "permits not conserved: \(available) available + \(held) held + \(handed) handed over ≠ \(permits)"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        for (index, task) in state.tasks.enumerated() {
            switch task.phase {
            case .released:
                continue
            case .cancelled:
                // A cancelled wait had no effect: it took no permit (conservation says it holds none) and
                // was resumed at most once.
                continue
            default:
                return "task \(index) never finished (\(task.phase)) though \(state.machine.permits) permit(s) are free: a lost wake-up"
            }
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
