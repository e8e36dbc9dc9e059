/// A pending timer in a ``TimerHeap``; subclasses say what firing does.
///
/// Its mutable fields belong to the heap that holds it and are only read or written under that heap's
/// lock (the ``TimerEngine``'s), which is why the class can be `Sendable` though it has `var`s. A cancel
/// scope is itself the entry of its deadline (``ScopeCore`` is a subclass), so arming a deadline allocates
/// nothing; other timers are ``ClosureTimerEntry``s.
@usableFromInline
class TimerEntry: @unchecked Sendable {
    /// When the timer may fire, as an offset from the engine's reference instant. Guarded by the engine's
    /// lock (a re-armed entry moves).
    final var timerDeadline: Duration
    /// When the timer must have fired: `timerDeadline` plus its tolerance. The heap is ordered by this.
    final var timerLatest: Duration
    /// A value handed to ``fire(token:)`` when the timer fires; re-arming can change it (a scope uses it
    /// for the generation of its deadline). Guarded by the engine's lock.
    final var timerToken: UInt64
    /// The engine that holds the entry, which can disarm it.
    final let timerOwner: (any TimerOwner)?
    /// The entry's position in the heap, or `nil` when it is not in one. Guarded by the engine's lock.
    final var heapIndex: Int?

    init(deadline: Duration, latest: Duration, token: UInt64 = 0, owner: (any TimerOwner)? = nil) {
        self.timerDeadline = deadline
        self.timerLatest = latest
        self.timerToken = token
        self.timerOwner = owner
    }

    /// Runs when the timer fires, on the engine's thread, with the entry's token at that moment; it must
    /// be quick. Subclasses override it.
    func fire(token: UInt64) {
        preconditionFailure("a timer entry subclass says what firing does")
    }
}

/// A timer entry that runs a closure when it fires.
///
/// `@unchecked Sendable` is restated because ``TimerEntry`` is; the one property this class adds is a `let`
/// holding a `@Sendable` closure.
final class ClosureTimerEntry: TimerEntry, @unchecked Sendable {
    /// What to run when the timer fires; it is passed the entry's token at that moment.
    private let action: @Sendable (UInt64) -> Void

    init(
        deadline: Duration,
        latest: Duration,
        token: UInt64 = 0,
        owner: (any TimerOwner)? = nil,
        action: @escaping @Sendable (UInt64) -> Void
    ) {
        self.action = action
        super.init(deadline: deadline, latest: latest, token: token, owner: owner)
    }

    override func fire(token: UInt64) {
        action(token)
    }
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
        precondition(entry.heapIndex == nil, "a timer entry is in one heap at most")
        entries.append(entry)
        entry.heapIndex = entries.count - 1
        siftUp(entries.count - 1)
    }

    /// Removes an entry if it is in this heap; returns whether it was.
    @discardableResult
    mutating func remove(_ entry: TimerEntry) -> Bool {
        guard let index = entry.heapIndex, index < entries.count, entries[index] === entry else { return false }
        let last = entries.count - 1
        if index != last {
            entries.swapAt(index, last)
            entries[index].heapIndex = index
        }
        entries.removeLast()
        entry.heapIndex = nil
        if index < entries.count {
            siftDown(index)
            siftUp(index)
        }
        return true
    }

    /// Moves an entry that is in this heap to a new time; returns `false` (and changes nothing) when it is
    /// not in this heap.
    mutating func move(_ entry: TimerEntry, deadline: Duration, latest: Duration) -> Bool {
        guard let index = entry.heapIndex, index < entries.count, entries[index] === entry else { return false }
        entry.timerDeadline = deadline
        entry.timerLatest = latest
        siftDown(index)
        siftUp(entry.heapIndex ?? index)
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
            guard entries[child].timerLatest.isShorter(than: entries[parent].timerLatest) else { return }
            entries.swapAt(child, parent)
            entries[child].heapIndex = child
            entries[parent].heapIndex = parent
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
            if right < entries.count && entries[right].timerLatest.isShorter(than: entries[left].timerLatest) {
                smallest = right
            }
            guard entries[smallest].timerLatest.isShorter(than: entries[parent].timerLatest) else { return }
            entries.swapAt(smallest, parent)
            entries[smallest].heapIndex = smallest
            entries[parent].heapIndex = parent
            parent = smallest
        }
    }

    /// Checks the heap property and the index bookkeeping (for tests).
    func isValid() -> Bool {
        for (index, entry) in entries.enumerated() {
            if entry.heapIndex != index { return false }
            if index > 0 && entries[(index - 1) / 2].timerLatest > entry.timerLatest { return false }
        }
        return true
    }
}
