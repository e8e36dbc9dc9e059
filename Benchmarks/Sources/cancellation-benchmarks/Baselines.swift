// The code a Swift developer writes today instead of this package, measured beside it (and, at the end,
// callers on an actor).

import Cancellation
import Synchronization

/// An awaited operation that returns at once: the best case for anything that starts a child task
/// synchronously.
@inline(never)
@Sendable func noOperation() async -> Int { 42 }

/// An awaited operation that suspends once, as any operation that waits for something does.
@inline(never)
@Sendable func suspendingOperation() async -> Int {
    await Task.yield()
    return 42
}

/// The operations of the per-call figures, by the name their keys use.
let operations: [(name: String, body: @Sendable () async -> Int)] = [
    ("", noOperation),
    ("_suspending", suspendingOperation),
]

/// The operation in a child task started with `addImmediateTask` (Swift 6.2) in a discarding group, as
/// `withTimeout` starts its own: the cheapest child task for an operation that does not suspend.
@inline(never)
func immediateChild(_ operation: @escaping @Sendable () async -> Int) async -> Int {
    // Sound: only the child writes it, and the group has waited for the child before it is read.
    nonisolated(unsafe) var result = 0
    await withDiscardingTaskGroup { group in
        group.addImmediateTask { result = await operation() }
    }
    return result
}

/// The operation in an `async let` child: the task lives in the parent's task allocator, the cheapest child
/// in memory and, once the operation suspends, in time.
@inline(never)
func asyncLetChild(_ operation: @escaping @Sendable () async -> Int) async -> Int {
    async let result = operation()
    return await result
}

/// The operation in a task-group child started with `addTask`, through the global executor: shown for
/// reference, it is not the cheapest child.
@inline(never)
func taskGroupChild(_ operation: @escaping @Sendable () async -> Int) async -> Int {
    await withTaskGroup(of: Int.self) { group in
        group.addTask { await operation() }
        return await group.next()!
    }
}

/// The least a deadline scope that runs its operation in a child task has to do, written with public API
/// only: a floor for B1, not something a user would write (it cannot time anything out).
///
/// A timeout must cancel its operation and not its caller, and Swift 6.3 cancels whole tasks only, so the
/// operation runs in a child task — the immediate child above. On top of that child the floor keeps only
/// what any such scope needs on every call: one clock reading (the deadline is measured from it), one
/// object standing for the scope, a deadline registered and withdrawn under a lock that a timer thread
/// would share (here a counter, cheaper than any timer structure), and the scope bound as a task-local
/// value for the operation (how nested scopes find the ones around them, and how
/// `EffectiveDeadline.current` reads the earliest deadline). It leaves out what `withTimeout` adds beyond
/// that: a state machine, a reference to the child task for the deadline to cancel, the ordering of a
/// deadline against the caller's cancellation, diagnostics, and typed results.
@inline(never)
func scopeFloor(_ timeout: Duration, _ operation: @escaping @Sendable () async -> Int) async -> Int {
    let start = ContinuousClock.now
    let scope = FloorScope(deadline: start + timeout)
    floorTimers.withLock { $0 &+= 1 }
    // Sound: only the child writes it, and the group has waited for the child before it is read.
    nonisolated(unsafe) var result = 0
    await withDiscardingTaskGroup { group in
        group.addImmediateTask {
            result = await FloorScope.$current.withValue(scope) { await operation() }
        }
    }
    floorTimers.withLock { $0 &-= 1 }
    return result
}

/// The object standing for a scope in ``scopeFloor(_:_:)``.
final class FloorScope: Sendable {
    /// The scope bound for its operation.
    @TaskLocal static var current: FloorScope?

    let deadline: ContinuousClock.Instant

    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }
}

/// The lock a timer thread would share with ``scopeFloor(_:_:)``, around the number of registered deadlines.
let floorTimers = Mutex<Int>(0)

