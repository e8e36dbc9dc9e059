/// A binary min-heap of timers ordered by the time they must fire, with each entry knowing its index,
/// so removing a timer that never fires (most never do) costs O(log n), not a search.
///
/// Not thread-safe: a ``TimerEngine`` holds it under its lock.
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
    mutating func move(_ entry: TimerEntry, latest: Duration) -> Bool {
        guard let index = entry.heapIndex, index < entries.count, entries[index] === entry else { return false }
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
            if index > 0 && entry.timerLatest.isShorter(than: entries[(index - 1) / 2].timerLatest) { return false }
        }
        return true
    }
}
