@_spi(Testing) @testable import Cancellation

/// The cancel scope's state machine as the exploration drives it; the real machine, and broken variants.
protocol ExplorableScopeMachine {
    typealias Real = CancelScopeStateMachine
    init(deadline: Duration?, gracePeriod: Duration)
    var real: Real { get }
    mutating func begin(now: Duration) -> Real.Action
    mutating func setDeadline(_ deadline: Duration?, now: Duration) -> Real.Action
    mutating func deadlineFired(generation: UInt64, now: Duration) -> Real.Action
    mutating func cancel(reason: String, now: Duration) -> Real.Action
    mutating func graceTimerArmed(_ timer: TimerRegistration)
    mutating func noteCallerCancelledFirst()
    mutating func graceTimerFired() -> Real.Cancellation?
    mutating func finish() -> Real.Ending
    mutating func catchCancellation() -> Real.Cancellation?
}

extension CancelScopeStateMachine: ExplorableScopeMachine {
    init(deadline: Duration?, gracePeriod: Duration) {
        self.init(deadline: deadline, location: ScopeModelSupport.location, gracePeriod: gracePeriod)
    }
    var real: Real { self }
}

enum ScopeModelSupport {
    static let location = ScopeLocation(fileID: "Exploration/Scope.swift", line: 1)
    /// A grace timer registration; the machine only keeps it, the model tracks the timer itself.
    static let graceTimer = TimerRegistration(
        engine: TimerEngine(manuallyDriven: ContinuousClock.self, now: { .zero }, instant: { ContinuousClock.now.advanced(by: $0) }, onArm: {}),
        entry: ClosureTimerEntry {}
    )
}

/// A cancel scope with a deadline at 2, around its operation and its caller, with time running from 0 to 3:
/// the deadline may move to 1, 3 or away (twice at most), the scope may be cancelled with a reason, the
/// caller may be cancelled, the engine takes a due timer and calls back later (so a callback may be stale),
/// the grace timer may fire, and the operation returns, throws its own error, or — once its task is
/// cancelled — throws `CancellationError`. `ScopeCore` does exactly these steps around the machine.
struct ScopeModel<Machine: ExplorableScopeMachine>: ExplorationModel {
    static var lastInstant: Int64 { 3 }
    static var moves: [Int64?] { [1, 3, nil] }

    enum Ending: Hashable, CustomStringConvertible {
        case returned, ownError, cancellationError

        var description: String {
            switch self {
            case .returned: "returns a value"
            case .ownError: "throws its own error"
            case .cancellationError: "throws CancellationError"
            }
        }
    }

    /// What the caller of the scope sees.
    enum Outcome: Hashable {
        case value, ownError, callerCancellation, timeout, scopeCancelled, bareCancellation
    }

    enum Cause: Hashable { case deadline, explicit }

    struct State: Hashable {
        var machine: Machine
        var began = false
        var now: Int64 = 0
        /// The scope's deadline as the model knows it.
        var deadline: Int64? = 2
        var movesLeft = 2
        /// The engine's timer for the deadline: its instant and generation.
        var armed: (at: Int64, generation: UInt64)?
        /// Callbacks the engine has taken out and not yet delivered.
        var inFlight: [UInt64] = []
        var graceAt: Int64?
        var explicitlyCancelled = false
        var callerCancelled = false
        /// The scope's own first cause of cancellation, as the model saw the machine decide it.
        var firstCause: Cause?
        var operationTaskCancelled = false
        var ending: Ending?
        var outcome: Outcome?
        var reports = 0

        static func == (lhs: Self, rhs: Self) -> Bool { lhs.key == rhs.key }
        func hash(into hasher: inout Hasher) { hasher.combine(key) }

