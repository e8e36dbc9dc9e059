// A small explicit-state model checker: from a model's initial state it applies every enabled event in
// every order, breadth first, up to a depth bound, visiting each distinct state once; it checks the model's
// invariants after every step and at every terminal state (no event enabled), and on a violation returns
// the shortest event sequence that reaches it. It is what tokio's loom does for its primitives, on the
// library's pure state machines instead of on threads.

/// A system whose reachable states the explorer visits: a state machine of the library, and around it the
/// tasks that drive it, each a small program counter.
protocol ExplorationModel {
    associatedtype State: Hashable
    associatedtype Event: CustomStringConvertible

    /// Where every run starts.
    var initial: State { get }

    /// The events that may happen next in `state`, in any order the scheduler chooses.
    func enabledEvents(in state: State) -> [Event]

    /// The state after `event`.
    ///
    /// - Throws: ``ExplorationViolation`` when the step itself breaks a rule (a continuation resumed a
    ///   second time, say).
    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State

    /// A rule every state keeps, or `nil`; checked after every step.
    func violation(in state: State) -> String?

    /// A rule every terminal state keeps (no waiter left suspended, every task ended once), or `nil`.
    func terminalViolation(in state: State) -> String?
}

/// A broken rule, found by the explorer.
struct ExplorationViolation: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What an exploration visited, and the first violation it found.
struct ExplorationReport: CustomStringConvertible {
    /// Distinct states visited.
    var states = 0
    /// Transitions applied, counting those that led to a state visited before.
    var transitions = 0
    /// Terminal states reached (no event enabled).
    var terminalStates = 0
    /// The deepest level reached; equal to the bound if the bound cut the exploration short.
    var depthReached = 0
    /// Whether some state at the bound still had events enabled (the exploration was bounded, not complete).
    var cutByBound = false
    /// The shortest sequence of events that breaks a rule, and the rule.
    var counterexample: (trace: [String], message: String)?

    var description: String {
        let extent = cutByBound ? "to depth \(depthReached) (bounded)" : "exhaustively (deepest run \(depthReached))"
        var text = "\(states) states, \(transitions) transitions, \(terminalStates) terminal states, \(extent)"
        if let counterexample {
            text += "\nviolation: \(counterexample.message)\ntrace:\n" + counterexample.trace.enumerated()
                .map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        }
        return text
    }
}

/// Visits every state of `model` reachable within `depth` events, breadth first, and stops at the first
/// violation, whose trace is then a shortest one.
func explore<Model: ExplorationModel>(_ model: Model, depth: Int) -> ExplorationReport {
    var report = ExplorationReport()
    // For each visited state, the state and event it was first reached by: the shortest path back.
    var parents: [Model.State: (parent: Model.State, event: String)?] = [model.initial: nil]
    var frontier = [model.initial]
    report.states = 1

    func trace(to state: Model.State, then last: String? = nil) -> [String] {
        var events: [String] = last.map { [$0] } ?? []
        var current = state
        while let step = parents[current], let (parent, event) = step {
            events.append(event)
            current = parent
        }
        return events.reversed()
    }

    if let message = model.violation(in: model.initial) {
        report.counterexample = ([], message)
        return report
    }
    var level = 0
    while !frontier.isEmpty {
        var next: [Model.State] = []
        for state in frontier {
            let events = model.enabledEvents(in: state)
            if events.isEmpty {
                report.terminalStates += 1
                if let message = model.terminalViolation(in: state) {
                    report.counterexample = (trace(to: state), "at the end: " + message)
                    return report
                }
                continue
            }
            if level == depth {
                report.cutByBound = true
                continue
            }
            for event in events {
                report.transitions += 1
                let successor: Model.State
                do {
                    successor = try model.apply(event, to: state)
                } catch {
                    report.counterexample = (trace(to: state, then: event.description), error.message)
                    return report
                }
                guard parents[successor] == nil, successor != model.initial else { continue }
                parents[successor] = (state, event.description)
                report.states += 1
                if let message = model.violation(in: successor) {
                    report.counterexample = (trace(to: successor), message)
                    return report
                }
                next.append(successor)
            }
        }
        if !next.isEmpty { level += 1 }
        report.depthReached = level
        frontier = next
    }
    return report
}
