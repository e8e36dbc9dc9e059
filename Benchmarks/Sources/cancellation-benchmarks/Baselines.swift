// The code a Swift developer writes today instead of this package, measured beside it.

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
