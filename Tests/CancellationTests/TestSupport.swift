import Cancellation
import CancellationTesting
import Logging

/// An error of the operation's own.
struct OperationError: Error, Equatable {
    var code = 1
}

/// A non-`Sendable` piece of state, to prove operations can use the caller's isolated state.
final class Counter {
    var value = 0
}

/// Records what a task-local chain looked like at some point, for later assertions.
final class Recorder<Value: Sendable>: Sendable {
    private let values = LockedValue<[Value]>([])

    func record(_ value: Value) {
        values.withLock { $0.append(value) }
    }

    var all: [Value] { values.withLock { $0 } }
}

/// A log handler that keeps messages and lets a test wait for the n-th one without sleeping.
final class CapturingLogHandler: LogHandler, Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private struct State {
        var entries: [Entry] = []
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    private let state = LockedValue(State())

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let entry = Entry(
            level: event.level,
            message: event.message.description,
            metadata: (event.metadata ?? [:]).mapValues { $0.description }
        )
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries.append(entry)
            let count = state.entries.count
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                if waiter.0 <= count {
                    ready.append(waiter.1)
                    return true
                }
                return false
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    var entries: [Entry] { state.withLock { $0.entries } }

    /// Suspends until at least `count` entries were logged.
    func waitForEntries(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.entries.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Runs `body` in a new task and returns its result as a `Result`, for tests that cancel it.
func outcome<Value: Sendable>(of task: Task<Value, any Error>) async -> Result<Value, any Error> {
    await task.result
}

extension ManualClock {
    /// Suspends until at least `sleeps` sleeps (the code under test's own waits on the clock) and at least
    /// `timers` library timers (deadlines of timeouts and scopes, report and grace timers) are pending.
    func waitForPending(sleeps: Int, timers: Int) async throws {
        try await waitForSleepers(count: sleeps)
        try await waitForTimers(count: timers)
    }
}
