@testable import Cancellation
import Testing

/// The pure state machines of the primitives, driven synchronously with plain tokens standing in for
/// continuations.
@Suite("Primitives state machines")
struct PrimitivesStateMachineTests {
    // MARK: Waiter bookkeeping

    @Test("the waiter queue keeps FIFO order, skips removed waiters and counts correctly")
    func waiterQueue() {
        var queue = WaiterQueue<String>()
        for (id, token) in ["a", "b", "c", "d"].enumerated() { queue.append(UInt64(id), token) }
        let value1 = queue.remove(1)
        #expect(value1 == "b")
        let value2 = queue.remove(1)
        #expect(value2 == nil)
        #expect(queue.count == 3)
        let value3 = queue.popFirst()?.token
        #expect(value3 == "a")
        let value4 = queue.popFirst()?.token
        #expect(value4 == "c")
        queue.append(9, "e")
        let value5 = queue.removeAll()
        #expect(value5 == ["d", "e"])
        #expect(queue.isEmpty)
        let value6 = queue.popFirst()
        #expect(value6 == nil)
    }

    @Test("a FIFO buffer keeps order across its compaction")
    func fifoCompaction() {
        var buffer = FIFOBuffer<Int>()
        var expected = 0
        for value in 0..<1_000 {
            buffer.append(value)
            if value % 3 != 0 {
                let value7 = buffer.popFirst()
                #expect(value7 == expected)
                expected += 1
            }
        }
        while let value = buffer.popFirst() {
            #expect(value == expected)
            expected += 1
        }
        #expect(expected == 1_000)
    }

    @Test("a cancellation before registration is remembered once; after completion it is ignored")
    func registrations() {
        var registrations = WaiterRegistrations()
        let first = registrations.reserve()
        let second = registrations.reserve()
        registrations.cancel(first)
        let value8 = registrations.register(first)
        #expect(value8 == true)
        let value9 = registrations.register(second)
        #expect(value9 == false)
        registrations.cancel(first)  // completed: nothing is kept
        #expect(registrations.pendingCount == 0)
    }

    // MARK: Lock

    /// A fixed time for the lock's starvation clock, in nanoseconds; the tests move it by hand.
    static let origin: UInt64 = 1_000_000_000

    /// Registers `id` with `token` at `origin + offset`.
    static func register(
        _ lock: inout AsyncLockStateMachine<String>, _ id: UInt64, _ token: String, at offset: UInt64 = 0
    ) -> AsyncLockStateMachine<String>.RegisterAction {
        lock.register(id, token, now: origin + offset)
    }

    /// Releases `generation` at `origin + offset`.
    static func release(
        _ lock: inout AsyncLockStateMachine<String>, _ generation: UInt64, at offset: UInt64 = 0
    ) throws -> AsyncLockStateMachine<String>.ReleaseAction {
        try lock.release(generation, now: origin + offset)
    }

    @Test("lock: release wakes the first waiter; a running task may barge; the woken waiter queues again at the front")
    func lockWakeAndBarging() throws {
        var lock = AsyncLockStateMachine<String>()
        let value10 = lock.tryAcquire()
        let held = try #require(value10)
        guard case .wait(let a) = lock.acquireOrReserve(), case .wait(let b) = lock.acquireOrReserve() else {
            Issue.record("expected to wait")
            return
        }
        #expect(Self.register(&lock, a, "A") == .suspended)
        #expect(Self.register(&lock, b, "B") == .suspended)
        #expect(lock.tryAcquire() == nil)
        guard case .wake("A") = try Self.release(&lock, held) else {
            Issue.record("A should be woken")
            return
        }
        #expect(lock.holder == nil)
        #expect(lock.waiterCount == 2)
        // A running task takes the free lock before A retries.
        let bargerTaken = lock.tryAcquire()
        let barger = try #require(bargerTaken)
        // A finds it taken and queues again, ahead of B.
        #expect(Self.register(&lock, a, "A", at: 10_000) == .suspended)
        #expect(!lock.isStarving)
        guard case .wake("A") = try Self.release(&lock, barger, at: 20_000) else {
            Issue.record("A, first in line, should be woken again")
            return
        }
        guard case .resumeAcquired(let generationA) = Self.register(&lock, a, "A", at: 30_000) else {
            Issue.record("A should take the free lock")
            return
        }
        guard case .wake("B") = try Self.release(&lock, generationA) else {
            Issue.record("B should be woken")
            return
        }
        guard case .resumeAcquired(let generationB) = Self.register(&lock, b, "B") else {
            Issue.record("B should take the free lock")
            return
        }
        guard case .none = try Self.release(&lock, generationB) else {
            Issue.record("the lock should become free")
            return
        }
        #expect(lock.holder == nil)
        #expect(lock.waiterCount == 0)
    }

