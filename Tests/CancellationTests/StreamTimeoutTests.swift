import Cancellation
import CancellationTesting
import Testing

/// A scripted upstream on a manual clock, for marble tests: each event happens at its instant.
///
/// `next()` sleeps on the clock until the next event's instant and then produces it, whether or not the
/// task was cancelled meanwhile (an element that is due is due). A cancelled sleep ends the sequence with
/// `CancellationError`, and is recorded.
struct Marbles: AsyncSequence, Sendable {
    enum Event: Sendable {
        case element(String)
        case finish
        case fail(OperationError)
    }

    let clock: ManualClock
    let events: [(at: Duration, event: Event)]
    let log = Recorder<String>()

    init(clock: ManualClock, _ events: [(at: Duration, event: Event)]) {
        self.clock = clock
        self.events = events
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(marbles: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        let marbles: Marbles
        var index = 0

        mutating func next() async throws -> String? {
            guard index < marbles.events.count else { return nil }
            let (at, event) = marbles.events[index]
            do {
                try await marbles.clock.sleep(until: ManualClock.Instant(offset: at))
            } catch {
                marbles.log.record("cancelled at \(marbles.clock.now)")
                index = marbles.events.count
                throw error
            }
            index += 1
            switch event {
            case .element(let element):
                return element
            case .finish:
                index = marbles.events.count
                return nil
            case .fail(let error):
                index = marbles.events.count
                throw error
            }
        }
    }
}

/// What a consumer saw: the elements, then how the iteration ended.
struct Consumed: Sendable {
    var elements: [String] = []
    var error: (any Error)?
    /// What `next()` returned after the iteration ended (it must be `nil`).
    var afterEnd: String??
}

/// Consumes `sequence` in a new task, recording every element and the ending.
func consume<S: AsyncSequence & Sendable>(_ sequence: S) -> Task<Consumed, Never> where S.Element == String {
    Task {
        var consumed = Consumed()
        var iterator = sequence.makeAsyncIterator()
        do {
            while let element = try await iterator.next() {
                consumed.elements.append(element)
            }
        } catch {
            consumed.error = error
        }
        consumed.afterEnd = .some(try? await iterator.next())
        return consumed
    }
}

/// Lets `clock` reach `seconds` once the consumer and the upstream are both waiting on it: the upstream's
/// sleeps, and the library timers of the operator's deadline.
func step(_ clock: ManualClock, to seconds: Duration, sleepers: Int = 1, timers: Int = 1) async throws {
    try await clock.waitForSleepers(count: sleepers)
    try await clock.waitForTimers(count: timers)
    clock.advance(to: ManualClock.Instant(offset: seconds))
}

/// An `AsyncStream` that announces every call of its iterator's `next()` before it waits for the stream, so a
/// test can tell which `next()` a consumer is in; under a timeout operator, the operator's deadline for that
/// element is armed by then.
struct AnnouncingStream: AsyncSequence, Sendable {
    let stream: AsyncStream<String>
    let announce: AsyncStream<Void>.Continuation

    init(_ stream: AsyncStream<String>, _ announce: AsyncStream<Void>.Continuation) {
        self.stream = stream
        self.announce = announce
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator(), announce: announce)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<String>.Iterator
        let announce: AsyncStream<Void>.Continuation

        mutating func next() async -> String? {
            announce.yield()
            return await base.next()
        }
    }
}

/// An actor with non-`Sendable` state that consumes a sequence of non-`Sendable` elements.
actor CounterSink {
    var counters: [Counter] = []

    func drain<S: AsyncSequence>(_ sequence: S) async throws -> Int where S.Element == Counter {
        for try await counter in sequence {
            counter.value += 1
            counters.append(counter)
        }
        return counters.reduce(0) { $0 + $1.value }
    }
}

/// A sequence of fresh non-`Sendable` counters, produced without suspending.
struct Counters: AsyncSequence {
    let count: Int

    func makeAsyncIterator() -> Iterator { Iterator(remaining: count) }

    struct Iterator: AsyncIteratorProtocol {
        var remaining: Int

        mutating func next() async -> Counter? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return Counter()
        }
    }
}

