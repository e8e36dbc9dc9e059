import Cancellation

/// S1: the cost per element of the per-element timeout operator, against iterating the same sequence bare.
///
/// Two upstreams are measured, because the ratio depends on what one element costs without the operator:
/// a sequence that produces elements without suspending (the operator's worst case: its per-element child
/// task and timer are all there is to measure) and an `AsyncStream` fed by the same task (the most common
/// upstream in practice; its yields are counted on both sides).
func addStreamFigures(to report: inout Report, _ options: Options) async throws {
    let batch = 100
    let costs = try await perCall(iterations: max(10, options.iterations / batch), rounds: options.rounds, [
        ("bare", { try await sum(Counting(count: batch)) }),
        ("timeout", { try await sum(Counting(count: batch).timeout(after: .seconds(60))) }),
        ("bareStream", { try await sum(filledStream(count: batch)) }),
        ("timeoutStream", { try await sum(filledStream(count: batch).timeout(after: .seconds(60))) }),
        ("childPerElement", { await sumInChildren(Counting(count: batch)) }),
        ("childPerElementStream", { await sumInChildren(filledStream(count: batch)) }),
    ])
    let perElement = costs.samples.keys.reduce(into: [String: Double]()) { $0[$1] = costs[$1] / Double(batch) }
    let sync = perElement["timeout"]! / perElement["bare"]!
    let stream = perElement["timeoutStream"]! / perElement["bareStream"]!
    let floor = perElement["childPerElement"]! / perElement["bare"]!
    let floorStream = perElement["childPerElementStream"]! / perElement["bareStream"]!
    report.add("S1_floor", json: jsonObject([("non_suspending", floor), ("async_stream", floorStream)]), line:
        "S1 floor, each next() in a bare immediate child task and nothing else ÷ bare iteration: non-suspending sequence \(format(floor)), AsyncStream \(format(floorStream)) — \(format(perElement["childPerElement"]!)) / \(format(perElement["childPerElementStream"]!)) ns per element")
    report.add("S1", json: jsonObject([("non_suspending", sync), ("async_stream", stream)] + perElement.sorted { $0.key < $1.key }.map { ($0.key + "_ns", $0.value) }), line:
        "S1 per element, timeout(after:) ÷ bare iteration (targets ≤ 50 / ≤ 1.5): non-suspending sequence \(format(sync)) — \(format(perElement["timeout"]!)) ns vs \(format(perElement["bare"]!)) ns; AsyncStream \(format(stream)) — \(format(perElement["timeoutStream"]!)) ns vs \(format(perElement["bareStream"]!)) ns")
}

/// Adds up a sequence of integers, each `next()` run in a bare immediate child task in a discarding group:
/// the least a per-element timeout that can interrupt the upstream's `next()` must do (Swift 6.3 cancels
/// whole tasks only, so the upstream must wait in a task the deadline may cancel without cancelling the
/// consumer), with no deadline, no timer and no scope.
func sumInChildren<S: AsyncSequence<Int, Never>>(_ sequence: S) async -> Int where S.AsyncIterator: SendableMetatype {
    var iterator = sequence.makeAsyncIterator()
    var total = 0
    while true {
        // Sound: the child reads and writes them while this task waits for it; the group's wait orders the
        // child's writes before the reads below.
        nonisolated(unsafe) var inChild = iterator
        nonisolated(unsafe) var element: Int?
        await withDiscardingTaskGroup { group in
            group.addImmediateTask { element = await inChild.next(isolation: nil) }
        }
        iterator = inChild
        guard let element else { return total }
        total &+= element
    }
}

/// Adds up a sequence of integers.
func sum<S: AsyncSequence>(_ sequence: S) async throws -> Int where S.Element == Int {
    var total = 0
    for try await value in sequence { total &+= value }
    return total
}

/// An `AsyncStream` holding `count` integers, already finished.
func filledStream(count: Int) -> AsyncStream<Int> {
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
    for value in 0..<count { continuation.yield(value) }
    continuation.finish()
    return stream
}

/// The integers `0..<count`, produced without suspending.
struct Counting: AsyncSequence, Sendable {
    let count: Int

    func makeAsyncIterator() -> Iterator { Iterator(count: count) }

    struct Iterator: AsyncIteratorProtocol {
        let count: Int
        var next = 0

        mutating func next() async -> Int? {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
