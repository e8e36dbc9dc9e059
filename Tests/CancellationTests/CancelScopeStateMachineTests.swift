@testable import Cancellation
import Testing

/// The pure state machine of a cancel scope, driven synchronously.
@Suite("Cancel scope state machine")
struct CancelScopeStateMachineTests {
    let location = ScopeLocation(fileID: "Tests/Machine.swift", line: 1)

    @Test("a future deadline is armed with the current generation")
    func armsFutureDeadline() {
        var machine = CancelScopeStateMachine(deadline: .seconds(5), location: location)
        #expect(machine.begin(now: .zero) == .arm(.seconds(5), generation: 0))
        #expect(machine.cancellation == nil)
    }

    @Test("a deadline at or before the start cancels at once, and names the deadline")
    func pastDeadlineCancels() {
        var machine = CancelScopeStateMachine(deadline: .zero, location: location)
        #expect(machine.begin(now: .zero) == .cancel)
        #expect(machine.cancellation?.reason == .deadlineExpired(scope: location))
        #expect(machine.cancellation?.deadline == .zero)
    }

    @Test("without a deadline nothing is armed; a deadline too far away is not armed either")
    func noDeadline() {
        var machine = CancelScopeStateMachine(deadline: nil, location: location)
        #expect(machine.begin(now: .zero) == .none)
        var far = CancelScopeStateMachine(deadline: .seconds(Int64(UInt32.max) + 1), location: location)
        #expect(far.begin(now: .zero) == .none)
    }

    @Test("a stale timer (older generation) is ignored; the current one cancels")
    func staleTimersAreIgnored() {
        var machine = CancelScopeStateMachine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.setDeadline(.seconds(10), now: .seconds(1)) == .arm(.seconds(10), generation: 1))
        #expect(machine.timerFired(generation: 0, now: .seconds(5)) == .none)
        #expect(machine.cancellation == nil)
        #expect(machine.timerFired(generation: 1, now: .seconds(10)) == .cancel)
        #expect(machine.cancellation?.deadline == .seconds(10))
    }

    @Test("a timer that fires early re-arms instead of cancelling")
    func earlyTimerRearms() {
        var machine = CancelScopeStateMachine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.timerFired(generation: 0, now: .seconds(4)) == .arm(.seconds(5), generation: 0))
    }

    @Test("moving the deadline into the past cancels; moving it after cancellation changes nothing")
    func rescheduleRules() {
        var machine = CancelScopeStateMachine(deadline: .seconds(5), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.setDeadline(.seconds(1), now: .seconds(2)) == .cancel)
        let cancellation = machine.cancellation
        #expect(machine.setDeadline(.seconds(100), now: .seconds(3)) == .none)
        #expect(machine.cancellation?.at == cancellation?.at)
        #expect(machine.cancellation?.at == .seconds(2))
        #expect(machine.setDeadline(nil, now: .seconds(3)) == .none)
    }

    @Test("explicit cancellation happens once, keeps the first reason, and is deferred before the start")
    func explicitCancellation() {
        var machine = CancelScopeStateMachine(deadline: nil, location: location)
        #expect(machine.cancel(reason: "early", now: .zero) == false)  // not running yet
        #expect(machine.begin(now: .zero) == .cancel)  // the operation's task starts cancelled
        #expect(machine.cancellation?.reason == .cancelled(reason: "early", scope: location))
        #expect(machine.cancel(reason: "again", now: .seconds(1)) == false)
        #expect(machine.cancellation?.reason == .cancelled(reason: "early", scope: location))
    }

    @Test("nothing acts on a finished scope; the uncooperative report is given once, only while running")
    func finishedScope() {
        var machine = CancelScopeStateMachine(deadline: .seconds(1), location: location)
        _ = machine.begin(now: .zero)
        #expect(machine.uncooperativeCheck() == nil)  // not cancelled
        #expect(machine.timerFired(generation: 0, now: .seconds(1)) == .cancel)
        #expect(machine.uncooperativeCheck() != nil)
        #expect(machine.uncooperativeCheck() == nil)  // once
        machine.finish()
        #expect(machine.cancel(reason: "late", now: .seconds(2)) == false)
        #expect(machine.setDeadline(.seconds(9), now: .seconds(2)) == .none)
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
}
