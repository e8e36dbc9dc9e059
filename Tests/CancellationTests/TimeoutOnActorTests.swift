import Cancellation
import CancellationTesting
import Testing

/// The contract of the scoped functions when they are called on an actor (`TimeoutTests` drives it from
/// nonisolated callers): the operation runs on the caller's actor, starts cancelled when its caller already
/// is, is cancelled by its caller's cancellation and by the deadline, sees the caller's task-local values and
/// the scope's deadline, and has ended when the call returns. (These were written when an actor's scopes ran
/// their operation in an unstructured task, which was measured and not kept; see Benchmarks/README.md.)
@Suite("Scoped functions called on an actor")
struct TimeoutOnActorTests {
    /// A caller on an actor of its own, with state that only the actor may touch.
    actor Caller {
        let clock = ManualClock()
        var log: [String] = []

        /// `withTimeout` around a ten-second sleep on the manual clock; records whether the operation ran on
        /// this actor and whether it started cancelled, and logs its start and its end.
        func sleepUnderTimeout(_ timeout: Duration, startedCancelled: Recorder<Bool>) async throws {
            try await withTimeout(timeout, clock: clock) {
                self.preconditionIsolated()
                startedCancelled.record(Task.isCancelled)
                self.log.append("started")
                defer { self.log.append("ended") }
                try await clock.sleep(for: .seconds(10))
            }
        }

        /// Cancels the task it runs in, then calls `sleepUnderTimeout`.
        func cancelThenSleepUnderTimeout(startedCancelled: Recorder<Bool>) async throws {
            withUnsafeCurrentTask { $0?.cancel() }
            try await sleepUnderTimeout(.seconds(1), startedCancelled: startedCancelled)
        }

        /// `withTimeoutOrNil` around a ten-second sleep.
        func sleepMovingOn() async throws -> Int? {
            try await withTimeoutOrNil(.seconds(1), clock: clock) {
                try await clock.sleep(for: .seconds(10))
                return self.log.count
            }
        }

        /// A scope the operation cancels with a reason of its own.
        func cancelOwnScope() async throws -> Int {
            try await withTimeout(.seconds(10), clock: clock) { scope in
                scope.cancel(reason: "not needed")
                try await clock.sleep(for: .seconds(10))
                return self.log.count
            }
        }

        /// The task-local values and the deadline the operation sees, and the actor's own state it returns.
        func observe(_ marker: Recorder<String>) async throws -> [String] {
            try await Probe.$tag.withValue("bound by the caller") {
                try await withTimeout(.seconds(3), clock: clock) {
                    marker.record(Probe.tag)
                    marker.record(EffectiveDeadline.current.map { "\($0.remaining)" } ?? "none")
                    self.log.append("observed")
                    return self.log
                }
            }
        }

        /// `withTimeout` called in a task group's body on this actor: the scope's own task and binding do not
        /// disturb the caller's group.
        func inGroupBody() async throws -> [Int] {
            try await withThrowingTaskGroup(of: Int.self) { group in
                let first = try await withTimeout(.seconds(1), clock: clock) { self.log.count + 1 }
                group.addTask { 2 }
                var values = [first]
                for try await value in group {
                    values.append(value)
                }
                return values
            }
        }

        /// Nested scopes: the inner deadline passes, the outer carries on and returns.
        func nested() async throws -> String {
            try await withTimeout(.seconds(10), clock: clock) {
                do {
                    try await withTimeout(.seconds(1), clock: clock) {
                        try await clock.sleep(for: .seconds(5))
                    }
                    return "inner finished"
                } catch let error as TimeoutError {
                    return "inner timed out after \(error.timeout), outer cancelled: \(Task.isCancelled)"
                }
            }
        }
    }

    enum Probe {
        @TaskLocal static var tag = "unbound"
    }

