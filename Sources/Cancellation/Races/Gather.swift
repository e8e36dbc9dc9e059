
// MARK: - GatherOutcome

/// How one operation of ``gather(timeout:tolerance:clock:fileID:line:of:)-467yw`` ended.
public enum GatherOutcome<Value> {
    /// The operation returned a value — before the deadline, or while it wound down after it.
    case success(Value)
    /// The operation threw an error of its own, or `CancellationError` because the calling task was
    /// cancelled.
    case failure(any Error)
    /// The deadline passed and the operation ended by the resulting cancellation.
    case timedOut

    /// The value, if the operation succeeded.
    public var value: Value? {
        if case .success(let value) = self { return value }
        return nil
    }

    /// Whether the operation ended by the deadline's cancellation.
    public var isTimedOut: Bool {
        if case .timedOut = self { return true }
        return false
    }
}

extension GatherOutcome: Sendable where Value: Sendable {}

// MARK: - gather

/// Runs `operations` concurrently under one time limit and returns, for each, its value, its error, or
/// ``GatherOutcome/timedOut``.
///
/// This is `asyncio.wait(tasks, timeout=…)` and `asyncio.gather(…, return_exceptions=True)` under
/// `asyncio.timeout()`, made structured: when `timeout` has elapsed on `clock`, the operations still running
/// are cancelled — the calling task is not — and awaited, so nothing `gather` started is still running when
/// it returns. Results of the operations that finished are kept, whenever they finished:
///
/// - An operation that returns, even after the deadline fired, gives ``GatherOutcome/success(_:)``.
/// - One that throws an error of its own, even after the deadline fired, gives
///   ``GatherOutcome/failure(_:)`` with that error.
/// - One that ends by throwing `CancellationError` because of the deadline gives ``GatherOutcome/timedOut``.
///
/// If the calling task is cancelled, every operation still running is cancelled; one that ends by throwing
/// `CancellationError` then gives ``GatherOutcome/failure(_:)`` with it, never ``GatherOutcome/timedOut``.
/// `gather` never throws: every outcome is in the array.
///
/// ```swift
/// let outcomes = await gather(timeout: .seconds(2), of: replicas.map { replica in
///     { try await replica.read(key) }
/// })
/// let answers = outcomes.compactMap(\.value)
/// ```
///
/// To gather closures written out one by one, use ``gather(timeout:tolerance:clock:fileID:line:of:)-9zkfx``,
/// which takes them as separate arguments: Swift does not infer `@Sendable` for closures inside an array
/// literal passed here.
///
/// - Warning: Cancellation is cooperative: an operation that ignores cancellation keeps `gather` waiting
///   after the deadline until it finishes.
///
/// - Parameters:
///   - timeout: How long the operations may run, measured on `clock`.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the time limit.
///   - fileID: The file that opens the scope, for diagnostics. Leave the default.
///   - line: The line that opens the scope. Leave the default.
///   - operations: The operations to run, each in its own child task.
/// - Returns: One outcome per operation, in the order of `operations`.
nonisolated(nonsending) public func gather<Value: Sendable, C: Clock>(
    timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    of operations: [@Sendable () async throws -> Value]
) async -> [GatherOutcome<Value>] where C.Duration == Duration {
    let scope = ScopeCore.startingNow(on: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return await gather(in: scope, isolation: #isolation, boxing(operations)).value
}

/// Runs `operations` concurrently under one time limit on the continuous clock and returns, for each, its
/// value, its error, or ``GatherOutcome/timedOut``.
///
/// This is ``gather(timeout:tolerance:clock:fileID:line:of:)-467yw`` with `ContinuousClock`; see it for
/// the full contract.
///
/// - Warning: An operation that ignores cancellation keeps `gather` waiting after the deadline.
///
/// - Parameters:
///   - timeout: How long the operations may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operations: The operations to run, each in its own child task.
/// - Returns: One outcome per operation, in the order of `operations`.
nonisolated(nonsending) public func gather<Value: Sendable>(
    timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    of operations: [@Sendable () async throws -> Value]
) async -> [GatherOutcome<Value>] {
    let scope = ScopeCore.startingNow(on: ContinuousClock(), timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return await gather(in: scope, isolation: #isolation, boxing(operations)).value
}

/// Runs `operations` concurrently until an absolute deadline and returns, for each, its value, its error,
/// or ``GatherOutcome/timedOut``.
///
/// This is `asyncio.wait(tasks, timeout=…)` with a deadline shared by several steps. A deadline already in
/// the past starts the operations cancelled. Otherwise the contract is that of
/// ``gather(timeout:tolerance:clock:fileID:line:of:)-467yw``.
///
/// - Warning: An operation that ignores cancellation keeps `gather` waiting after the deadline.
///
/// - Parameters:
///   - deadline: The instant of `clock` by which the operations must finish.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock `deadline` belongs to.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operations: The operations to run, each in its own child task.
/// - Returns: One outcome per operation, in the order of `operations`.
nonisolated(nonsending) public func gather<Value: Sendable, C: Clock>(
    deadline: C.Instant,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    of operations: [@Sendable () async throws -> Value]
) async -> [GatherOutcome<Value>] where C.Duration == Duration {
    let scope = ScopeCore.startingNow(on: clock, deadline: deadline, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    return await gather(in: scope, isolation: #isolation, boxing(operations)).value
}

/// Runs `operations` concurrently under one time limit and returns, for each, its value, its error, or
/// ``GatherOutcome/timedOut``; the values need not be `Sendable`.
///
/// This is ``gather(timeout:tolerance:clock:fileID:line:of:)-467yw`` with the operations
/// as separate closures whose values are `sending`, so an actor can gather operations that create
/// non-`Sendable` values and keep them. See the array form for the full contract.
///
/// - Warning: An operation that ignores cancellation keeps `gather` waiting after the deadline. Pass closure
///   literals: Swift does not convert a function value whose result is not `sending` to this parameter's
///   type.
///
/// - Parameters:
///   - timeout: How long the operations may run, measured on `clock`.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - clock: The clock that measures the time limit.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operations: The operations to run, each in its own child task.
/// - Returns: One outcome per operation, in the order of `operations`.
nonisolated(nonsending) public func gather<Value, C: Clock>(
    timeout: Duration,
    tolerance: Duration? = nil,
    clock: C,
    fileID: String = #fileID,
    line: Int = #line,
    of operations: (@Sendable () async throws -> sending Value)...
) async -> sending [GatherOutcome<Value>] where C.Duration == Duration {
    let scope = ScopeCore.startingNow(on: clock, timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    // Sound: every outcome moved out of a finished child; the array is this caller's alone.
    return await gather(in: scope, isolation: #isolation, boxing(operations)).value
}

/// Runs `operations` concurrently under one time limit on the continuous clock and returns, for each, its
/// value, its error, or ``GatherOutcome/timedOut``; the values need not be `Sendable`.
///
/// See ``gather(timeout:tolerance:clock:fileID:line:of:)-9zkfx``.
///
/// - Warning: An operation that ignores cancellation keeps `gather` waiting after the deadline. Pass closure
///   literals.
///
/// - Parameters:
///   - timeout: How long the operations may run.
///   - tolerance: How late the deadline may be enforced; `nil` for the clock's default.
///   - fileID: The file that opens the scope; leave the default.
///   - line: The line that opens the scope; leave the default.
///   - operations: The operations to run, each in its own child task.
/// - Returns: One outcome per operation, in the order of `operations`.
nonisolated(nonsending) public func gather<Value>(
    timeout: Duration,
    tolerance: Duration? = nil,
    fileID: String = #fileID,
    line: Int = #line,
    of operations: (@Sendable () async throws -> sending Value)...
) async -> sending [GatherOutcome<Value>] {
    let scope = ScopeCore.startingNow(on: ContinuousClock(), timeout: timeout, tolerance: tolerance, location: ScopeLocation(fileID: fileID, line: line))
    // Sound: every outcome moved out of a finished child; the array is this caller's alone.
    return await gather(in: scope, isolation: #isolation, boxing(operations)).value
}

/// Boxes the values of operations whose values are `Sendable`.
private func boxing<Value: Sendable>(
    _ operations: [@Sendable () async throws -> Value]
) -> [@Sendable () async throws -> UncheckedSendableBox<Value>] {
    // Sound: `Value` is `Sendable`.
    operations.map { operation in { UncheckedSendableBox(value: try await operation()) } }
}

/// Boxes the values of operations whose values are `sending`.
private func boxing<Value>(
    _ operations: [@Sendable () async throws -> sending Value]
) -> [@Sendable () async throws -> UncheckedSendableBox<Value>] {
    // Sound: each value is `sending`, disconnected from every isolation domain.
    operations.map { operation in { UncheckedSendableBox(value: try await operation()) } }
}

/// Whether the task that called `gather` was cancelled, recorded as it happens so an operation ending by
/// cancellation can tell the caller's cancellation from the deadline's.
private final class CallerCancellation: Sendable {
    private let flag = LockedValue(false)

    func record() {
        flag.withLock { $0 = true }
    }

    var happened: Bool {
        flag.withLock { $0 }
    }
}

/// The body of every `gather`: the operations as children of a task group that runs as `scope`'s block.
private func gather<Value>(
    in scope: ScopeCore,
    isolation: isolated (any Actor)?,
    _ operations: [@Sendable () async throws -> UncheckedSendableBox<Value>]
) async -> UncheckedSendableBox<[GatherOutcome<Value>]> {
    typealias Finished = (index: Int, outcome: UncheckedSendableBox<GatherOutcome<Value>>)
    let caller = CallerCancellation()
    let count = operations.count
    let outcome = await withTaskCancellationHandler {
        // The block never throws; `run` only rethrows the block's own errors.
        try? await scope.runForOperator(isolation: isolation) {
            await withTaskGroup(of: Finished.self) { group in
                for (index, operation) in operations.enumerated() {
                    group.addTask {
                        do {
                            // The box is opened only by the gathering task, after this child finished.
                            return (index, UncheckedSendableBox(value: .success(try await operation().value)))
                        } catch is CancellationError where scope.isCancelled && !caller.happened {
                            return (index, UncheckedSendableBox(value: .timedOut))
                        } catch {
                            return (index, UncheckedSendableBox(value: .failure(error)))
                        }
                    }
                }
                var outcomes = [GatherOutcome<Value>?](repeating: nil, count: count)
                while let finished = await group.next() {
                    outcomes[finished.index] = finished.outcome.value
                }
                // Sound: every outcome moved here from a finished child; the array leaves the block as the
                // scope's value while the caller waits for it.
                return UncheckedSendableBox(value: outcomes.map { $0! })
            }
        }
    } onCancel: {
        caller.record()
    }
    switch outcome {
    case .returned(let box, _):
        return box
    case .cancelledByScope, nil:
        preconditionFailure("gather's block never throws")
    }
}
