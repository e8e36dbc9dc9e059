// Re-enacts, with swift-cancellation, every snippet of the asyncio explainer
// "How do you cancel or add a timeout to an asyncio task safely?", and prints what happened.
//
//     swift run asyncio-tour            # the durations of the original (about 8 seconds)
//     swift run asyncio-tour --quick    # the same story at 1/20 of the time

import Cancellation
import Foundation

let quick = CommandLine.arguments.contains("--quick")
/// The original's durations, optionally scaled down so the tour can run in CI.
func seconds(_ value: Double) -> Duration {
    .milliseconds(Int64(value * (quick ? 50 : 1_000)))
}
func label(_ value: Double) -> String {
    "\(value.formatted()) seconds\(quick ? " (scaled 1/20)" : "")"
}
func say(_ section: String, _ text: String) {
    print("[\(section)] \(text)")
}

/// `async def slow_operation(): await asyncio.sleep(10); return "done"`
func slowOperation() async throws -> String {
    try await Task.sleep(for: seconds(10))
    return "done"
}

// MARK: 1. asyncio.wait_for(slow_operation(), timeout=2)

do {
    let result = try await withTimeout(seconds(2)) {
        try await slowOperation()
    }
    say("wait_for", "result: \(result)")
} catch let error as TimeoutError {
    say("wait_for", "timed out after \(label(2)) — \(error)")
}

// MARK: 2. async with asyncio.timeout(2): one deadline over a whole block, reschedulable

do {
    try await withTimeout(seconds(2)) { scope in
        try await Task.sleep(for: seconds(0.5))            // first await
        say("timeout()", "first step done, \(EffectiveDeadline.current!.remaining.formatted(.units(allowed: [.seconds, .milliseconds]))) left of the shared budget")
        scope.reschedule(after: seconds(1))                // like cm.reschedule(loop.time() + 1)
        say("timeout()", "deadline rescheduled to 1 second from now")
        _ = try await slowOperation()                      // second await, same deadline
    }
} catch let error as TimeoutError {
    say("timeout()", "timed out — \(error)")
}

// And the "move on" form Trio and Kotlin have, which asyncio lacks:
let cached = try await withTimeoutOrNil(seconds(0.2)) { try await slowOperation() }
say("move_on", "cache lookup gave up, result: \(cached ?? "nil") — carrying on with a fallback")

// MARK: 3. task.cancel(): cleanup, then re-raise

/// `async def worker()`: catches cancellation only to clean up, and re-raises it.
func worker() async throws {
    do {
        try await Task.sleep(for: seconds(100))
    } catch is CancellationError {
        let reason = CancellationReason.current?.description ?? "unknown"
        // The cleanup runs in a shield, so its own awaits are not cancelled too.
        await withCancellationShield {
            say("task.cancel", "cleaning up before exiting (reason: \(reason))")
            try? await Task.sleep(for: seconds(0.1))       // closing a connection takes a moment
        }
        throw CancellationError()                          // IMPORTANT: re-raise so the cancellation completes
    }
}

let task = Task { try await worker() }
try await Task.sleep(for: seconds(1))
task.cancel()                                              // requests cancellation
switch await task.result {                                 // propagates CancellationError here, after cleanup
case .success:
    say("task.cancel", "worker finished normally?!")
case .failure(let error):
    say("task.cancel", "awaiting the task raised \(type(of: error)) after its cleanup ran")
}

// MARK: 4. Why you must never blanket-catch cancellation

/// `bad_worker()` with a bare `except:`: in Swift, *every* `catch` without a pattern is a bare `except:`.
func badWorker() async -> Int {
    var iterations = 0
    while iterations < 5 {                                 // a bounded stand-in for `while True`
        do {
            try await Task.sleep(for: seconds(0.05))
        } catch {  // cancellation-lint:disable:this swallowed-cancellation-loop -- the bug, shown on purpose
            // BUG: swallows CancellationError; the loop carries on as if nothing happened.
        }
        iterations += 1
    }
    return iterations
}
let bad = Task { await badWorker() }
bad.cancel()
say("bare catch", "the cancelled bad worker ignored cancellation and ran \(await bad.value) more iterations")

/// The fix: let cancellation propagate; handle only the errors you mean to.
func goodWorker() async throws {
    while true {
        do {
            try await Task.sleep(for: seconds(0.05))
        } catch is CancellationError {
            throw CancellationError()                      // never swallow it
        } catch {
            print("ordinary failure, retrying: \(error)")
        }
    }
}
let good = Task { try await goodWorker() }
good.cancel()
say("bare catch", "the fixed worker stopped at once with \(await good.result.failureTypeName)")

// A timeout can never be mistaken for the caller's cancellation, and vice versa:
let caller = Task {
    try await withTimeout(seconds(5)) { try await slowOperation() }
}
caller.cancel()
let callerResult = await caller.result
say("BaseException", "a cancelled caller gets \(callerResult.failureTypeName), never TimeoutError; TimeoutError is not a CancellationError: \(!((TimeoutError(timeout: .zero, location: .init()) as Any) is CancellationError))")

// MARK: 5. From an actor: the caller's own state in and out

// asyncio code shares one thread, so a coroutine under `wait_for` may read and return any object. In Swift
// the same holds on an actor: the operation runs on the caller's actor, so it may return the actor's own
// (non-Sendable) state, and a get-or-create under a lock needs no copying.

/// A connection the actor owns; not `Sendable`.
final class Session {
    let user: String
    init(user: String) { self.user = user }
}

actor SessionPool {
    private var open: [String: Session] = [:]
    private let lock = AsyncLock()

    /// Get-or-create under a lock, with a time limit on the slow path; returns the pool's own object.
    func session(for user: String) async throws -> Session {
        try await lock.withLock {
            if let existing = open[user] { return existing }
            let created = try await withTimeout(seconds(2)) {
                try await Task.sleep(for: seconds(0.1))       // the handshake
                return Session(user: user)
            }
            open[user] = created
            return created
        }
    }

    func demo() async throws -> String {
        let first = try await session(for: "ada")
        let again = try await session(for: "ada")
        // A Void operation under a move-on limit reports whether it finished.
        let drained = await withTimeoutOrNil(seconds(0.5)) { open.removeAll() }
        return "the second lookup returned the pool's own session: \(first === again); drained in time: \(drained)"
    }
}
say("actors", try await SessionPool().demo())

extension Result where Failure == any Error {
    var failureTypeName: String {
        if case .failure(let error) = self { return String(describing: type(of: error as any Error)) }
        return "no error"
    }
}

say("summary", "wait_for → withTimeout, timeout() → withTimeout { scope in }, timeout_at → withTimeout(at:), reschedule → scope.reschedule, task.cancel → Task.cancel, shield → withCancellationShield; on an actor, the operation runs there and may return the actor's own state")
