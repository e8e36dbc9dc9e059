@testable import Cancellation

/// The timer heap as the exploration drives it; the real heap, and broken variants for the tests only.
protocol ExplorableTimerHeap {
    init()
    var entries: [TimerEntry] { get }
    mutating func insert(_ entry: TimerEntry)
    mutating func remove(_ entry: TimerEntry) -> Bool
    mutating func move(_ entry: TimerEntry, latest: Duration) -> Bool
    mutating func popFirst() -> TimerEntry?
}

extension TimerHeap: ExplorableTimerHeap {}

/// Four timers with deadlines of 1, 2 or 3 (ties included), inserted, removed, moved and popped in every
/// order. The heap's entries are objects, so each state is rebuilt by replaying the events that reached it;
/// states are told apart by the heap's layout.
struct TimerHeapModel<Heap: ExplorableTimerHeap>: ExplorationModel {
    static var timers: Int { 4 }
    static var deadlines: [Int64] { [1, 2, 3] }

    enum Event: Hashable, CustomStringConvertible {
        case insert(Int, Int64)
        case remove(Int)
        case move(Int, Int64)
        case popFirst

        var description: String {
            switch self {
            case .insert(let timer, let at): "insert timer \(timer) at \(at)"
            case .remove(let timer): "remove timer \(timer)"
            case .move(let timer, let at): "move timer \(timer) to \(at)"
            case .popFirst: "pop the first timer"
            }
        }
    }

    struct State: Hashable {
        /// The heap's array: each slot's timer and deadline.
        var layout: [Int64]
        /// The events that built it (not part of the state's identity).
        var path: [Event]

        static func == (lhs: Self, rhs: Self) -> Bool { lhs.layout == rhs.layout }
        func hash(into hasher: inout Hasher) { hasher.combine(layout) }
    }

    var initial: State { State(layout: [], path: []) }

    /// The timers in the heap, from its layout: slot values are `timer * 16 + deadline`.
    private func present(in state: State) -> [Int: Int64] {
        Dictionary(uniqueKeysWithValues: state.layout.map { (Int($0 / 16), $0 % 16) })
    }

    func enabledEvents(in state: State) -> [Event] {
        let present = present(in: state)
        var events: [Event] = []
        for timer in 0..<Self.timers {
            if let at = present[timer] {
                events.append(.remove(timer))
                events += Self.deadlines.filter { $0 != at }.map { .move(timer, $0) }
            } else {
                events += Self.deadlines.map { .insert(timer, $0) }
            }
        }
        if !present.isEmpty { events.append(.popFirst) }
        return events
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        let timers = (0..<Self.timers).map { _ in ClosureTimerEntry {} }
        func timer(_ entry: TimerEntry) -> Int { timers.firstIndex { $0 === entry }! }
        var heap = Heap()
        var model: [Int: Int64] = [:]
        for step in state.path + [event] {
            switch step {
            case .insert(let index, let at):
                timers[index].timerLatest = .seconds(at)
                heap.insert(timers[index])
                model[index] = at
            case .remove(let index):
                let removed = heap.remove(timers[index])
                if removed != (model.removeValue(forKey: index) != nil) {
                    throw ExplorationViolation(message: "remove(timer \(index)) returned \(removed)")
                }
                if timers[index].heapIndex != nil {
                    throw ExplorationViolation(message: "timer \(index) was removed and still has a heap index")
                }
            case .move(let index, let at):
                _ = heap.move(timers[index], latest: .seconds(at))
                model[index] = at
            case .popFirst:
                guard let first = heap.popFirst() else {
                    throw ExplorationViolation(message: "popFirst() found nothing in a heap of \(model.count)")
                }
                let earliest = model.values.min()!
                let popped = timer(first)
                if model[popped] != earliest {
                    throw ExplorationViolation(message: "popFirst() returned timer \(popped) at \(model[popped].map(String.init) ?? "?"), the earliest is at \(earliest)")
                }
                model[popped] = nil
            }
        }
        // The heap holds exactly the model's timers, each knowing its slot, parents no later than children.
        for (slot, entry) in heap.entries.enumerated() {
            if entry.heapIndex != slot {
                throw ExplorationViolation(message: "timer \(timer(entry)) is in slot \(slot) and says it is in \(String(describing: entry.heapIndex))")
            }
            if slot > 0, entry.timerLatest < heap.entries[(slot - 1) / 2].timerLatest {
                throw ExplorationViolation(message: "timer \(timer(entry)) in slot \(slot) is earlier than its parent")
            }
        }
        let contents = Dictionary(uniqueKeysWithValues: heap.entries.map { (timer($0), $0.timerLatest.components.seconds) })
        if contents != model {
            throw ExplorationViolation(message: "the heap holds \(contents), the timers set are \(model)")
        }
        let layout = heap.entries.map { Int64(timer($0)) * 16 + $0.timerLatest.components.seconds }
        return State(layout: layout, path: state.path + [event])
    }

    func violation(in state: State) -> String? { nil }
    func terminalViolation(in state: State) -> String? { nil }
}

// MARK: - Broken variants, for the tests only

/// A move that sets the new deadline without restoring the heap's order.
struct TimerHeapMoveWithoutSifting: ExplorableTimerHeap {
    var real = TimerHeap()
    var entries: [TimerEntry] { real.entries }
    mutating func insert(_ entry: TimerEntry) { real.insert(entry) }
    mutating func remove(_ entry: TimerEntry) -> Bool { real.remove(entry) }
    mutating func move(_ entry: TimerEntry, latest: Duration) -> Bool {
        guard entry.heapIndex != nil else { return false }
        entry.timerLatest = latest
        return true
    }
    mutating func popFirst() -> TimerEntry? { real.popFirst() }
}

/// A removal that takes the last entry out of its slot and forgets to tell it where it went.
struct TimerHeapRemoveWithStaleIndex: ExplorableTimerHeap {
    var real = TimerHeap()
    var entries: [TimerEntry] { real.entries }
    mutating func insert(_ entry: TimerEntry) { real.insert(entry) }
    mutating func remove(_ entry: TimerEntry) -> Bool {
        let last = real.entries.last
        let lastSlot = last?.heapIndex
        let removed = real.remove(entry)
        if removed, let last, last !== entry, last.heapIndex != nil { last.heapIndex = lastSlot }
        return removed
    }
    mutating func move(_ entry: TimerEntry, latest: Duration) -> Bool { real.move(entry, latest: latest) }
    mutating func popFirst() -> TimerEntry? { real.popFirst() }
}