        /// Everything that decides what can happen next.
        private var key: Key {
            let real = machine.real
            var phase = 0, generation: UInt64 = 0, flags = 0
            switch real.state {
            case .created: phase = 0
            case .running(let running):
                phase = 1
                generation = running.generation
                flags = (running.deadlineArmed ? 1 : 0) | (running.reportedUncooperative ? 2 : 0)
            case .finished(let caught): phase = caught ? 3 : 2
            }
            let cancellation = real.cancellation.map {
                CancellationKey(reason: $0.reason, callerFirst: $0.callerCancelledFirst, at: $0.at, deadline: $0.deadline)
            }
            return Key(
                phase: phase, generation: generation, flags: flags, machineDeadline: real.deadline,
                cancellation: cancellation, hasGraceTimer: real.graceTimer != nil, began: began, now: now,
                deadline: deadline, movesLeft: movesLeft, armedAt: armed?.at, armedGeneration: armed?.generation,
                inFlight: inFlight, graceAt: graceAt, explicitlyCancelled: explicitlyCancelled,
                callerCancelled: callerCancelled, firstCause: firstCause, operationTaskCancelled: operationTaskCancelled,
                ending: ending, outcome: outcome, reports: reports
            )
        }

        struct CancellationKey: Hashable {
            var reason: CancellationReason
            var callerFirst: Bool
            var at: Duration
            var deadline: Duration?
        }

        struct Key: Hashable {
            var phase: Int, generation: UInt64, flags: Int, machineDeadline: Duration?
            var cancellation: CancellationKey?, hasGraceTimer: Bool, began: Bool, now: Int64
            var deadline: Int64?, movesLeft: Int, armedAt: Int64?, armedGeneration: UInt64?
            var inFlight: [UInt64], graceAt: Int64?, explicitlyCancelled: Bool, callerCancelled: Bool
            var firstCause: Cause?, operationTaskCancelled: Bool, ending: Ending?, outcome: Outcome?, reports: Int
        }
    }

    enum Event: CustomStringConvertible {
        case begin, timePasses, engineTakes, callback(UInt64), move(Int64?), cancel, callerCancelled, graceFires
        case operation(Ending)
        case finish

        var description: String {
            switch self {
            case .begin: "the child task begins the scope"
            case .timePasses: "time passes one unit"
            case .engineTakes: "the engine takes the due deadline timer"
            case .callback(let generation): "the engine calls back the deadline timer of generation \(generation)"
            case .move(let to): "the deadline moves to \(to.map(String.init) ?? "none")"
            case .cancel: "scope.cancel(reason:)"
            case .callerCancelled: "the caller is cancelled"
            case .graceFires: "the grace timer fires"
            case .operation(let ending): "the operation \(ending)"
            case .finish: "the scope finishes and classifies the outcome"
            }
        }
    }

    var initial: State { State(machine: Machine(deadline: .seconds(2), gracePeriod: .seconds(1))) }

    func enabledEvents(in state: State) -> [Event] {
        guard state.outcome == nil else { return [] }
        var events: [Event] = []
        if !state.began { events.append(.begin) }
        if state.now < Self.lastInstant { events.append(.timePasses) }
        if let armed = state.armed, armed.at <= state.now { events.append(.engineTakes) }
        if let first = state.inFlight.first { events.append(.callback(first)) }
        if state.movesLeft > 0 && state.ending == nil {
            events += Self.moves.filter { $0 != state.deadline }.map { .move($0) }
        }
        if !state.explicitlyCancelled && state.ending == nil { events.append(.cancel) }
        if !state.callerCancelled && state.ending == nil { events.append(.callerCancelled) }
        if let graceAt = state.graceAt, graceAt <= state.now, state.ending == nil { events.append(.graceFires) }
        if state.began && state.ending == nil {
            events += [.operation(.returned), .operation(.ownError)]
            if state.operationTaskCancelled { events.append(.operation(.cancellationError)) }
        }
        if state.ending != nil { events.append(.finish) }
        return events
    }

