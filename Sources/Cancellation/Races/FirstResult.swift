// MARK: - firstResult

/// Runs `operations` concurrently and returns the outcome of the first one to finish, after cancelling the
/// others and waiting for them to end.
///
/// This is `asyncio.wait(tasks, return_when=FIRST_COMPLETED)` done structurally: the first operation to
/// finish decides — its value is returned, or its error is thrown — and the rest are cancelled and awaited
/// before `firstResult` returns, so nothing it started is still running afterwards. Values the losers
/// return while they wind down are discarded.
///
/// ```swift
/// let page = try await firstResult(of: mirrors.map { mirror in
///     { try await fetch(from: mirror) }
/// })
/// ```
///
/// To race closures written out one by one, use ``firstResult(of:)-5xnum``, which takes them as
/// separate arguments: Swift does not infer `@Sendable` for closures inside an array literal passed here.
///
/// If the calling task is cancelled, every operation is cancelled; the first to finish then usually ends by
/// throwing `CancellationError`, which is thrown.
///
/// - Warning: Cancellation is cooperative: a loser that ignores cancellation keeps `firstResult` waiting
///   until it finishes. Calling it with no operations is a programming error and traps.
///
/// - Parameters:
///   - operations: The operations to race, each in its own child task; at least one.
/// - Returns: The value of the first operation to finish.
/// - Throws: The error of the first operation to finish, if it threw.
nonisolated(nonsending) public func firstResult<Value: Sendable>(
    of operations: [@Sendable () async throws -> Value]
) async throws -> Value {
    // Sound: `Value` is `Sendable`.
    try await race(operations.map { operation in { UncheckedSendableBox(value: try await operation()) } }, isolation: #isolation).value
}

/// Runs `operations` concurrently and returns the outcome of the first one to finish, after cancelling the
/// others and waiting for them to end.
///
/// This is ``firstResult(of:)-4h3dc`` with the operations as separate closures, and it
/// also accepts values that are not `Sendable`: each closure's value is `sending`, so an actor can race
/// operations that create non-`Sendable` values and keep the winner. See the array form for the full
/// contract.
///
/// - Warning: A loser that ignores cancellation keeps `firstResult` waiting until it finishes. Pass closure
///   literals: Swift does not convert a function value whose result is not `sending` to this parameter's
///   type, so write `{ try await fetch() }` rather than `fetch`.
///
/// - Parameters:
///   - operations: The operations to race, each in its own child task; at least one.
/// - Returns: The value of the first operation to finish.
/// - Throws: The error of the first operation to finish, if it threw.
nonisolated(nonsending) public func firstResult<Value>(
    of operations: (@Sendable () async throws -> sending Value)...
) async throws -> sending Value {
    precondition(!operations.isEmpty, "firstResult(of:) needs at least one operation")
    // Sound: each value is `sending`, disconnected from every isolation domain.
    let winner = try await race(operations.map { operation in { UncheckedSendableBox(value: try await operation()) } }, isolation: #isolation)
    return winner.value
}

/// The body of both `firstResult` forms: the operations, their values boxed, as children of a task group.
///
/// Only the one winning box is ever opened, by the caller after its child finished.
private func race<Value>(
    _ operations: [@Sendable () async throws -> UncheckedSendableBox<Value>],
    isolation: isolated (any Actor)?
) async throws -> UncheckedSendableBox<Value> {
    precondition(!operations.isEmpty, "firstResult(of:) needs at least one operation")
    return try await withThrowingTaskGroup(of: UncheckedSendableBox<Value>.self, isolation: isolation) { group in
        for operation in operations {
            group.addTask { try await operation() }
        }
        // Returning or throwing cancels the losers; the group awaits them before it returns.
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

// MARK: - firstSuccess

/// Runs `operations` concurrently and returns the value of the first one to succeed, ignoring failures
/// until every operation has failed; the others are cancelled and awaited before it returns.
///
/// This is "happy eyeballs" and hedged requests: try several sources at once and take whichever answers
/// first. An operation that throws is set aside; as soon as one returns a value, the rest are cancelled and
/// awaited, and the value is returned. If all of them throw, ``AllOperationsFailedError`` carries every
/// error, in the order of `operations`.
///
/// ```swift
/// let connection = try await firstSuccess(of: addresses.map { address in
///     { try await connect(to: address) }
/// })
/// ```
///
/// To try closures written out one by one, use ``firstSuccess(of:)-8si6c``.
///
/// If the calling task is cancelled, every operation is cancelled and, unless one still returns a value,
/// `firstSuccess` throws `CancellationError` rather than ``AllOperationsFailedError``.
///
/// - Warning: Cancellation is cooperative: a loser that ignores cancellation keeps `firstSuccess` waiting
///   until it finishes.
///
/// - Parameters:
///   - operations: The operations to try, each in its own child task. With none, it throws
///     ``AllOperationsFailedError`` with no errors.
/// - Returns: The value of the first operation to succeed.
/// - Throws: ``AllOperationsFailedError`` when every operation threw; `CancellationError` when the calling
///   task was cancelled and no operation succeeded.
nonisolated(nonsending) public func firstSuccess<Value: Sendable>(
    of operations: [@Sendable () async throws -> Value]
) async throws -> Value {
    // Sound: `Value` is `Sendable`.
    try await firstSuccessBoxed(operations.map { operation in { UncheckedSendableBox(value: try await operation()) } }, isolation: #isolation).value
}

/// The body of both `firstSuccess` forms: the operations, their values boxed, as children of a task group.
///
/// Only the one winning box is ever opened, by the caller after its child finished.
private func firstSuccessBoxed<Value>(
    _ operations: [@Sendable () async throws -> UncheckedSendableBox<Value>],
    isolation: isolated (any Actor)?
) async throws -> UncheckedSendableBox<Value> {
    typealias Finished = (index: Int, result: Result<UncheckedSendableBox<Value>, any Error>)
    return try await withThrowingTaskGroup(of: Finished.self, isolation: isolation) { group -> UncheckedSendableBox<Value> in
        for (index, operation) in operations.enumerated() {
            group.addTask {
                do {
                    return (index, .success(try await operation()))
                } catch {
                    return (index, .failure(error))
                }
            }
        }
        var errors: [(index: Int, error: any Error)] = []
        while let finished = try await group.next() {
            switch finished.result {
            case .success(let box):
                group.cancelAll()  // the group awaits the losers before it returns
                return box
            case .failure(let error):
                errors.append((finished.index, error))
            }
        }
        if Task.isCancelled {
            throw CancellationError()
        }
        throw AllOperationsFailedError(errors: errors.sorted { $0.index < $1.index }.map(\.error))
    }
}

/// Runs `operations` concurrently and returns the value of the first one to succeed, ignoring failures
/// until every operation has failed.
///
/// This is ``firstSuccess(of:)-6w6e1`` with the operations as separate closures, and it
/// also accepts values that are not `Sendable`: each closure's value is `sending`. See the array form for
/// the full contract.
///
/// - Warning: A loser that ignores cancellation keeps `firstSuccess` waiting until it finishes. Pass closure
///   literals: Swift does not convert a function value whose result is not `sending` to this parameter's
///   type.
///
/// - Parameters:
///   - operations: The operations to try, each in its own child task.
/// - Returns: The value of the first operation to succeed.
/// - Throws: ``AllOperationsFailedError`` when every operation threw; `CancellationError` when the calling
///   task was cancelled and no operation succeeded.
nonisolated(nonsending) public func firstSuccess<Value>(
    of operations: (@Sendable () async throws -> sending Value)...
) async throws -> sending Value {
    // Sound: each value is `sending`, disconnected from every isolation domain.
    let winner = try await firstSuccessBoxed(operations.map { operation in { UncheckedSendableBox(value: try await operation()) } }, isolation: #isolation)
    return winner.value
}

// MARK: - AllOperationsFailedError

/// The error ``firstSuccess(of:)-6w6e1`` throws when every operation failed.
public struct AllOperationsFailedError: Error, CustomStringConvertible {
    /// Every operation's error, in the order the operations were given.
    public var errors: [any Error]

    /// Creates the error.
    ///
    /// - Parameter errors: The operations' errors, in the order the operations were given.
    public init(errors: [any Error]) {
        self.errors = errors
    }

    /// For example `all 2 operations failed: timed out after 1 second (…); connectionRefused`.
    public var description: String {
        "all \(errors.count) operation\(errors.count == 1 ? "" : "s") failed: "
            + errors.map { String(describing: $0) }.joined(separator: "; ")
    }
}