/// The floor above, given `withTimeout`'s API shape: the operation is a non-escaping closure, run on the
/// caller's isolation, with a generic result and any error. Swift 6.3 offers one way to run a non-escaping
/// closure in a task-group child — `withoutActuallyEscaping` around the whole wait — and it is part of what
/// any scoped function of this shape pays on every call. Compared with ``scopeFloor(_:_:)`` it tells how
/// much of B1's gap comes from the shape of the API rather than from what a scope does.
@inline(never)
func scopeFloorShaped<T>(
    _ timeout: Duration,
    isolation: isolated (any Actor)? = #isolation,
    operation: () async throws -> T
) async throws -> T {
    let scope = FloorScope(deadline: ContinuousClock.now + timeout)
    floorTimers.withLock { $0 &+= 1 }
    defer { floorTimers.withLock { $0 &-= 1 } }
    return try await withoutActuallyEscaping(operation) { operation in
        // Sound: the child calls the operation once while this task waits for it, and
        // `withoutActuallyEscaping` checks that the closure did not outlive the call.
        nonisolated(unsafe) let operation = operation
        // Sound: only the child writes it, and the group has waited for the child before it is read.
        nonisolated(unsafe) var result: Result<T, any Error>?
        await withDiscardingTaskGroup { group in
            group.addImmediateTask { [isolation] in
                _ = isolation
                result = await FloorScope.$current.withValue(scope) { () async -> Result<T, any Error> in
                    do {
                        return .success(try await operation())
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        return try result!.get()
    }
}

/// ``scopeFloorShaped(_:isolation:operation:)`` on an `async let` child instead: the cheapest child once the
/// operation suspends, and the only child that may capture a non-escaping closure without
/// `withoutActuallyEscaping`. (The operation is `@Sendable` here because the compiler cannot tell that an
/// `async let` child runs a caller's non-`Sendable` closure while the caller waits; that changes no code
/// that runs.)
@inline(never)
func scopeFloorAsyncLet<T>(
    _ timeout: Duration,
    isolation: isolated (any Actor)? = #isolation,
    operation: @Sendable () async throws -> T
) async throws -> T {
    let scope = FloorScope(deadline: ContinuousClock.now + timeout)
    floorTimers.withLock { $0 &+= 1 }
    defer { floorTimers.withLock { $0 &-= 1 } }
    async let result = FloorScope.$current.withValue(scope) { () async -> Result<T, any Error> in
        do {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }
    return try await result.get()
}

/// The least a correct timeout does on a call whose deadline does not fire, with `withTimeout`'s API shape:
/// ``scopeFloorShaped(_:isolation:operation:)`` plus what lets a deadline cancel the operation and be told
/// apart from the caller's cancellation. A real deadline in a binary heap (under the lock a timer thread
/// would share), the child's task recorded for the deadline to cancel and withdrawn before it ends, and a
/// state that orders the deadline against the end of the call. No timer thread runs here: B1's deadlines
/// never fire, and what firing would do is ``LeastScope/deadlinePassed()``. It leaves out everything else
/// `withTimeout` has: reasons, diagnostics, nesting rules, rescheduling, other clocks, a deadline already
/// passed at the start, and the platforms without immediate tasks.
@inline(never)
func leastCorrectTimeout<T>(
    _ timeout: Duration,
    isolation: isolated (any Actor)? = #isolation,
    operation: () async throws -> T
) async throws -> T {
    let scope = LeastScope(deadline: ContinuousClock.now + timeout)
    leastTimers.withLock { $0.insert(scope) }
    // Written out, not shared with `scopeFloorShaped` through a helper: a helper's async frame and executor
    // checks would be part of what both sides measure.
    return try await withoutActuallyEscaping(operation) { operation in
        // Sound: the child calls the operation once while this task waits for it, and
        // `withoutActuallyEscaping` checks that the closure did not outlive the call.
        nonisolated(unsafe) let operation = operation
        // Sound: only the child writes it, and the group has waited for the child before it is read.
        nonisolated(unsafe) var result: Result<T, any Error>?
        await withDiscardingTaskGroup { group in
            group.addImmediateTask { [isolation] in
                _ = isolation
                result = await LeastScope.$current.withValue(scope) { () async -> Result<T, any Error> in
                    scope.task.withLock { $0 = LeastScope.currentTask() }
                    defer { scope.task.withLock { $0 = 0 } }
                    do {
                        return .success(try await operation())
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        let expired = scope.state.withLock { state in
            state.ended = true
            return state.expired
        }
        leastTimers.withLock { $0.remove(scope) }
        switch result! {
        case .success(let value):
            return value
        case .failure(let error):
            if expired, error is CancellationError, !Task.isCancelled { throw RaceTimeoutError() }
            throw error
        }
    }
}

/// The scope of ``leastCorrectTimeout(_:isolation:operation:)``.
///
/// `@unchecked Sendable` is sound: `heapIndex`, the one mutable stored property outside a mutex, is read and
/// written only by ``LeastHeap`` inside `leastTimers.withLock`, so no two threads reach it at once;
/// `state` and `task` are mutexes, and `deadline` is an immutable `Sendable` value.
final class LeastScope: @unchecked Sendable {
    @TaskLocal static var current: LeastScope?

    let deadline: ContinuousClock.Instant
    /// Whether the deadline passed and whether the call has ended.
    let state = Mutex((expired: false, ended: false))
    /// The operation's task while it runs, as the word `withUnsafeCurrentTask` hands over (zero for none).
    /// A lock of its own, because cancelling a task runs its cancellation handlers, which may read `state`.
    let task = Mutex<UInt>(0)
    var heapIndex = -1

    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }

    /// The current task as one word.
    static func currentTask() -> UInt {
        precondition(taskIsOneWord)
        // Sound: the sizes match (checked above), and the word is used only while that task runs the scope.
        return withUnsafeCurrentTask { unsafeBitCast($0, to: UInt.self) }
    }

    /// Whether an optional `UnsafeCurrentTask` is one word; asked once, as `withTimeout` asks it.
    private static let taskIsOneWord = MemoryLayout<UnsafeCurrentTask?>.size == MemoryLayout<UInt>.size

    /// What the timer thread would do at the deadline: mark it passed unless the call has ended, then
    /// cancel the operation's task if it still runs.
    func deadlinePassed() {
        let cancel = state.withLock { state in
            guard !state.ended else { return false }
            state.expired = true
            return true
        }
        guard cancel else { return }
        task.withLock { word in
            // Sound: a word that is not zero names the task that recorded it, which withdraws it under this
            // lock before it ends, so the task is alive here.
            if word != 0 { unsafeBitCast(word, to: UnsafeCurrentTask.self).cancel() }
        }
    }
}

/// The deadlines of ``leastCorrectTimeout(_:isolation:operation:)``, earliest first.
struct LeastHeap: ~Copyable {
    private var entries: [LeastScope] = []

    mutating func insert(_ scope: LeastScope) {
        entries.append(scope)
        siftUp(entries.count - 1)
    }

    mutating func remove(_ scope: LeastScope) {
        let index = scope.heapIndex
        guard index >= 0 else { return }
        let last = entries.count - 1
        if index != last {
            entries.swapAt(index, last)
            entries[index].heapIndex = index
        }
        entries.removeLast()
        scope.heapIndex = -1
        if index < entries.count {
            let moved = entries[index]
            siftUp(index)
            siftDown(moved.heapIndex)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0, entries[(index - 1) / 2].deadline > entries[index].deadline {
            entries.swapAt(index, (index - 1) / 2)
            entries[index].heapIndex = index
            index = (index - 1) / 2
        }
        entries[index].heapIndex = index
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            var least = index
            let left = 2 * index + 1, right = left + 1
            if left < entries.count, entries[left].deadline < entries[least].deadline { least = left }
            if right < entries.count, entries[right].deadline < entries[least].deadline { least = right }
            guard least != index else { break }
            entries.swapAt(index, least)
            entries[index].heapIndex = index
            index = least
        }
        entries[index].heapIndex = index
    }
}

/// The lock a timer thread would share with ``leastCorrectTimeout(_:isolation:operation:)``.
let leastTimers = Mutex(LeastHeap())

struct RaceTimeoutError: Error {}

/// The hand-written timeout: a task group racing the operation against a sleeping child task.
func handWrittenRace<T: Sendable>(
    _ timeout: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw RaceTimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// The same race with an absolute deadline.
func handWrittenRace<T: Sendable>(
    until deadline: ContinuousClock.Instant,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            throw RaceTimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Calls made from an actor's own code: the timing loops run on the actor, so every call starts there, as
/// it does in an app's `@MainActor` code or a server's actor, and the operation is isolated to the actor.
actor ActorCaller {
    private var value = 42

    /// The operation, isolated to this actor. (The immediate child below is isolated to the actor too: its
    /// closure, written here, calls it without `await`.)
    @inline(never)
    func isolatedOperation() -> Int { value }

    /// Median nanoseconds per call of `withTimeout` around an operation isolated to this actor, and of the
    /// baseline: an immediate child started on this actor that runs the same actor-isolated operation (the
    /// least a child-task timeout must do from here). The sides alternate in order round by round.
    func perCall(iterations: Int, rounds: Int) async throws -> (withTimeout: Double, bare: Double) {
        let clock = ContinuousClock()
        var ours: [Double] = []
        var bare: [Double] = []
        var sink = 0
        for round in -1..<rounds {  // round -1 warms up
            for side in (round % 2 == 0 ? [0, 1] : [1, 0]) {
                let start = clock.now
                if side == 0 {
                    for _ in 0..<iterations {
                        sink &+= try await withTimeout(.seconds(60)) { self.isolatedOperation() }
                    }
                } else {
                    for _ in 0..<iterations {
                        // Sound: only the child writes it, and the group has waited for it before it is read.
                        nonisolated(unsafe) var result = 0
                        await withDiscardingTaskGroup { group in
                            group.addImmediateTask { result = self.isolatedOperation() }
                        }
                        sink &+= result
                    }
                }
                let perCall = nanoseconds(start.duration(to: clock.now)) / Double(iterations)
                if round >= 0 { side == 0 ? ours.append(perCall) : bare.append(perCall) }
            }
        }
        precondition(sink != Int.min)
        return (median(ours), median(bare))
    }
}
