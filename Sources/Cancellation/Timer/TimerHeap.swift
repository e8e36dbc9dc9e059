/// A pending timer in a ``TimerHeap``.
///
/// Its mutable fields belong to the heap that holds it and are only read or written under that heap's
/// lock (the ``TimerEngine``'s), which is why the class can be `Sendable` though it has `var`s.
final class TimerEntry: @unchecked Sendable {
    /// When the timer may fire, as an offset from the engine's reference instant. Guarded by the engine's
    /// lock (a re-armed entry moves).
    var deadline: Duration
    /// When the timer must have fired: `deadline` plus its tolerance. The heap is ordered by this.
    var latest: Duration
    /// A value handed to the action when the timer fires; re-arming can change it (a scope uses it for the
    /// generation of its deadline). Guarded by the engine's lock.
    var token: UInt64
    /// What to run when the timer fires; it is passed the entry's token at that moment.
    let action: TimerAction
    /// The engine that holds the entry, which can disarm it.
    let owner: (any TimerOwner)?
    /// The entry's position in the heap, or `nil` when it is not in one. Guarded by the engine's lock.
    var index: Int?

    init(
        deadline: Duration,
        latest: Duration,
        token: UInt64 = 0,
        owner: (any TimerOwner)? = nil,
        action: TimerAction
    ) {
        self.deadline = deadline
        self.latest = latest
        self.token = token
        self.owner = owner
        self.action = action
    }

    convenience init(
        deadline: Duration,
        latest: Duration,
        token: UInt64 = 0,
        owner: (any TimerOwner)? = nil,
        action: @escaping @Sendable (UInt64) -> Void
    ) {
        self.init(deadline: deadline, latest: latest, token: token, owner: owner, action: .closure(action))
    }

    /// Runs the entry's action with `token`.
    func fire(token: UInt64) {
        switch action {
        case .closure(let action): action(token)
        case .target(let target): target.timerFired(token: token)
        }
    }
}

/// What a timer runs when it fires.
enum TimerAction: Sendable {
    /// A closure, given the entry's token.
    case closure(@Sendable (UInt64) -> Void)
    /// An object that is told the entry's token: a scope arms its deadline this way, with no closure to
    /// allocate per timer.
    case target(any TimerTarget)
}

/// An object a timer can notify when it fires.
protocol TimerTarget: AnyObject, Sendable {
    /// The timer fired; `token` is the entry's token at that moment. Runs on the engine's thread, so it
    /// must be quick.
    func timerFired(token: UInt64)
}

/// An engine that can disarm the entries it holds.
protocol TimerOwner: AnyObject, Sendable {
    /// Disarms `entry`; returns `false` when it already fired.
    func cancel(_ entry: TimerEntry) -> Bool
}

/// A binary min-heap of timers ordered by the time they must fire, with each entry knowing its index,
/// so removing a timer that never fires (most never do) costs O(log n), not a search.
///
/// Not thread-safe: the ``TimerEngine`` holds it under its lock.
struct TimerHeap {
    private(set) var entries: [TimerEntry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The timer that must fire first.
    var first: TimerEntry? { entries.first }

    /// Adds an entry. It must not be in a heap already.
    mutating func insert(_ entry: TimerEntry) {
        precondition(entry.index == nil, "a timer entry is in one heap at most")
        entries.append(entry)
        entry.index = entries.count - 1
        siftUp(entries.count - 1)
    }

    /// Removes an entry if it is in this heap; returns whether it was.
    @discardableResult
    mutating func remove(_ entry: TimerEntry) -> Bool {
        guard let index = entry.index, index < entries.count, entries[index] === entry else { return false }
        let last = entries.count - 1
        if index != last {
            entries.swapAt(index, last)
            entries[index].index = index
        }
        entries.removeLast()
        entry.index = nil
        if index < entries.count {
            siftDown(index)
            siftUp(index)
        }
        return true
    }

    /// Moves an entry that is in this heap to a new time; returns `false` (and changes nothing) when it is
    /// not in this heap.
    mutating func move(_ entry: TimerEntry, deadline: Duration, latest: Duration) -> Bool {
        guard let index = entry.index, index < entries.count, entries[index] === entry else { return false }
        entry.deadline = deadline
        entry.latest = latest
        siftDown(index)
        siftUp(entry.index ?? index)
        return true
    }

    /// Removes and returns the first entry.
    mutating func popFirst() -> TimerEntry? {
        guard let first = entries.first else { return nil }
        remove(first)
        return first
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].latest < entries[parent].latest else { return }
            entries.swapAt(child, parent)
            entries[child].index = child
            entries[parent].index = parent
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            let right = left + 1
            var smallest = left
            if right < entries.count && entries[right].latest < entries[left].latest {
                smallest = right
            }
            guard entries[smallest].latest < entries[parent].latest else { return }
            entries.swapAt(smallest, parent)
            entries[smallest].index = smallest
            entries[parent].index = parent
            parent = smallest
        }
    }

    /// Checks the heap property and the index bookkeeping (for tests).
    func isValid() -> Bool {
        for (index, entry) in entries.enumerated() {
            if entry.index != index { return false }
            if index > 0 && entries[(index - 1) / 2].latest > entry.latest { return false }
        }
        return true
    }
}
