/// A first-in, first-out buffer with amortised O(1) `append` and `popFirst`.
///
/// An array with a moving head; the consumed prefix is dropped once it is at least half of the storage.
package struct FIFOBuffer<Element> {
    private var storage: [Element] = []
    private var head = 0

    package init() {}

    /// The number of elements in the buffer.
    package var count: Int { storage.count - head }

    /// Whether the buffer holds no element.
    package var isEmpty: Bool { head == storage.count }

    /// The element that `popFirst()` would return.
    package var first: Element? { isEmpty ? nil : storage[head] }

    /// Adds `element` at the back.
    package mutating func append(_ element: Element) {
        storage.append(element)
    }

    /// Adds `element` at the front: `popFirst()` returns it next.
    package mutating func prepend(_ element: Element) {
        if head > 0 {
            head -= 1
            storage[head] = element
        } else {
            storage.insert(element, at: 0)
        }
    }

    /// Removes and returns the element at the front, or `nil` if the buffer is empty.
    package mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Moves the element at the front into `destination` (uninitialized memory) and returns `true`, or
    /// returns `false` if the buffer is empty. Unlike `popFirst()`, builds no `Optional`, which unspecialized
    /// generic code pays for with a metadata lookup.
    @inline(__always)
    package mutating func moveFirst(to destination: UnsafeMutablePointer<Element>) -> Bool {
        guard head < storage.count else { return false }
        destination.initialize(to: storage[head])
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return true
    }

    /// Removes every element, front first.
    package mutating func removeAll() -> [Element] {
        let elements = Array(storage[head...])
        storage.removeAll()
        head = 0
        return elements
    }

    /// Rewrites elements in place, front first, until `body` returns `true`.
    package mutating func firstIndexAndUpdate(_ body: (inout Element) -> Bool) {
        var index = head
        while index < storage.count {
            if body(&storage[index]) { return }
            index += 1
        }
    }
}

extension FIFOBuffer: Sendable where Element: Sendable {}

/// Waiters of a primitive in arrival order, each under an id so that a cancelled waiter can be taken out.
///
/// `Token` is whatever resumes a waiter: a continuation in the primitives, a plain value in the state
/// machine tests. Removal by id leaves a hole that `popFirst` skips, so it costs one scan from the front and
/// never reorders the other waiters.
package struct WaiterQueue<Token> {
    fileprivate struct Entry {
        var id: UInt64
        var token: Token?
    }

    private var entries = FIFOBuffer<Entry>()

    /// The number of waiters in the queue.
    package private(set) var count = 0

    package init() {}

    /// Whether no waiter is queued.
    @inline(__always)
    package var isEmpty: Bool { count == 0 }

    /// Queues waiter `id` at the back.
    package mutating func append(_ id: UInt64, _ token: Token) {
        entries.append(Entry(id: id, token: token))
        count += 1
    }

    /// Queues waiter `id` at the front, ahead of every other waiter: for a waiter that was at the front,
    /// was woken, and has to wait again.
    package mutating func prepend(_ id: UInt64, _ token: Token) {
        entries.prepend(Entry(id: id, token: token))
        count += 1
    }

    /// Removes and returns the waiter at the front.
    package mutating func popFirst() -> (id: UInt64, token: Token)? {
        while let entry = entries.popFirst() {
            if let token = entry.token {
                count -= 1
                return (entry.id, token)
            }
        }
        return nil
    }

    /// Removes waiter `id` wherever it is, and returns its token; `nil` if it is not queued.
    package mutating func remove(_ id: UInt64) -> Token? {
        var removed: Token?
        entries.firstIndexAndUpdate { entry in
            guard entry.id == id, entry.token != nil else { return false }
            removed = entry.token
            entry.token = nil
            return true
        }
        if removed != nil { count -= 1 }
        return removed
    }

    /// Removes every waiter and returns their tokens, front first.
    package mutating func removeAll() -> [Token] {
        count = 0
        return entries.removeAll().compactMap(\.token)
    }
}

extension WaiterQueue: Sendable where Token: Sendable {}
extension WaiterQueue.Entry: Sendable where Token: Sendable {}

/// Ids of waiters between "about to wait" and "queued", so that a cancellation arriving in that gap is
/// remembered rather than lost.
///
/// A waiter reserves its id under the primitive's lock when it finds it has to wait, then installs its
/// cancellation handler and creates its continuation, then registers. The cancellation handler can run at
/// any point in between (even before the continuation exists); it then finds the id here and marks it, and
/// the registration that follows resumes the waiter with `CancellationError` instead of queueing it. An id
/// that is neither queued nor reserved belongs to a waiter that was already resumed; cancelling it does
/// nothing, so no bookkeeping outlives a wait.
package struct WaiterRegistrations: Sendable {
    private var nextID: UInt64 = 0
    /// Reserved ids and whether each was cancelled. Few at a time (one per waiter between two lock
    /// acquisitions), so a short array beats hashing.
    private var reserved: [(id: UInt64, cancelled: Bool)] = []

    package init() {}

    /// The number of reserved, not yet registered ids.
    package var pendingCount: Int { reserved.count }

    /// Reserves a fresh id.
    package mutating func reserve() -> UInt64 {
        let id = nextID
        nextID &+= 1
        reserved.append((id, false))
        return id
    }

    private func index(of id: UInt64) -> Int? {
        // The newest reservation is the likeliest, so search from the back.
        reserved.lastIndex { $0.id == id }
    }

    /// Ends the reservation of `id`; returns whether it was cancelled in the meantime.
    package mutating func register(_ id: UInt64) -> Bool {
        guard let index = index(of: id) else { return false }
        let cancelled = reserved[index].cancelled
        reserved.swapAt(index, reserved.count - 1)
        reserved.removeLast()
        return cancelled
    }

    /// Marks a reserved `id` as cancelled; does nothing for other ids.
    package mutating func cancel(_ id: UInt64) {
        if let index = index(of: id) { reserved[index].cancelled = true }
    }
}

// MARK: - Hashable, for the exhaustive exploration tests
//
// The tests visit every reachable state of the primitives' state machines and deduplicate them, so the
// machines are `Hashable` when their tokens are. Equality is by content: a buffer's consumed slots do not
// count, and the reservations are a set.

extension FIFOBuffer: Equatable where Element: Equatable {
    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.storage[lhs.head...].elementsEqual(rhs.storage[rhs.head...])
    }
}

extension FIFOBuffer: Hashable where Element: Hashable {
    package func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in storage[head...] { hasher.combine(element) }
    }
}

extension WaiterQueue.Entry: Equatable where Token: Equatable {}
extension WaiterQueue.Entry: Hashable where Token: Hashable {}
extension WaiterQueue: Equatable where Token: Equatable {}
extension WaiterQueue: Hashable where Token: Hashable {}

extension WaiterRegistrations: Hashable {
    private var sortedReservations: [UInt64] {
        // Each reservation as one number: its id, doubled, plus one if it is cancelled.
        reserved.map { $0.id &* 2 &+ ($0.cancelled ? 1 : 0) }.sorted()
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.nextID == rhs.nextID && lhs.sortedReservations == rhs.sortedReservations
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(nextID)
        hasher.combine(sortedReservations)
    }
}
