import Cancellation
import Testing

/// Counts operations that have ended, to check that nothing a race or gather started is still running.
final class EndCounter: Sendable {
    private let count = LockedValue<Int>(0)

    func ended() {
        count.withLock { $0 += 1 }
    }

    var value: Int { count.withLock { $0 } }
}

/// Races between real timers and real work, repeated: the outcome of each round varies, the invariants
/// do not.
@Suite("Streams and races under real timing")
struct StreamStressTests {
    @Test("per-element timeouts racing a real producer never lose, duplicate or reorder an element")
    func timeoutRacingProducer() async throws {
        for round in 0..<100 {
            let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
            let producer = Task {
                for value in 0..<50 {
                    guard case .enqueued = continuation.yield(value) else { return }
                    if value % 7 == round % 7 { await Task.yield() }
                }
                continuation.finish()
            }
            var received: [Int] = []
            var ending: (any Error)?
            do {
                for try await value in stream.timeout(after: .microseconds(Int64(round % 10) * 20)) {
                    received.append(value)
                }
            } catch {
                ending = error
            }
            producer.cancel()
            await producer.value
            #expect(received == Array(0..<received.count), "round \(round)")
            #expect(ending == nil || ending is TimeoutError, "round \(round)")
            if ending == nil {
                #expect(received.count == 50, "round \(round)")
            }
        }
    }

    @Test("firstResult and firstSuccess return only after every operation ended")
    func racesAwaitEveryOperation() async throws {
        for round in 0..<100 {
            let ends = EndCounter()
            let operations: [@Sendable () async throws -> Int] = (0..<4).map { index in
                {
                    defer { ends.ended() }
                    for _ in 0..<((index + round) % 4) { await Task.yield() }
                    if index == round % 4 { throw OperationError(code: index) }
                    try await Task.sleep(for: .microseconds(10))
                    return index
                }
            }
            _ = try? await firstResult(of: operations)
            #expect(ends.value == 4, "round \(round)")
            let before = ends.value
            let winner = try await firstSuccess(of: operations)
            #expect(winner != round % 4)
            #expect(ends.value == before + 4, "round \(round)")
        }
    }

    @Test("gather under a short real deadline keeps every outcome and leaves nothing running")
    func gatherUnderRealDeadline() async throws {
        for round in 0..<100 {
            let ends = EndCounter()
            let operations: [@Sendable () async throws -> Int] = (0..<5).map { index in
                {
                    defer { ends.ended() }
                    try await Task.sleep(for: .microseconds(Int64(index * 40)))
                    return index
                }
            }
            let outcomes = await gather(timeout: .microseconds(Int64(round % 5) * 30), of: operations)
            #expect(outcomes.count == 5)
            #expect(ends.value == 5, "round \(round)")
            for (index, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(let value): #expect(value == index)
                case .timedOut: break
                case .failure(let error): Issue.record("round \(round): unexpected \(error)")
                }
            }
        }
    }
}