    @Test("lock: one waiter woken at a time; a release while it is on its way wakes nobody else")
    func lockOneWokenAtATime() throws {
        var lock = AsyncLockStateMachine<String>()
        let heldTaken = lock.tryAcquire()
        let held = try #require(heldTaken)
        guard case .wait(let a) = lock.acquireOrReserve(), case .wait(let b) = lock.acquireOrReserve() else {
            Issue.record("expected to wait")
            return
        }
        _ = Self.register(&lock, a, "A")
        _ = Self.register(&lock, b, "B")
        guard case .wake("A") = try Self.release(&lock, held) else { Issue.record("A should be woken"); return }
        let bargerTaken = lock.tryAcquire()
        let barger = try #require(bargerTaken)
        guard case .none = try Self.release(&lock, barger) else {
            Issue.record("A is already on its way; B must not be woken too")
            return
        }
        guard case .resumeAcquired = Self.register(&lock, a, "A") else { Issue.record("A should take the lock"); return }
        #expect(lock.woken == nil)
    }

    @Test("lock: a waiter overtaken for longer than the threshold switches the lock to direct FIFO hand-off, until a waiter is served quickly")
    func lockStarvationMode() throws {
        var lock = AsyncLockStateMachine<String>()
        let threshold = AsyncLockStateMachine<String>.starvationThreshold
        let heldTaken = lock.tryAcquire()
        let held = try #require(heldTaken)
        guard case .wait(let a) = lock.acquireOrReserve() else { Issue.record("expected to wait"); return }
        _ = Self.register(&lock, a, "A")
        guard case .wake("A") = try Self.release(&lock, held) else { Issue.record("A should be woken"); return }
        let bargerTaken = lock.tryAcquire()
        let barger = try #require(bargerTaken)
        #expect(Self.register(&lock, a, "A", at: threshold) == .suspended)
        #expect(lock.isStarving)
        guard case .wait(let c) = lock.acquireOrReserve() else { Issue.record("expected to wait"); return }
        #expect(Self.register(&lock, c, "C", at: threshold) == .suspended)
        guard case .handOff("A", let generationA) = try Self.release(&lock, barger, at: threshold) else {
            Issue.record("A should be handed the lock")
            return
        }
        #expect(lock.holder == generationA)
        #expect(lock.isStarving)  // A waited long, and C still waits
        #expect(lock.tryAcquire() == nil)
        guard case .handOff("C", let generationC) = try Self.release(&lock, generationA, at: threshold) else {
            Issue.record("C should be handed the lock")
            return
        }
        #expect(!lock.isStarving)  // C was served at once
        guard case .none = try Self.release(&lock, generationC) else { Issue.record("the lock should be free"); return }
        #expect(lock.holder == nil)
    }