    /// What `ScopeCore` does with an action, in the model's engine and task.
    private func perform(_ action: Machine.Real.Action, in state: inout State, cause: Cause) throws(ExplorationViolation) {
        switch action {
        case .none:
            break
        case .armDeadline(let at, let generation):
            state.armed = (at.components.seconds, generation)
        case .disarmDeadline:
            state.armed = nil
        case .cancelOperation(let disarm, let graceDeadline):
            if disarm { state.armed = nil }
            if state.firstCause != nil {
                throw ExplorationViolation(message: "the scope cancelled its operation a second time")
            }
            if cause == .deadline, let deadline = state.deadline, state.now < deadline {
                throw ExplorationViolation(message: "the deadline cancelled the operation at \(state.now), before the deadline \(deadline)")
            }
            state.firstCause = cause
            state.operationTaskCancelled = true
            if let graceDeadline {
                state.graceAt = graceDeadline.components.seconds
                state.machine.graceTimerArmed(ScopeModelSupport.graceTimer)
            }
        }
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var state = state
        let now = Duration.seconds(state.now)
        switch event {
        case .begin:
            state.began = true
            let action = state.machine.begin(now: now)
            if case .cancelOperation = action, state.callerCancelled { state.machine.noteCallerCancelledFirst() }
            try perform(action, in: &state, cause: state.explicitlyCancelled ? .explicit : .deadline)
        case .timePasses:
            state.now += 1
        case .engineTakes:
            state.inFlight.append(state.armed!.generation)
            state.armed = nil
        case .callback(let generation):
            state.inFlight.removeFirst()
            var wasArmed = false
            if case .running(let running) = state.machine.real.state {
                wasArmed = running.deadlineArmed && running.generation == generation
            }
            let action = state.machine.deadlineFired(generation: generation, now: now)
            if !wasArmed, action != .none {
                throw ExplorationViolation(message: "a deadline timer that was disarmed or moved acted: \(action)")
            }
            try perform(action, in: &state, cause: .deadline)
        case .move(let to):
            state.movesLeft -= 1
            state.deadline = to
            try perform(state.machine.setDeadline(to.map { .seconds($0) }, now: now), in: &state, cause: .deadline)
        case .cancel:
            state.explicitlyCancelled = true
            try perform(state.machine.cancel(reason: "stop", now: now), in: &state, cause: .explicit)
        case .callerCancelled:
            state.callerCancelled = true
            if state.began { state.operationTaskCancelled = true }  // the task tree cancels the child
        case .graceFires:
            state.graceAt = nil
            if state.machine.graceTimerFired() != nil { state.reports += 1 }
        case .operation(let ending):
            state.ending = ending
        case .finish:
            let ending = state.machine.finish()
            if ending.disarmDeadline { state.armed = nil }
            if ending.graceTimer != nil { state.graceAt = nil }
            // `ScopeCore.outcome(of:callerIsCancelled:)`.
            switch state.ending! {
            case .returned: state.outcome = .value
            case .ownError: state.outcome = .ownError
            case .cancellationError:
                if !state.callerCancelled, let caught = state.machine.catchCancellation() {
                    switch caught.reason {
                    case .deadlineExpired: state.outcome = .timeout
                    case .cancelled: state.outcome = .scopeCancelled
                    case .taskCancelled: state.outcome = .bareCancellation
                    }
                } else {
                    state.outcome = .callerCancellation
                }
            }
        }
        return state
    }

