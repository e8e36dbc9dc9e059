// The code a Swift developer writes today instead of this package, measured beside it (and, at the
// end, a caller on an actor).

import Cancellation

/// A trivial awaited operation.
@inline(never)
func trivialOperation() async -> Int { 42 }

/// The operation in a bare child task: what any timeout that cancels only its operation must at least do.
func bareChildTask() async -> Int {
    await withTaskGroup(of: Int.self) { group in
        group.addTask { await trivialOperation() }
        return await group.next()!
    }
}

/// The operation in a bare child task started with `addImmediateTask` (Swift 6.2), as `withTimeout` starts
/// its own: shown beside B1, so the cost of the scope itself is visible apart from the cheaper start.
func bareImmediateChildTask() async -> Int {
    await withTaskGroup(of: Int.self) { group in
        group.addImmediateTask { await trivialOperation() }
        return await group.next()!
    }
}

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

/// Calls made from an actor's own code: the timing loops run on the actor, so every call starts there,
/// as it does in an app's `@MainActor` code or a server's actor.
actor ActorCaller {
    private var sink = 0

    /// Median nanoseconds per call of `withTimeout` and of a bare child task, both called on this actor,
    /// interleaved round by round.
    func perCall(iterations: Int, rounds: Int) async throws -> (withTimeout: Double, bare: Double) {
        let clock = ContinuousClock()
        var ours: [Double] = []
        var bare: [Double] = []
        for round in -1..<rounds {  // round -1 warms up
            var start = clock.now
            for _ in 0..<iterations {
                sink &+= try await withTimeout(.seconds(60)) { await trivialOperation() }
            }
            if round >= 0 { ours.append(nanoseconds(start.duration(to: clock.now)) / Double(iterations)) }
            start = clock.now
            for _ in 0..<iterations {
                sink &+= await withTaskGroup(of: Int.self) { group in
                    group.addTask { await trivialOperation() }
                    return await group.next()!
                }
            }
            if round >= 0 { bare.append(nanoseconds(start.duration(to: clock.now)) / Double(iterations)) }
        }
        precondition(sink != Int.min)
        return (median(ours), median(bare))
    }
}