    @Test("lock: releasing a hold that is not current throws notHeld and changes nothing")
    func lockBadRelease() throws {
        var lock = AsyncLockStateMachine<String>()
        #expect(throws: AsyncLockError.notHeld) { try Self.release(&lock, 0) }
        let value12 = lock.tryAcquire()
        let held = try #require(value12)
        _ = try Self.release(&lock, held)
        #expect(throws: AsyncLockError.notHeld) { try Self.release(&lock, held) }  // double release
        let value13 = lock.tryAcquire()
        let again = try #require(value13)
        #expect(throws: AsyncLockError.notHeld) { try Self.release(&lock, held) }  // stale hold
        #expect(lock.holder == again)
    }

    @Test("lock: a waiter cancelled while queued is removed and resumed once; one cancelled before registering is never queued")
    func lockCancellation() throws {
        var lock = AsyncLockStateMachine<String>()
        let value14 = lock.tryAcquire()
        let held = try #require(value14)
        guard case .wait(let a) = lock.acquireOrReserve(), case .wait(let b) = lock.acquireOrReserve(),
              case .wait(let c) = lock.acquireOrReserve()
        else {
            Issue.record("expected to wait")
            return
        }
        _ = Self.register(&lock, a, "A")
        guard case .resumeCancelled("A") = lock.cancel(a) else {
            Issue.record("A should be resumed with CancellationError")
            return
        }
        guard case .none = lock.cancel(a) else {
            Issue.record("a second cancellation must do nothing")
            return
        }
        guard case .none = lock.cancel(b) else {
            Issue.record("B is not queued yet")
            return
        }
        #expect(Self.register(&lock, b, "B") == .resumeCancelled)
        _ = Self.register(&lock, c, "C")
        guard case .wake("C") = try Self.release(&lock, held) else {
            Issue.record("C, the only live waiter, should be woken")
            return
        }
        guard case .resumeAcquired = Self.register(&lock, c, "C") else { Issue.record("C should take the lock"); return }
        #expect(lock.waiters.isEmpty)
        #expect(lock.registrations.pendingCount == 0)
    }

    @Test("lock: a woken waiter cancelled before it retries takes a free lock (the wakeup came first), or fails with no effect and the next release wakes the next waiter")
    func lockWokenThenCancelled() throws {
        var lock = AsyncLockStateMachine<String>()
        let heldTaken = lock.tryAcquire()
        var held = try #require(heldTaken)
        guard case .wait(let a) = lock.acquireOrReserve(), case .wait(let b) = lock.acquireOrReserve() else {
            Issue.record("expected to wait")
            return
        }
        _ = Self.register(&lock, a, "A")
        _ = Self.register(&lock, b, "B")
        guard case .wake("A") = try Self.release(&lock, held) else { Issue.record("A should be woken"); return }
        guard case .none = lock.cancel(a) else { Issue.record("a woken waiter is not resumed again"); return }
        guard case .resumeAcquired(let generationA) = Self.register(&lock, a, "A") else {
            Issue.record("A should take the free lock")
            return
        }
        // B is woken next; a barger takes the lock; B is cancelled before it retries.
        guard case .wake("B") = try Self.release(&lock, generationA) else { Issue.record("B should be woken"); return }
        let heldAgainTaken = lock.tryAcquire()
        held = try #require(heldAgainTaken)
        guard case .wait(let c) = lock.acquireOrReserve() else { Issue.record("expected to wait"); return }
        _ = Self.register(&lock, c, "C")
        _ = lock.cancel(b)
        #expect(Self.register(&lock, b, "B") == .resumeCancelled)
        #expect(lock.woken == nil)
        // The wakeup is not lost: the barger's release wakes C.
        guard case .wake("C") = try Self.release(&lock, held) else { Issue.record("C should be woken"); return }
    }

