@_spi(Testing) @testable import Cancellation
import Dispatch
import Testing

/// The pure state machine of a cancel scope, driven synchronously.
@Suite("Cancel scope state machine")
struct CancelScopeStateMachineTests {
    typealias Machine = CancelScopeStateMachine
    let location = ScopeLocation(fileID: "Tests/Machine.swift", line: 1)

    @Test("a future deadline is armed with the current generation")
    func armsFutureDeadline() {
        var machine = Machine(deadline: .seconds(5), location: location)
        #expect(machine.begin(now: .zero) == .armDeadline(.seconds(5), generation: 0))
        #expect(machine.cancellation == nil)
        guard case .running(let running) = machine.state else {
            Issue.record("not running")
            return
        }
        #expect(running.deadlineArmed)
    }

    @Test("a deadline at or before the start cancels at once, and names the deadline")
    func pastDeadlineCancels() {
        var machine = Machine(deadline: .zero, location: location)
        #expect(machine.begin(now: .zero) == .cancelOperation(disarmDeadline: false, graceDeadline: nil))
        #expect(machine.cancellation?.reason == .deadlineExpired(scope: location))
        #expect(machine.cancellation?.deadline == .zero)
    }

    @Test("without a deadline nothing is armed; a deadline too far away is not armed either")
    func noDeadline() {
        var machine = Machine(deadline: nil, location: location)
        #expect(machine.begin(now: .zero) == .none)
        var far = Machine(deadline: .seconds(Int64(UInt32.max) + 1), location: location)
        #expect(far.begin(now: .zero) == .none)
    }

