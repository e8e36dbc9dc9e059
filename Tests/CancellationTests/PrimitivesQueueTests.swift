import Cancellation
import CancellationTesting
import Testing

@Suite("AsyncQueue")
struct PrimitivesQueueTests {
    @Test("elements come out in FIFO order; a full bounded queue makes the sender wait")
    func boundedFIFO() async throws {
        let queue = AsyncQueue<Int>(capacity: 2)
        try await queue.send(1)
        try await queue.send(2)
        #expect(throws: AsyncQueueError.full) { try queue.trySend(3) }
        let sender = Task { try await queue.send(3) }
        await waitUntil { queue.waiterCount.senders == 1 }
        #expect(try await queue.receive() == 1)
        try await sender.value
        #expect(try await queue.receive() == 2)
        #expect(queue.tryReceive() == 3)
        #expect(queue.tryReceive() == nil)
    }

    @Test("a waiting receiver gets the next element; capacity 0 hands elements over directly")
    func rendezvous() async throws {
        let queue = AsyncQueue<String>(capacity: 0)
        let receiver = Task { try await queue.receive() }
        await waitUntil { queue.waiterCount.receivers == 1 }
        try await queue.send("a")
        #expect(try await receiver.value == "a")
        let sender = Task { try await queue.send("b") }
        await waitUntil { queue.waiterCount.senders == 1 }
        #expect(queue.count == 0)
        #expect(try await queue.receive() == "b")
        try await sender.value
    }

    @Test("finish: waiting senders fail with finished, buffered elements are drained, then nil")
    func finish() async throws {
        let queue = AsyncQueue<Int>(capacity: 1)
        try await queue.send(1)
        let sender = Task { try await queue.send(2) }
        await waitUntil { queue.waiterCount.senders == 1 }
        queue.finish()
        #expect(await sender.result.failure as? AsyncQueueError == .finished)
        await #expect(throws: AsyncQueueError.finished) { try await queue.send(3) }
        #expect(throws: AsyncQueueError.finished) { try queue.trySend(3) }
        var received: [Int] = []
        for try await element in queue { received.append(element) }
        #expect(received == [1])
        #expect(try await queue.receive() == nil)
    }

    @Test("finish ends waiting receivers with nil")
    func finishEndsReceivers() async throws {
        let queue = AsyncQueue<Int>(capacity: nil)
        let receivers = (0..<3).map { _ in Task { try await queue.receive() } }
        await waitUntil { queue.waiterCount.receivers == 3 }
        queue.finish()
        for receiver in receivers { #expect(try await receiver.value == nil) }
    }

    @Test("a cancelled blocked send does not enqueue its element")
    func cancelledSend() async throws {
        let queue = AsyncQueue<Int>(capacity: 1)
        try await queue.send(1)
        let sender = Task { try await queue.send(2) }
        await waitUntil { queue.waiterCount.senders == 1 }
        sender.cancel()
        #expect(await sender.result.failure is CancellationError)
        #expect(queue.tryReceive() == 1)
        #expect(queue.tryReceive() == nil)
        #expect(queue.count == 0)
    }

    @Test("a cancelled receive takes nothing: the next element goes to the next receiver")
    func cancelledReceive() async throws {
        let queue = AsyncQueue<Int>(capacity: nil)
        let a = Task { try await queue.receive() }
        await waitUntil { queue.waiterCount.receivers == 1 }
        let b = Task { try await queue.receive() }
        await waitUntil { queue.waiterCount.receivers == 2 }
        a.cancel()
        #expect(await a.result.failure is CancellationError)
        try await queue.send(5)
        #expect(try await b.value == 5)
    }

    @Test("an element handed to a receiver cancelled at that instant is returned by it, not lost")
    func handOffBeatsCancellation() async throws {
        let queue = AsyncQueue<Int>(capacity: 4)
        let receiver = Task { try await queue.receive() }
        await waitUntil { queue.waiterCount.receivers == 1 }
        try queue.trySend(9)  // hands 9 to the receiver, resuming it
        receiver.cancel()      // the cancellation arrives after the hand-off
        #expect(try await receiver.value == 9)
        #expect(queue.count == 0)
    }

    @Test("withTimeout around receive throws TimeoutError and takes nothing")
    func timeout() async throws {
        let clock = ManualClock()
        let queue = AsyncQueue<Int>(capacity: 1)
        let task = Task { try await withTimeout(.seconds(1), clock: clock) { try await queue.receive() } }
        try await clock.waitForTimers(count: 1)  // the timeout's deadline
        await waitUntil { queue.waiterCount.receivers == 1 }
        clock.advance(by: .seconds(1))
        #expect(await task.result.failure is TimeoutError)
        try queue.trySend(1)
        #expect(queue.count == 1)
    }
}
