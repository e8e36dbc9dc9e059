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