    @Test("lock: a waiter handed the lock in starvation mode and then cancelled keeps it (cancellation does nothing)")
    func lockGrantBeatsCancellation() throws {
        var lock = AsyncLockStateMachine<String>()
        let threshold = AsyncLockStateMachine<String>.starvationThreshold
        let heldTaken = lock.tryAcquire()
        let held = try #require(heldTaken)
        guard case .wait(let a) = lock.acquireOrReserve() else { Issue.record("unexpected action"); return }
        _ = Self.register(&lock, a, "A")
        _ = try Self.release(&lock, held)
        let bargerTaken = lock.tryAcquire()
        let barger = try #require(bargerTaken)
        _ = Self.register(&lock, a, "A", at: threshold * 2)
        guard case .handOff("A", let generation) = try Self.release(&lock, barger, at: threshold * 2) else {
            Issue.record("unexpected action")
            return
        }
        guard case .none = lock.cancel(a) else {
            Issue.record("a granted waiter must not be resumed again")
            return
        }
        #expect(lock.holder == generation)
        #expect(!lock.isStarving)
        #expect(lock.registrations.pendingCount == 0)
    }

    @Test("lock: a waiter registering after the lock became free takes it at once")
    func lockFreedBeforeRegistration() throws {
        var lock = AsyncLockStateMachine<String>()
        let value16 = lock.tryAcquire()
        let held = try #require(value16)
        guard case .wait(let a) = lock.acquireOrReserve() else { Issue.record("unexpected action"); return }
        guard case .none = try Self.release(&lock, held) else { Issue.record("unexpected action"); return }
        guard case .resumeAcquired = Self.register(&lock, a, "A") else {
            Issue.record("A should take the free lock")
            return
        }
        #expect(lock.holder != nil)
    }

    // MARK: Semaphore

    @Test("semaphore: permits taken and returned; signal hands to the first waiter; bound enforced")
    func semaphore() throws {
        var semaphore = AsyncSemaphoreStateMachine<String>(permits: 1, maximum: 1)
        let value17 = semaphore.tryWait()
        #expect(value17)
        let value18 = semaphore.tryWait()
        #expect(!value18)
        guard case .wait(let a) = semaphore.waitOrReserve(), case .wait(let b) = semaphore.waitOrReserve() else { Issue.record("unexpected action"); return }
        _ = semaphore.register(a, "A")
        _ = semaphore.register(b, "B")
        guard case .resume("A") = try semaphore.signal() else {
            Issue.record("A first")
            return
        }
        guard case .resume("B") = try semaphore.signal() else {
            Issue.record("then B")
            return
        }
        guard case .none = try semaphore.signal() else { Issue.record("unexpected action"); return }
        #expect(semaphore.permits == 1)
        #expect(throws: AsyncSemaphoreError.overflow) { try semaphore.signal() }
        #expect(semaphore.permits == 1)
    }

    @Test("semaphore: a cancelled queued waiter gives up its place; a granted one keeps its permit")
    func semaphoreCancellation() throws {
        var semaphore = AsyncSemaphoreStateMachine<String>(permits: 0, maximum: .max)
        guard case .wait(let a) = semaphore.waitOrReserve(), case .wait(let b) = semaphore.waitOrReserve() else { Issue.record("unexpected action"); return }
        _ = semaphore.register(a, "A")
        _ = semaphore.register(b, "B")
        guard case .resumeCancelled("A") = semaphore.cancel(a) else { Issue.record("unexpected action"); return }
        guard case .resume("B") = try semaphore.signal() else {
            Issue.record("B should get the permit A gave up")
            return
        }
        guard case .none = semaphore.cancel(b) else {
            Issue.record("B was granted; its cancellation does nothing")
            return
        }
        #expect(semaphore.permits == 0)
        guard case .wait(let c) = semaphore.waitOrReserve() else { Issue.record("unexpected action"); return }
        _ = try semaphore.signal()
        guard case .resumeAcquired = semaphore.register(c, "C") else {
            Issue.record("C should take the permit signalled before it registered")
            return
        }
        #expect(semaphore.permits == 0)
    }

    // MARK: Event