@Suite("AsyncSequence.timeout(after:) — per-element timeout, marble tests")
struct StreamTimeoutTests {
    @Test("elements that each arrive in time all pass, in order, and the upstream's end ends the sequence")
    func elementsInTime() async throws {
        let clock = ManualClock()
        // Timeout 2 s per element: a@1, b@2.5, c@4, end@5.
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.milliseconds(2_500), .element("b")), (.seconds(4), .element("c")), (.seconds(5), .finish)])
        let task = consume(upstream.timeout(after: .seconds(2), clock: clock))
        for instant in [Duration.seconds(1), .milliseconds(2_500), .seconds(4), .seconds(5)] {
            try await step(clock, to: instant)
        }
        let consumed = await task.value
        #expect(consumed.elements == ["a", "b", "c"])
        #expect(consumed.error == nil)
        #expect(consumed.afterEnd == .some(nil))
        #expect(upstream.log.all.isEmpty)
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
        #expect(clock.firedTimers == 0)
    }

    @Test("a late element: TimeoutError naming the operator's line, the upstream cancelled, the sequence finished")
    func lateElementTimesOut() async throws {
        let clock = ManualClock()
        // a@1, then b@5: the second next() starts at 1 and its deadline is 3.
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.seconds(5), .element("b"))])
        let line = #line + 1
        let task = consume(upstream.timeout(after: .seconds(2), clock: clock))
        try await step(clock, to: .seconds(1))
        try await step(clock, to: .seconds(3))
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        let error = try #require(consumed.error as? TimeoutError)
        #expect(error.timeout == .seconds(2))
        #expect(error.location == ScopeLocation(fileID: #fileID, line: line))
        #expect(consumed.afterEnd == .some(nil))
        #expect(upstream.log.all == ["cancelled at 3.0 seconds"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
        // The second element's deadline fired in the clock's timer engine; the only sleeps were the upstream's.
        #expect(clock.firedTimers == 1)
        #expect(clock.totalSleeps == 2)
    }

    @Test("an element exactly at the deadline is delivered once, and the next element gets a fresh timeout")
    func elementExactlyAtDeadline() async throws {
        let clock = ManualClock()
        // a@2 with a 2 s timeout arrives at the very instant the deadline fires; b@3.5 is 1.5 s after it.
        // It ends with an error of its own, which passes through whichever way the tie at 2 s went.
        let upstream = Marbles(clock: clock, [(.seconds(2), .element("a")), (.milliseconds(3_500), .element("b")), (.seconds(4), .fail(OperationError(code: 1)))])
        let task = consume(upstream.timeout(after: .seconds(2), clock: clock))
        try await step(clock, to: .seconds(2))
        try await step(clock, to: .milliseconds(3_500))
        try await step(clock, to: .seconds(4))
        let consumed = await task.value
        #expect(consumed.elements == ["a", "b"])
        #expect(consumed.error as? OperationError == OperationError(code: 1))
        #expect(upstream.log.all.isEmpty)
    }

    @Test("the upstream finishing just before the deadline ends the sequence normally")
    func upstreamFinishesBeforeDeadline() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.milliseconds(2_999), .finish)])
        let task = consume(upstream.timeout(after: .seconds(2), clock: clock))
        try await step(clock, to: .seconds(1))
        try await step(clock, to: .milliseconds(2_999))
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        #expect(consumed.error == nil)
        #expect(consumed.afterEnd == .some(nil))
    }

    @Test("the upstream finishing exactly at the deadline: reported as its end or as the timeout, nothing else")
    func upstreamFinishesAtDeadline() async throws {
        let clock = ManualClock()
        // Both happen at 2 s; which one the iterator observes first is a genuine tie. Either way no element
        // appears, no other error, and the sequence is finished.
        let upstream = Marbles(clock: clock, [(.seconds(2), .finish)])
        let task = consume(upstream.timeout(after: .seconds(2), clock: clock))
        try await step(clock, to: .seconds(2))
        let consumed = await task.value
        #expect(consumed.elements.isEmpty)
        #expect(consumed.error == nil || consumed.error is TimeoutError)
        #expect(consumed.afterEnd == .some(nil))
        #expect(upstream.log.all.isEmpty)  // the upstream finished; it was not cut short
    }

    @Test("the upstream's own error passes through unchanged, even at the deadline, and ends the sequence")
    func upstreamErrorPassesThrough() async throws {
        let clock = ManualClock()
        let early = Marbles(clock: clock, [(.seconds(1), .element("a")), (.seconds(2), .fail(OperationError(code: 9)))])
        let task = consume(early.timeout(after: .seconds(5), clock: clock))
        try await step(clock, to: .seconds(1))
        try await step(clock, to: .seconds(2))
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        #expect(consumed.error as? OperationError == OperationError(code: 9))
        #expect(consumed.afterEnd == .some(nil))

        let atDeadlineClock = ManualClock()
        let atDeadline = Marbles(clock: atDeadlineClock, [(.seconds(2), .fail(OperationError(code: 4)))])
        let second = consume(atDeadline.timeout(after: .seconds(2), clock: atDeadlineClock))
        try await step(atDeadlineClock, to: .seconds(2))
        #expect(await second.value.error as? OperationError == OperationError(code: 4))
    }

    @Test("cancelling the consumer cancels the upstream and reports CancellationError, not TimeoutError")
    func consumerCancelled() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.seconds(10), .element("b"))])
        let task = consume(upstream.timeout(after: .seconds(5), clock: clock))
        try await step(clock, to: .seconds(1))
        // The second next(): the upstream's sleep until 10 s, and the element's deadline at 6 s.
        try await clock.waitForPending(sleeps: 1, timers: 1)
        task.cancel()
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        #expect(consumed.error is CancellationError)
        #expect(upstream.log.all == ["cancelled at 1.0 seconds"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
    }

    @Test("an AsyncStream that ends because the timeout cancelled it reports TimeoutError, not a silent end")
    func asyncStreamTimesOut() async throws {
        let clock = ManualClock()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let (calls, announce) = AsyncStream.makeStream(of: Void.self)
        let task = consume(AnnouncingStream(stream, announce).timeout(after: .seconds(1), clock: clock))
        continuation.yield("a")
        // Both next() calls have a deadline at 1 s; advance only once the consumer waits for the second
        // element, so that the deadline that fires is the second one, not the first while "a" is handed over.
        var announcements = calls.makeAsyncIterator()
        _ = await announcements.next()
        _ = await announcements.next()
        try await clock.waitForTimers(count: 1)  // the second element's deadline (the first one's was disarmed)
        #expect(clock.pendingSleepers == 0)
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        #expect(consumed.error is TimeoutError)
        #expect(consumed.afterEnd == .some(nil))
        // The upstream was cancelled: the stream is terminated and refuses later elements.
        guard case .terminated = continuation.yield("b") else {
            Issue.record("the stream should have been terminated by the timeout")
            return
        }
    }

    @Test("an element that arrives after the deadline, from an upstream that ignores cancellation, is delivered; a later end is the timeout")
    func lateElementFromUncooperativeUpstream() async throws {
        let clock = ManualClock()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        // The upstream ignores cancellation: each `next()` waits for the clock to reach 3 s no matter what.
        let uncooperative = stream.map { element -> String in
            await withCancellationShield { try? await clock.sleep(until: ManualClock.Instant(offset: .seconds(3))) }  // ignores cancellation on purpose
            return element
        }
        continuation.yield("late")
        continuation.finish()
        let task = consume(uncooperative.timeout(after: .seconds(1), clock: clock))
        try await step(clock, to: .seconds(1))  // the deadline fires; the upstream ignores it
        try await clock.waitForSleeper(until: ManualClock.Instant(offset: .seconds(3)))  // and sleeps on
        clock.advance(to: ManualClock.Instant(offset: .seconds(3)))
        let consumed = await task.value
        #expect(consumed.elements == ["late"])
        // The deadline had cancelled the upstream's `next()`, so its end right after is the timeout's doing.
        #expect(consumed.error is TimeoutError)
        #expect(consumed.afterEnd == .some(nil))
    }

    @Test("works from an actor with non-Sendable elements")
    func nonSendableElementsOnAnActor() async throws {
        let clock = ManualClock()
        let sink = CounterSink()
        let total = try await sink.drain(Counters(count: 3).timeout(after: .seconds(1), clock: clock))
        #expect(total == 3)
    }
}