    func violation(in state: State) -> String? {
        let real = state.machine.real
        // The engine holds a timer (or is about to call it back) exactly when the machine says the deadline
        // is armed, of its generation.
        if case .running(let running) = real.state {
            // (A callback already taken out by the engine may outlive a disarming; it must then do nothing,
            // which the callback step checks.)
            let engineHasIt = state.armed != nil || state.inFlight.contains(running.generation)
            if running.deadlineArmed ? !engineHasIt : state.armed != nil {
                return "the machine says the deadline is \(running.deadlineArmed ? "" : "not ")armed; the engine \(engineHasIt ? "has it" : "has none")"
            }
            if let armed = state.armed, armed.generation != running.generation {
                return "the armed timer is of generation \(armed.generation), the scope is at \(running.generation)"
            }
        }
        // No deadline is lost: past the deadline, a running, uncancelled scope has a timer due or in flight.
        if state.began, state.ending == nil, state.firstCause == nil, let deadline = state.deadline,
           deadline <= state.now, state.armed == nil, state.inFlight.isEmpty {
            return "the deadline \(deadline) has passed at \(state.now) and nothing will fire it"
        }
        if state.reports > 1 {
            return "the uncooperative operation was reported \(state.reports) times"
        }
        guard let outcome = state.outcome else { return nil }
        // Exactly one outcome, the documented one: the operation's own value or error first, then the
        // caller's cancellation, then the scope's own first cause.
        let expected: Outcome
        switch state.ending! {
        case .returned: expected = .value
        case .ownError: expected = .ownError
        case .cancellationError:
            if state.callerCancelled {
                expected = .callerCancellation
            } else {
                switch state.firstCause {
                case .deadline: expected = .timeout
                case .explicit: expected = .scopeCancelled
                case nil: expected = .callerCancellation
                }
            }
        }
        if outcome != expected {
            return "the scope ended with \(outcome), the documented outcome is \(expected)"
        }
        if state.armed != nil || state.graceAt != nil {
            return "a timer of the scope is left armed after it finished"
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        state.outcome == nil ? "the scope never finished" : nil
    }
}

// MARK: - Broken variants, for the tests only

/// A deadline callback that does not check the timer's generation, so a stale timer cancels the scope.
struct ScopeIgnoringGenerations: ExplorableScopeMachine {
    var real: Real
    init(deadline: Duration?, gracePeriod: Duration) {
        real = Real(deadline: deadline, location: ScopeModelSupport.location, gracePeriod: gracePeriod)
    }
    mutating func begin(now: Duration) -> Real.Action { real.begin(now: now) }
    mutating func setDeadline(_ deadline: Duration?, now: Duration) -> Real.Action { real.setDeadline(deadline, now: now) }
    mutating func deadlineFired(generation: UInt64, now: Duration) -> Real.Action {
        guard case .running(let running) = real.state else { return .none }
        // Acts on any callback as if it were current.
        return real.deadlineFired(generation: running.generation, now: now)
    }
    mutating func cancel(reason: String, now: Duration) -> Real.Action { real.cancel(reason: reason, now: now) }
    mutating func graceTimerArmed(_ timer: TimerRegistration) { real.graceTimerArmed(timer) }
    mutating func noteCallerCancelledFirst() { real.noteCallerCancelledFirst() }
    mutating func graceTimerFired() -> Real.Cancellation? { real.graceTimerFired() }
    mutating func finish() -> Real.Ending { real.finish() }
    mutating func catchCancellation() -> Real.Cancellation? { real.catchCancellation() }
}

/// A finish that forgets to disarm the deadline it armed.
struct ScopeFinishKeepingTheDeadline: ExplorableScopeMachine {
    var real: Real
    init(deadline: Duration?, gracePeriod: Duration) {
        real = Real(deadline: deadline, location: ScopeModelSupport.location, gracePeriod: gracePeriod)
    }
    mutating func begin(now: Duration) -> Real.Action { real.begin(now: now) }
    mutating func setDeadline(_ deadline: Duration?, now: Duration) -> Real.Action { real.setDeadline(deadline, now: now) }
    mutating func deadlineFired(generation: UInt64, now: Duration) -> Real.Action { real.deadlineFired(generation: generation, now: now) }
    mutating func cancel(reason: String, now: Duration) -> Real.Action { real.cancel(reason: reason, now: now) }
    mutating func graceTimerArmed(_ timer: TimerRegistration) { real.graceTimerArmed(timer) }
    mutating func noteCallerCancelledFirst() { real.noteCallerCancelledFirst() }
    mutating func graceTimerFired() -> Real.Cancellation? { real.graceTimerFired() }
    mutating func finish() -> Real.Ending {
        var ending = real.finish()
        ending.disarmDeadline = false
        return ending
    }
    mutating func catchCancellation() -> Real.Cancellation? { real.catchCancellation() }
}
