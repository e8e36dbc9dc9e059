import Cancellation

@inline(never) func trivial() async -> Int { 42 }

func bareChild() async -> Int {
    await withTaskGroup(of: Int.self) { group in
        group.addTask { await trivial() }
        return await group.next()!
    }
}

struct RaceTimeout: Error {}
func race() async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        group.addTask { await trivial() }
        group.addTask { try await Task.sleep(for: .seconds(60)); throw RaceTimeout() }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

func measure(_ n: Int, _ body: () async throws -> Int) async rethrows -> Double {
    let clock = ContinuousClock()
    var sink = 0
    let start = clock.now
    for _ in 0..<n { sink &+= try await body() }
    let elapsed = start.duration(to: clock.now)
    precondition(sink != 1)
    let (s, a) = elapsed.components
    return (Double(s) * 1e9 + Double(a) / 1e9) / Double(n)
}

let n = 20_000
func runAll() async throws {
for _ in 0..<3 {
    let bare = await measure(n) { await bareChild() }
    let ours = try await measure(n) { try await withTimeout(.seconds(60)) { await trivial() } }
    let hand = try await measure(n) { try await race() }
    let shield = await measure(n) { await withCancellationShield { await trivial() } }
    let scopeNoDeadline = try await measure(n) { try await withCancelScope { _ in await trivial() } ?? 0 }
    let manual = try await measure(n) { try await withTimeout(.seconds(60), clock: SuspendingClock()) { await trivial() } }
    print("scope without deadline \(scopeNoDeadline) ns, suspending \(manual) ns")
    print("bare \(bare) ns, withTimeout \(ours) ns (B1 \(ours / bare)), race \(hand) ns (B2 \(hand / ours)), shield \(shield / bare)")
}
}
try await Task.detached { try await runAll() }.value