@Suite("AsyncSequence.deadline(after:) / deadline(at:) — one deadline for the whole iteration, marble tests")
struct StreamDeadlineTests {
    @Test("elements before the deadline pass; the deadline then throws TimeoutError with the whole budget")
    func overallDeadline() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.seconds(2), .element("b")), (.seconds(4), .element("c"))])
        let line = #line + 1
        let task = consume(upstream.deadline(after: .seconds(3), clock: clock))
        try await step(clock, to: .seconds(1))
        try await step(clock, to: .seconds(2))
        try await step(clock, to: .seconds(3))
        let consumed = await task.value
        #expect(consumed.elements == ["a", "b"])
        let error = try #require(consumed.error as? TimeoutError)
        #expect(error.timeout == .seconds(3))
        #expect(error.location == ScopeLocation(fileID: #fileID, line: line))
        #expect(consumed.afterEnd == .some(nil))
        #expect(upstream.log.all == ["cancelled at 3.0 seconds"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
    }

    @Test("an element exactly at the deadline is delivered; the next next() starts cancelled and times out")
    func elementExactlyAtOverallDeadline() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.seconds(3), .element("b")), (.seconds(4), .element("c"))])
        let task = consume(upstream.deadline(after: .seconds(3), clock: clock))
        try await step(clock, to: .seconds(1))
        try await step(clock, to: .seconds(3))
        let consumed = await task.value
        #expect(consumed.elements == ["a", "b"])
        #expect(consumed.error is TimeoutError)
        #expect(upstream.log.all == ["cancelled at 3.0 seconds"])
    }

    @Test("the upstream finishing before the deadline ends the sequence normally")
    func finishesBeforeDeadline() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(1), .element("a")), (.seconds(2), .finish)])
        let task = consume(upstream.deadline(after: .seconds(3), clock: clock))
        try await step(clock, to: .seconds(1))
        try await step(clock, to: .seconds(2))
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        #expect(consumed.error == nil)
    }

    @Test("an absolute deadline reports the time from the first next() to it")
    func absoluteDeadline() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(10))
        let upstream = Marbles(clock: clock, [(.seconds(11), .element("a")), (.seconds(20), .element("b"))])
        let task = consume(upstream.deadline(at: ManualClock.Instant(offset: .seconds(14)), clock: clock))
        try await step(clock, to: .seconds(11))
        try await step(clock, to: .seconds(14))
        let consumed = await task.value
        #expect(consumed.elements == ["a"])
        #expect((consumed.error as? TimeoutError)?.timeout == .seconds(4))
    }

    @Test("the upstream's own error passes through unchanged")
    func upstreamError() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(1), .fail(OperationError(code: 2)))])
        let task = consume(upstream.deadline(after: .seconds(3), clock: clock))
        try await step(clock, to: .seconds(1))
        #expect(await task.value.error as? OperationError == OperationError(code: 2))
    }

    @Test("cancelling the consumer cancels the upstream and reports CancellationError, not TimeoutError")
    func consumerCancelled() async throws {
        let clock = ManualClock()
        let upstream = Marbles(clock: clock, [(.seconds(10), .element("a"))])
        let task = consume(upstream.deadline(after: .seconds(5), clock: clock))
        try await clock.waitForPending(sleeps: 1, timers: 1)  // the upstream's sleep, the deadline
        task.cancel()
        let consumed = await task.value
        #expect(consumed.error is CancellationError)
        #expect(upstream.log.all == ["cancelled at 0.0 seconds"])
        #expect(clock.pendingSleepers == 0)
        #expect(clock.pendingTimers == 0)
    }

    @Test("works from an actor with non-Sendable elements")
    func nonSendableElementsOnAnActor() async throws {
        let clock = ManualClock()
        let total = try await CounterSink().drain(Counters(count: 4).deadline(after: .seconds(1), clock: clock))
        #expect(total == 4)
    }
}