    @Test("a stale timer (older generation) is ignored; the current one cancels")
    func staleTimersAreIgnored() {
        var machine = Machine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.setDeadline(.seconds(10), now: .seconds(1)) == .armDeadline(.seconds(10), generation: 1))
        #expect(machine.deadlineFired(generation: 0, now: .seconds(5)) == .none)
        #expect(machine.cancellation == nil)
        // The deadline fired, so its entry is out of the engine: nothing to disarm.
        #expect(machine.deadlineFired(generation: 1, now: .seconds(10)) == .cancelOperation(disarmDeadline: false, graceDeadline: nil))
        #expect(machine.cancellation?.deadline == .seconds(10))
    }

    @Test("a timer that fires early re-arms instead of cancelling")
    func earlyTimerRearms() {
        var machine = Machine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.deadlineFired(generation: 0, now: .seconds(4)) == .armDeadline(.seconds(5), generation: 0))
    }

    @Test("moving the deadline into the past cancels and disarms; moving it after cancellation changes nothing")
    func rescheduleRules() {
        var machine = Machine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.setDeadline(.seconds(1), now: .seconds(2)) == .cancelOperation(disarmDeadline: true, graceDeadline: nil))
        let cancellation = machine.cancellation
        #expect(machine.setDeadline(.seconds(100), now: .seconds(3)) == .none)
        #expect(machine.cancellation?.at == cancellation?.at)
        #expect(machine.cancellation?.at == .seconds(2))
        #expect(machine.setDeadline(nil, now: .seconds(3)) == .none)
        #expect(machine.deadline == nil)
    }

    @Test("removing the deadline, or moving it past the armable range, disarms it")
    func removingDisarms() {
        var machine = Machine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.setDeadline(nil, now: .seconds(1)) == .disarmDeadline)
        #expect(machine.setDeadline(nil, now: .seconds(1)) == .none)  // nothing armed any more
        #expect(machine.setDeadline(.seconds(3), now: .seconds(1)) == .armDeadline(.seconds(3), generation: 3))
        #expect(machine.setDeadline(.seconds(Int64(UInt32.max) + 10), now: .seconds(1)) == .disarmDeadline)
    }

    @Test("explicit cancellation happens once, keeps the first reason, and is deferred before the start")
    func explicitCancellation() {
        var machine = Machine(deadline: nil, location: location)
        #expect(machine.cancel(reason: "early", now: .zero) == .none)  // not running yet
        #expect(machine.begin(now: .zero) == .cancelOperation(disarmDeadline: false, graceDeadline: nil))
        #expect(machine.cancellation?.reason == .cancelled(reason: "early", scope: location))
        #expect(machine.cancel(reason: "again", now: .seconds(1)) == .none)
        #expect(machine.cancellation?.reason == .cancelled(reason: "early", scope: location))
    }

    @Test("an explicit cancellation disarms an armed deadline and asks for the grace timer")
    func cancellationWithGracePeriod() {
        var machine = Machine(deadline: .seconds(10), location: location, gracePeriod: .seconds(5))
        _ = machine.begin(now: .zero)
        #expect(machine.cancel(reason: "stop", now: .seconds(2)) == .cancelOperation(disarmDeadline: true, graceDeadline: .seconds(7)))
        let grace = graceTimer()
        machine.graceTimerArmed(grace)
        let ending = machine.finish()
        #expect(ending.graceTimer?.entry === grace.entry)
        #expect(!ending.disarmDeadline)
        #expect(ending.lateFinish == nil)
    }

    @Test("a grace period of zero, a negative one or one too long to arm means no report")
    func noGracePeriod() {
        for grace in [Duration.zero, .seconds(-1), .seconds(Int64.max)] {
            var machine = Machine(deadline: .zero, location: location, gracePeriod: grace)
            #expect(machine.begin(now: .zero) == .cancelOperation(disarmDeadline: false, graceDeadline: nil))
        }
    }

    @Test("nothing acts on a finished scope; the uncooperative report is given once, only while running")
    func finishedScope() {
        var machine = Machine(deadline: .seconds(1), location: location, gracePeriod: .seconds(5))
        _ = machine.begin(now: .zero)
        #expect(machine.graceTimerFired() == nil)  // not cancelled
        #expect(machine.deadlineFired(generation: 0, now: .seconds(1)) == .cancelOperation(disarmDeadline: false, graceDeadline: .seconds(6)))
        machine.graceTimerArmed(graceTimer())
        #expect(machine.graceTimerFired() != nil)
        #expect(machine.graceTimerFired() == nil)  // once
        let ending = machine.finish()
        #expect(ending.lateFinish?.reason == .deadlineExpired(scope: location))
        #expect(ending.graceTimer == nil)  // it fired
        #expect(machine.cancel(reason: "late", now: .seconds(2)) == .none)
        #expect(machine.setDeadline(.seconds(9), now: .seconds(2)) == .none)
        #expect(machine.deadline == .seconds(9))  // recorded, not armed
        #expect(machine.deadlineFired(generation: 0, now: .seconds(9)) == .none)
    }

    @Test("the scope catches its own cancellation only after it finished, and only if it was cancelled")
    func catchingCancellation() {
        var quiet = Machine(deadline: .seconds(5), location: location)
        _ = quiet.begin(now: .zero)
        #expect(quiet.catchCancellation() == nil)  // still running
        let ending = quiet.finish()
        #expect(ending.disarmDeadline)  // its deadline is still in the engine
        #expect(quiet.catchCancellation() == nil)
        #expect(!quiet.caughtCancellation)

        var cancelled = Machine(deadline: .zero, location: location)
        _ = cancelled.begin(now: .zero)
        cancelled.noteCallerCancelledFirst()
        _ = cancelled.finish()
        #expect(cancelled.catchCancellation()?.callerCancelledFirst == true)
        #expect(cancelled.caughtCancellation)
    }

    /// A grace timer's handle, on an engine nobody drives.
    private func graceTimer() -> TimerRegistration {
        ManualTime().engine.schedule(at: .seconds(1), tolerance: nil) {}
    }

    @Test("the reference a scope keeps to its operation's task names that live task, without a box")
    func operationTaskReference() {
        withUnsafeCurrentTask { task in
            guard let task else {
                Issue.record("no current task")
                return
            }
            let reference = OperationTaskReference(task: task)
            #expect(reference.keepsBits)
            #expect(reference.withTask { $0 == task })
            #expect(reference.withTask { $0.isCancelled } == false)
            // Copies made from the bits are balanced: many of them leave the task as it was.
            for _ in 0..<1_000 {
                _ = reference.withTask { $0.hashValue }
            }
            #expect(reference.withTask { $0 == task })
        }
    }

    @Test("the task a scope's child reads as one word is the current task; outside any task there is none")
    func currentOperationTask() async {
        let reference = OperationTaskReference.current()
        #expect(reference?.keepsBits == true)
        withUnsafeCurrentTask { task in
            #expect(task != nil)
            #expect(reference?.withTask { $0 == task } == true)
        }
        // Cancelling through the reference cancels the task that read it, and only that one.
        let cancelledItself = await Task {
            OperationTaskReference.current()?.withTask { $0.cancel() }
            return Task.isCancelled
        }.value
        #expect(cancelledItself)
        #expect(!Task.isCancelled)
        // A thread of Dispatch's that runs no task has no current task.
        let outsideIsNil = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: OperationTaskReference.current() == nil)
            }
        }
        #expect(outsideIsNil)
    }
}