    @Test("event: set releases every waiter, reset does not strand them, cancellation removes one")
    func event() {
        var event = AsyncEventStateMachine<String>(isSet: false)
        guard case .wait(let a) = event.waitOrReserve(), case .wait(let b) = event.waitOrReserve(),
              case .wait(let c) = event.waitOrReserve()
        else { Issue.record("unexpected action"); return }
        _ = event.register(a, "A")
        _ = event.register(b, "B")
        guard case .resumeCancelled("B") = event.cancel(b) else { Issue.record("unexpected action"); return }
        let value19 = event.set()
        #expect(value19 == ["A"])
        event.reset()
        let value20 = event.register(c, "C")
        #expect(value20 == .suspended)
        let value21 = event.set()
        #expect(value21 == ["C"])
        let value22 = event.waitOrReserve()
        #expect(value22 == .proceed)
    }

    // MARK: Queue

    typealias Queue = AsyncQueueStateMachine<Int, String, String>

    @Test("queue: buffered FIFO, senders wait when full and move into the buffer in order")
    func queueBounded() {
        var queue = Queue(capacity: 1)
        guard case .buffered = queue.send(1) else { Issue.record("unexpected action"); return }
        guard case .wait(let s2) = queue.send(2), case .wait(let s3) = queue.send(3) else { Issue.record("unexpected action"); return }
        guard case .suspended = queue.registerSender(s2, "S2", 2), case .suspended = queue.registerSender(s3, "S3", 3) else { Issue.record("unexpected action"); return }
        guard case .element(1, resumeSenders: ["S2"]) = queue.receive() else {
            Issue.record("1 first, and S2's element moves into the buffer")
            return
        }
        guard case .element(2, resumeSenders: ["S3"]) = queue.receive() else { Issue.record("unexpected action"); return }
        guard case .element(3, resumeSenders: []) = queue.receive() else { Issue.record("unexpected action"); return }
        guard case .wait = queue.receive() else { Issue.record("unexpected action"); return }
    }

    @Test("queue: waiting senders are admitted together once the buffer drains to half its capacity; later sends queue behind them")
    func queueLowWater() {
        var queue = Queue(capacity: 4)
        for element in 1...4 {
            guard case .buffered = queue.send(element) else { Issue.record("unexpected action"); return }
        }
        guard case .wait(let s5) = queue.send(5), case .suspended = queue.registerSender(s5, "S5", 5) else { Issue.record("unexpected action"); return }
        guard case .element(1, resumeSenders: []) = queue.receive() else {
            Issue.record("3 left, above the low-water mark: S5 keeps waiting")
            return
        }
        // Room for one, but S5 waits for it: a later send must not overtake S5.
        guard case .full = queue.trySend(9) else { Issue.record("trySend must not overtake a waiting sender"); return }
        guard case .wait(let s6) = queue.send(6), case .suspended = queue.registerSender(s6, "S6", 6) else { Issue.record("unexpected action"); return }
        guard case .element(2, resumeSenders: ["S5", "S6"]) = queue.receive() else {
            Issue.record("at the low-water mark both senders move in, in order")
            return
        }
        #expect(queue.senders.isEmpty)
        for expected in 3...6 {
            guard case .element(expected, resumeSenders: []) = queue.receive() else { Issue.record("expected \(expected)"); return }
        }
        guard case .wait = queue.receive() else { Issue.record("unexpected action"); return }
    }