    @Test("the operation runs on the caller's actor; a deadline that passes cancels it and throws TimeoutError")
    func deadlineOnActor() async throws {
        let caller = Caller()
        let startedCancelled = Recorder<Bool>()
        let task = Task { try await caller.sleepUnderTimeout(.seconds(1), startedCancelled: startedCancelled) }
        try await caller.clock.waitForPending(sleeps: 1, timers: 1)
        caller.clock.advance(by: .seconds(1))
        let error = try #require(await task.result.failure as? TimeoutError)
        #expect(error.timeout == .seconds(1))
        #expect(startedCancelled.all == [false])
        // When the call returns, the operation has ended: its `defer` ran on the actor before.
        #expect(await caller.log == ["started", "ended"])
    }

    @Test("a caller on an actor cancelled before the call: the operation starts cancelled, CancellationError")
    func cancelledBeforeCallOnActor() async throws {
        let caller = Caller()
        let startedCancelled = Recorder<Bool>()
        let task = Task { try await caller.cancelThenSleepUnderTimeout(startedCancelled: startedCancelled) }
        #expect(await task.result.failure is CancellationError)
        #expect(startedCancelled.all == [true])
        #expect(await caller.log == ["started", "ended"])
    }

    @Test("a caller on an actor cancelled during the call: the operation is cancelled, CancellationError")
    func cancelledDuringCallOnActor() async throws {
        let caller = Caller()
        let startedCancelled = Recorder<Bool>()
        let task = Task { try await caller.sleepUnderTimeout(.seconds(1), startedCancelled: startedCancelled) }
        try await caller.clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        #expect(await task.result.failure is CancellationError)
        #expect(caller.clock.now == ManualClock.Instant(offset: .zero))
        #expect(await caller.log == ["started", "ended"])
    }

    @Test("a caller on an actor cancelled at the instant the deadline fires gets CancellationError")
    func cancelledAtDeadlineOnActor() async throws {
        let caller = Caller()
        let task = Task { try await caller.sleepUnderTimeout(.seconds(1), startedCancelled: Recorder()) }
        try await caller.clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        caller.clock.advance(by: .seconds(1))
        #expect(await task.result.failure is CancellationError)
    }

    @Test("a zero timeout on an actor starts the operation cancelled and throws TimeoutError")
    func zeroTimeoutOnActor() async throws {
        let caller = Caller()
        let startedCancelled = Recorder<Bool>()
        let result = await Task { try await caller.sleepUnderTimeout(.zero, startedCancelled: startedCancelled) }.result
        #expect(result.failure is TimeoutError)
        #expect(startedCancelled.all == [true])
    }

    @Test("the move-on form and an explicit cancel(reason:) work on an actor")
    func moveOnAndExplicitCancelOnActor() async throws {
        let caller = Caller()
        let movingOn = Task { try await caller.sleepMovingOn() }
        try await caller.clock.waitForPending(sleeps: 1, timers: 1)
        caller.clock.advance(by: .seconds(1))
        #expect(try await movingOn.value == nil)

        let error = await Task { try await caller.cancelOwnScope() }.result.failure
        #expect((error as? ScopeCancelledError)?.reason == "not needed")
    }

    @Test("the operation sees its caller's task-local values and the scope's deadline, and returns actor state")
    func taskLocalsOnActor() async throws {
        let caller = Caller()
        let marker = Recorder<String>()
        #expect(try await caller.observe(marker) == ["observed"])
        #expect(marker.all == ["bound by the caller", "\(Duration.seconds(3))"])
        #expect(Probe.tag == "unbound")
    }

    @Test("called in a task group's body on an actor, the scope runs and the group goes on")
    func inTaskGroupBodyOnActor() async throws {
        let caller = Caller()
        #expect(try await caller.inGroupBody() == [1, 2])
    }

    @Test("nested on an actor: the inner deadline throws naming itself, the outer carries on")
    func nestedOnActor() async throws {
        let caller = Caller()
        let task = Task { try await caller.nested() }
        try await caller.clock.waitForPending(sleeps: 1, timers: 2)
        caller.clock.advance(by: .seconds(1))
        #expect(try await task.value == "inner timed out after \(Duration.seconds(1)), outer cancelled: false")
    }
}
