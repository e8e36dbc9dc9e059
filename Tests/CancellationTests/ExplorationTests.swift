@testable import Cancellation
import Testing

/// Every interleaving, not a sample: the primitives' state machines, driven by several tasks that may each
/// be cancelled at any step, explored exhaustively (see `Exploration/Explorer.swift`).
@Suite("Exhaustive exploration")
struct ExplorationTests {
    @Test("AsyncSemaphore: every interleaving of 3 tasks (wait, signal, cancellation anywhere) keeps its rules",
          arguments: [1, 2])
    func semaphore(permits: Int) {
        let report = explore(SemaphoreModel<AsyncSemaphoreStateMachine<Int>>(tasks: 3, permits: permits), depth: 40)
        print("exploration: AsyncSemaphore, 3 tasks, \(permits) permit(s): \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds a semaphore whose signal also keeps the permit it hands over")
    func brokenSemaphoreSignal() throws {
        let report = explore(SemaphoreModel<SemaphoreSignalThatAlsoKeepsThePermit>(tasks: 3, permits: 1), depth: 40)
        print("exploration: broken semaphore (signal keeps the permit): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("not conserved"))
    }

    @Test("the exploration finds a semaphore whose cancellation leaves the waiter queued")
    func brokenSemaphoreCancel() throws {
        let report = explore(SemaphoreModel<SemaphoreCancelThatLeavesTheWaiterQueued>(tasks: 3, permits: 1), depth: 40)
        print("exploration: broken semaphore (cancel leaves the waiter queued): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("second time"))
    }

    @Test("AsyncEvent: every interleaving of 2 waiters (cancellable anywhere) and a setter (set, reset, set) keeps its rules")
    func event() {
        let report = explore(EventModel<AsyncEventStateMachine<Int>>(waiters: 2), depth: 40)
        print("exploration: AsyncEvent, 2 waiters and a setter: \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds an event whose set() releases only one waiter")
    func brokenEventSet() throws {
        let report = explore(EventModel<EventSetThatReleasesOne>(waiters: 2), depth: 40)
        print("exploration: broken event (set releases one): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("lost wake-up"))
    }

    @Test("the exploration finds an event whose registration ignores the flag")
    func brokenEventRegister() throws {
        let report = explore(EventModel<EventRegisterThatIgnoresTheFlag>(waiters: 2), depth: 40)
        print("exploration: broken event (register ignores the flag): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("lost wake-up"))
    }

    @Test("AsyncLock: every interleaving of 3 tasks (barging, wake-ups, hand-offs, cancellation anywhere) keeps its rules")
    func lock() {
        let report = explore(LockModel<AsyncLockStateMachine<Int>>(tasks: 3), depth: 60)
        print("exploration: AsyncLock, 3 tasks, starvation mode reachable: \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds a lock that barges in while it is held")
    func brokenLockBarging() throws {
        let report = explore(LockModel<LockThatBargesWhileHeld>(tasks: 3), depth: 60)
        print("exploration: broken lock (barges while held): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("own the lock at once"))
    }

    @Test("the exploration finds a lock whose release drops the wake-up")
    func brokenLockWakeUp() throws {
        let report = explore(LockModel<LockReleaseThatDropsTheWakeUp>(tasks: 3), depth: 60)
        print("exploration: broken lock (release drops the wake-up): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("lost wake-up"))
    }

    @Test("AsyncBarrier: every interleaving of 3 tasks at a barrier of 2 (cancellation anywhere, an abort) keeps its rules")
    func barrier() {
        let report = explore(BarrierModel<AsyncBarrierStateMachine<Int>>(tasks: 3, parties: 2), depth: 60)
        print("exploration: AsyncBarrier, 3 tasks, 2 parties, one abort: \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds a barrier whose trip forgets a waiter")
    func brokenBarrierTrip() throws {
        let report = explore(BarrierModel<BarrierTripThatForgetsAWaiter>(tasks: 3, parties: 2), depth: 60)
        print("exploration: broken barrier (trip forgets a waiter): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("a trip released"))
    }

    @Test("the exploration finds a barrier that still counts a cancelled waiter")
    func brokenBarrierCancel() throws {
        let report = explore(BarrierModel<BarrierCancelThatStillCounts>(tasks: 3, parties: 2), depth: 60)
        print("exploration: broken barrier (a cancelled waiter still counts): \(report)")
        #expect(report.counterexample != nil)
    }

    @Test("AsyncQueue: every interleaving of 2 senders and a receiver (capacity 1, cancellation anywhere, a finish) keeps its rules")
    func queue() {
        let report = explore(QueueModel<AsyncQueueStateMachine<Int, Int, Int>>(capacity: 1), depth: 60)
        print("exploration: AsyncQueue, 2 senders, 1 receiver, capacity 1, one finish: \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds a queue whose finish forgets the waiting senders")
    func brokenQueueFinish() throws {
        let report = explore(QueueModel<QueueFinishThatForgetsSenders>(capacity: 1), depth: 60)
        print("exploration: broken queue (finish forgets senders): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("lost wake-up"))
    }

    @Test("the exploration finds a queue that reports a send cancelled after taking its item")
    func brokenQueueCancelledSend() throws {
        let report = explore(QueueModel<QueueCancelAfterAdmission>(capacity: 1), depth: 60)
        print("exploration: broken queue (cancelled after admission): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("second time"))
    }

    @Test("AsyncCondition: every interleaving of 2 waiters (cancellable anywhere) and notify(1), notifyAll() keeps its rules")
    func condition() {
        let report = explore(ConditionModel<AsyncConditionStateMachine<Int>>(), depth: 60)
        print("exploration: AsyncCondition, 2 waiters and a notifier: \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds a condition whose woken waiter keeps the baton")
    func brokenConditionBaton() throws {
        let report = explore(ConditionModel<ConditionThatKeepsTheBaton>(), depth: 60)
        print("exploration: broken condition (keeps the baton): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("lost wake-up"))
    }

    @Test("the exploration finds a condition whose cancellation leaves the waiter queued")
    func brokenConditionCancel() throws {
        let report = explore(ConditionModel<ConditionCancelThatLeavesTheWaiterQueued>(), depth: 60)
        print("exploration: broken condition (cancel leaves the waiter queued): \(report)")
        #expect(report.counterexample != nil)
    }

    @Test("TimerHeap: every sequence of inserts, removals, moves and pops of 4 timers keeps order and index tracking")
    func timerHeap() {
        let report = explore(TimerHeapModel<TimerHeap>(), depth: 12)
        print("exploration: TimerHeap, 4 timers, deadlines 1...3: \(report)")
        #expect(report.counterexample == nil, "\(report)")
    }

    @Test("the exploration finds a heap whose move does not restore the order")
    func brokenHeapMove() throws {
        let report = explore(TimerHeapModel<TimerHeapMoveWithoutSifting>(), depth: 12)
        print("exploration: broken heap (move without sifting): \(report)")
        #expect(report.counterexample != nil)
    }

    @Test("the exploration finds a heap whose removal leaves a stale index")
    func brokenHeapRemove() throws {
        let report = explore(TimerHeapModel<TimerHeapRemoveWithStaleIndex>(), depth: 12)
        print("exploration: broken heap (stale index after removal): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("says it is in"))
    }

    @Test("the cancel scope: every order of deadline, moves, cancellations, engine callbacks, grace timer and operation endings gives the documented outcome")
    func scope() {
        let report = explore(ScopeModel<CancelScopeStateMachine>(), depth: 40)
        print("exploration: cancel scope, deadline at 2, time 0...3: \(report)")
        #expect(report.counterexample == nil, "\(report)")
        #expect(!report.cutByBound, "the bound cut the exploration short: \(report)")
    }

    @Test("the exploration finds a scope that acts on a stale deadline timer")
    func brokenScopeGenerations() throws {
        let report = explore(ScopeModel<ScopeIgnoringGenerations>(), depth: 40)
        print("exploration: broken scope (ignores generations): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("acted"))
    }

    @Test("the exploration finds a scope whose finish leaves its deadline armed")
    func brokenScopeFinish() throws {
        let report = explore(ScopeModel<ScopeFinishKeepingTheDeadline>(), depth: 40)
        print("exploration: broken scope (finish keeps the deadline): \(report)")
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.message.contains("left armed"))
    }
}