    @Test("queue: the fast paths act only when nothing else is due — no waiter to hand to, no sender to admit")
    func queueFastPaths() {
        var queue = Queue(capacity: 4)
        var taken = 0
        let fast1 = queue.receiveBuffered(into: &taken)
        #expect(!fast1)
        for element in 1...4 {
            let fast2 = queue.sendBuffering(element)
            #expect(fast2)
        }
        let fast3 = queue.sendBuffering(5)
        #expect(!fast3)  // full
        guard case .wait(let s5) = queue.send(5), case .suspended = queue.registerSender(s5, "S5", 5) else { Issue.record("unexpected action"); return }
        let fast4 = queue.receiveBuffered(into: &taken)
        #expect(fast4)
        #expect(taken == 1)
        let fast5 = queue.sendBuffering(9)
        #expect(!fast5)  // S5 waits: no overtaking
        // 3 left: taking one more reaches the low-water mark, which must admit S5, so the fast path declines.
        let fast6 = queue.receiveBuffered(into: &taken)
        #expect(!fast6)
        guard case .element(2, resumeSenders: ["S5"]) = queue.receive() else { Issue.record("S5 should be admitted"); return }
        _ = queue.finish()
        let fast7 = queue.sendBuffering(6)
        #expect(!fast7)  // finished
        var empty = Queue(capacity: 1)
        guard case .wait(let r) = empty.receive(), case .suspended = empty.registerReceiver(r, "R") else { Issue.record("unexpected action"); return }
        let fast8 = empty.sendBuffering(1)
        #expect(!fast8)  // a receiver waits: the element goes to it, not the buffer
    }

    @Test("queue: a waiting receiver is handed the element directly; capacity 0 is a rendezvous")
    func queueHandOff() {
        var queue = Queue(capacity: 0)
        guard case .wait(let r) = queue.receive(), case .suspended = queue.registerReceiver(r, "R") else { Issue.record("unexpected action"); return }
        guard case .deliver("R", 7) = queue.send(7) else {
            Issue.record("R should get 7 directly")
            return
        }
        guard case .wait(let s) = queue.send(8), case .suspended = queue.registerSender(s, "S", 8) else { Issue.record("unexpected action"); return }
        guard case .element(8, resumeSenders: ["S"]) = queue.receive() else {
            Issue.record("the receiver takes S's element directly")
            return
        }
        #expect(queue.buffer.isEmpty)
    }

    @Test("queue: a cancelled sender's element is never enqueued; a cancelled receiver takes nothing")
    func queueCancellation() {
        var queue = Queue(capacity: 1)
        _ = queue.send(1)
        guard case .wait(let s) = queue.send(2), case .suspended = queue.registerSender(s, "S", 2) else { Issue.record("unexpected action"); return }
        guard case .resumeSender("S") = queue.cancel(s) else { Issue.record("unexpected action"); return }
        guard case .element(1, resumeSenders: []) = queue.receive() else {
            Issue.record("2 must not have been enqueued")
            return
        }
        guard case .wait(let r) = queue.receive(), case .suspended = queue.registerReceiver(r, "R") else { Issue.record("unexpected action"); return }
        guard case .resumeReceiver("R") = queue.cancel(r) else { Issue.record("unexpected action"); return }
        guard case .buffered = queue.send(3) else {
            Issue.record("3 must be buffered, not handed to the cancelled receiver")
            return
        }
        guard case .element(3, resumeSenders: []) = queue.receive() else {
            Issue.record("3 is buffered, so the next receive takes it")
            return
        }
    }

    @Test("queue: finish fails waiting senders, ends waiting receivers, keeps buffered elements")
    func queueFinish() {
        var queue = Queue(capacity: 1)
        _ = queue.send(1)
        guard case .wait(let s) = queue.send(2), case .suspended = queue.registerSender(s, "S", 2) else { Issue.record("unexpected action"); return }
        let finished = queue.finish()
        #expect(finished.senders == ["S"])
        #expect(finished.receivers == [])
        guard case .finished = queue.send(3) else { Issue.record("unexpected action"); return }
        guard case .element(1, resumeSenders: []) = queue.receive() else { Issue.record("unexpected action"); return }
        guard case .finished = queue.receive() else { Issue.record("unexpected action"); return }
        var empty = Queue(capacity: nil)
        guard case .wait(let r) = empty.receive(), case .suspended = empty.registerReceiver(r, "R") else { Issue.record("unexpected action"); return }
        let value23 = empty.finish().receivers
        #expect(value23 == ["R"])
        guard case .finished = empty.send(0) else {
            Issue.record("a send after finish fails")
            return
        }
    }
}
