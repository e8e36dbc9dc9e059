import Cancellation
import CancellationTesting
import Logging
import Testing

/// Thousands of random nested scopes with random deadlines, explicit cancels and caller cancels, checked
/// against the library's invariants. Run under ThreadSanitizer in CI.
@Suite("Stress", .timeLimit(.minutes(10)))
struct StressTests {
    @Test("random nested scopes keep every invariant: no result lost, no leaked child, reasons right", arguments: [UInt64(1), 2, 3])
    func randomNestedScopes(seed: UInt64) async throws {
        var generator = SplitMix64(state: seed)
        let plans = (0..<400).map { _ in StressPlan.random(depth: 0, using: &generator) }
        let callerCancelTimes = plans.indices.map { _ in Int64.random(in: 0...80, using: &generator) }
        let harness = StressHarness()
        let scopeCount = plans.reduce(0) { $0 + $1.scopeCount }
        #expect(scopeCount >= 1_000)

        let tasks = plans.enumerated().map { index, plan in
            Task {
                try await CancellationDiagnostics.$current.withValue(harness.diagnostics) {
                    try await harness.execute(plan, ancestors: [], shielded: false)
                }
            }
        }
        // Drive time: one second per step, cancelling callers and scopes as planned, until all tasks end.
        var finished = 0
        var second: Int64 = 0
        let done = Recorder<Int>()
        let watchers = tasks.map { task in
            Task {
                _ = await task.result
                done.record(1)
            }
        }
        while finished < tasks.count {
            second += 1
            for (index, time) in callerCancelTimes.enumerated() where time == second && index % 3 == 0 {
                tasks[index].cancel()
            }
            harness.cancelScopesDue(at: second)
            harness.clock.advance(by: .seconds(1))
            for _ in 0..<20 { await Task.yield() }
            finished = done.all.count
            // A plan runs at most 16 leaves one after another (four levels of at most two), each sleeping at
            // most 40 seconds: every plan ends within 640 seconds of the clock. One still running long after
            // has lost a wake-up.
            if second >= 10_000 { break }
        }
        guard finished == tasks.count else {
            // Fail, naming what is stuck, rather than wait for it forever.
            Issue.record("""
                \(tasks.count - finished) of \(tasks.count) plans never ended after \(second) seconds of the clock; \
                \(harness.liveOperations) operations running, sleeps pending at \(harness.clock.pendingDeadlines), \
                library timers at \(harness.clock.pendingTimerDeadlines)
                """)
            for task in tasks { task.cancel() }
            return
        }
        for watcher in watchers { await watcher.value }
        for task in tasks {
            switch await task.result {
            case .success(let value):
                #expect(value >= 0)
            case .failure(let error):
                #expect(error is TimeoutError || error is ScopeCancelledError || error is CancellationError || error is OperationError)
            }
        }
        #expect(harness.violations == [])
        #expect(harness.liveOperations == 0)
        #expect(harness.clock.pendingSleepers == 0)
        #expect(harness.clock.pendingTimers == 0)
        #expect(harness.scopesRun > 0)
        let outcomes = harness.outcomes
        for outcome in ["value", "nil", "timeout", "scope cancelled", "cancellation"] {
            #expect(outcomes[outcome, default: 0] > 0, "no scope ended with \(outcome): \(outcomes)")
        }
        // The diagnostics' timers ran among the scopes' own: operations that ignored cancellation were
        // reported, each exactly at the end of the grace period (the clock moves from deadline to deadline).
        let events = harness.events
        for event in ["deadline expired", "late result", "uncooperative", "shield expired"] {
            #expect(events.counts[event, default: 0] > 0, "no \(event) event: \(events.counts)")
        }
        #expect(events.misreported == [])
    }
}

/// A deterministic random number generator, so a failing seed can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

indirect enum StressPlan: Sendable {
    enum Kind: Sendable, CaseIterable {
        case timeout, moveOn, cancelScope, shield, boundedShield
    }

    enum Leaf: Sendable {
        case value(Int)
        case cooperativeSleep(Int64, Int)
        case ignoringSleep(Int64, Int)
        case throwing(Int64)
    }

    case leaf(Leaf)
    case scope(id: Int, kind: Kind, timeout: Int64, cancelAt: Int64?, body: [StressPlan])

    private static let ids = LockedValue<Int>(0)

    static func random(depth: Int, using generator: inout SplitMix64) -> StressPlan {
        if depth >= 4 || (depth > 0 && Int.random(in: 0..<4, using: &generator) == 0) {
            let value = Int.random(in: 0...1_000, using: &generator)
            let duration = Int64.random(in: 1...40, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return .leaf(.value(value))
            case 1: return .leaf(.cooperativeSleep(duration, value))
            case 2: return .leaf(.ignoringSleep(duration, value))
            default: return .leaf(.throwing(duration))
            }
        }
        let kind = Kind.allCases.randomElement(using: &generator)!
        let timeout = Int64.random(in: -2...60, using: &generator)
        let cancelAt: Int64? = Int.random(in: 0..<5, using: &generator) == 0 ? Int64.random(in: 1...60, using: &generator) : nil
        let children = (0..<Int.random(in: 1...2, using: &generator)).map { _ in random(depth: depth + 1, using: &generator) }
        return .scope(id: ids.withLock { $0 += 1; return $0 }, kind: kind, timeout: timeout, cancelAt: cancelAt, body: children)
    }

    var scopeCount: Int {
        switch self {
        case .leaf: return 0
        case .scope(_, _, _, _, let body): return 1 + body.reduce(0) { $0 + $1.scopeCount }
        }
    }
}

final class StressHarness: Sendable {
    let clock = ManualClock()
    /// The diagnostics every plan runs under: the default grace period, reports counted instead of logged.
    let diagnostics: CancellationDiagnostics
    private let observed = LockedValue(Events())

    struct Events {
        var counts: [String: Int] = [:]
        /// Events that name no scope of this harness, and reports of an uncooperative operation made at any
        /// other time than the end of its grace period.
        var misreported: [String] = []
    }

    /// The diagnostics events the scopes reported, by kind.
    var events: Events { observed.withLock { $0 } }

    init() {
        let observed = self.observed
        let gracePeriod = Duration.seconds(5)
        diagnostics = CancellationDiagnostics(
            gracePeriod: gracePeriod,
            logger: Logger(label: "stress") { _ in SwiftLogNoOpLogHandler() }
        ) { event in
            let kind: String
            var misreported: [String] = []
            switch event {
            case .deadlineExpired: kind = "deadline expired"
            case .lateResult: kind = "late result"
            case .uncooperative(_, let ignoredFor):
                kind = "uncooperative"
                if ignoredFor != gracePeriod { misreported.append("\(event): reported after \(ignoredFor)") }
            case .abandoned: kind = "abandoned"
            case .shieldExpired: kind = "shield expired"
            }
            if StressHarness.id(of: event.scope) == nil {
                misreported.append("\(event): not a scope of the stress test")
            }
            observed.withLock { events in
                events.counts[kind, default: 0] += 1
                events.misreported += misreported
            }
        }
    }
    private let state = LockedValue(State())
    private let live = LockedValue<Int>(0)

    private struct State {
        var violations: [String] = []
        var scopes: [Int: CancelScope<ManualClock>] = [:]
        var pendingCancels: [(at: Int64, id: Int)] = []
        var scopesRun = 0
        var outcomes: [String: Int] = [:]
    }

    /// How many scopes ended each way, to show every path was exercised.
    var outcomes: [String: Int] { state.withLock { $0.outcomes } }

    private func count(_ outcome: String) {
        state.withLock { $0.outcomes[outcome, default: 0] += 1 }
    }

    var violations: [String] { state.withLock { $0.violations } }
    var liveOperations: Int { live.withLock { $0 } }
    var scopesRun: Int { state.withLock { $0.scopesRun } }

    func violation(_ text: String) {
        state.withLock { $0.violations.append(text) }
    }

    func cancelScopesDue(at second: Int64) {
        let due = state.withLock { state -> [CancelScope<ManualClock>] in
            let due = state.pendingCancels.filter { $0.at <= second }.compactMap { state.scopes[$0.id] }
            state.pendingCancels.removeAll { $0.at <= second }
            return due
        }
        for scope in due { scope.cancel(reason: "planned") }
    }

    private func register(_ id: Int, _ scope: CancelScope<ManualClock>, cancelAt: Int64?) {
        state.withLock { state in
            state.scopes[id] = scope
            state.scopesRun += 1
            if let cancelAt { state.pendingCancels.append((cancelAt, id)) }
        }
    }

    private func scope(_ id: Int) -> CancelScope<ManualClock>? {
        state.withLock { $0.scopes[id] }
    }

    fileprivate static func id(of location: ScopeLocation) -> Int? {
        Int(location.fileID.dropFirst("stress/".count))
    }

    /// Runs a plan; `ancestors` are the scope ids around it up to the nearest shield.
    func execute(_ plan: StressPlan, ancestors: [Int], shielded: Bool) async throws -> Int {
        switch plan {
        case .leaf(let leaf):
            return try await run(leaf, ancestors: ancestors)
        case .scope(let id, let kind, let timeout, let cancelAt, let body):
            return try await run(id: id, kind: kind, timeout: timeout, cancelAt: cancelAt, body: body, ancestors: ancestors)
        }
    }

    private func runBody(_ body: [StressPlan], ancestors: [Int]) async throws -> Int {
        var total = 0
        for child in body {
            total += try await execute(child, ancestors: ancestors, shielded: false)
        }
        return total
    }

    private func run(
        id: Int, kind: StressPlan.Kind, timeout: Int64, cancelAt: Int64?, body: [StressPlan], ancestors: [Int]
    ) async throws -> Int {
        let fileID = "stress/\(id)"
        let order = LockedValue(CallOrder())
        let returned = LockedValue<Int>(-1)
        func operation(_ scope: CancelScope<ManualClock>?, inner: [Int]) async throws -> Int {
            live.withLock { $0 += 1 }
            defer {
                live.withLock { $0 -= 1 }
                order.withLock { $0.operationEnded = true }
            }
            if let scope { register(id, scope, cancelAt: cancelAt) }
            let value = try await runBody(body, ancestors: inner)
            returned.withLock { $0 = value }
            return value
        }
        let duration = Duration.seconds(timeout)
        return try await withTaskCancellationHandler {
            try await runScope(
                id: id, kind: kind, duration: duration, fileID: fileID, order: order, returned: returned,
                ancestors: ancestors, operation: operation
            )
        } onCancel: {
            order.withLock { call in
                if !call.operationEnded { call.callerCancelledBeforeOperationEnded = true }
            }
        }
    }

    /// When a scope's caller was cancelled, in the order of the one lock that also records the end of the
    /// scope's operation.
    private struct CallOrder {
        var operationEnded = false
        /// The caller's cancellation came before the operation ended. The scope decides between its own
        /// cancellation and its caller's once the operation has ended, so it must then report the caller's.
        /// (A caller cancelled later, while the scope is deciding or after it decided, may get either: the
        /// driver cancels callers from another task, concurrently with the scopes.)
        var callerCancelledBeforeOperationEnded = false
    }

    private func runScope(
        id: Int, kind: StressPlan.Kind, duration: Duration, fileID: String, order: LockedValue<CallOrder>,
        returned: LockedValue<Int>, ancestors: [Int],
        operation: (CancelScope<ManualClock>?, [Int]) async throws -> Int
    ) async throws -> Int {
        do {
            let value: Int
            switch kind {
            case .timeout:
                value = try await withTimeout(duration, clock: clock, fileID: fileID, line: 1) { scope in
                    try await operation(scope, ancestors + [id])
                }
            case .moveOn, .cancelScope:
                let deadline = kind == .moveOn ? clock.now.advanced(by: duration) : nil
                let result = try await withCancelScope(deadline: deadline, clock: clock, fileID: fileID, line: 1) { scope in
                    try await operation(scope, ancestors + [id])
                }
                guard let result else {
                    count("nil")
                    if let scope = scope(id), !(scope.isCancelled && scope.didCatchCancellation) {
                        violation("scope \(id) returned nil without catching its own cancellation")
                    }
                    check(order, id: id)
                    return 0
                }
                value = result
            case .shield:
                value = try await withCancellationShield {
                    try await operation(nil, [])
                }
            case .boundedShield:
                value = try await withCancellationShield(timeout: duration, clock: clock, fileID: fileID, line: 1) {
                    // The shield's bound is the only scope around its body.
                    try await operation(nil, [-id])
                }
            }
            check(order, id: id)
            count("value")
            if value != returned.withLock({ $0 }) {
                violation("scope \(id) lost its operation's value")
            }
            return value
        } catch let error as TimeoutError {
            check(order, id: id)
            if error.location.fileID == fileID {
                count("timeout")
                if kind != .boundedShield {
                    guard let scope = scope(id), scope.isCancelled, case .deadlineExpired = scope.reason else {
                        violation("scope \(id) threw its own TimeoutError without its deadline expiring")
                        throw error
                    }
                    if let deadline = scope.deadline, clock.now < deadline {
                        violation("scope \(id) timed out before its deadline")
                    }
                }
                if order.withLock({ $0.callerCancelledBeforeOperationEnded }) && kind != .boundedShield {
                    violation("scope \(id) reported a timeout to a caller cancelled before its operation ended")
                }
            }
            throw error
        } catch let error as ScopeCancelledError {
            check(order, id: id)
            if error.location.fileID == fileID { count("scope cancelled") }
            if error.location.fileID == fileID, scope(id)?.reason == nil {
                violation("scope \(id) threw ScopeCancelledError without being cancelled")
            }
            throw error
        } catch is CancellationError {
            check(order, id: id)
            count("cancellation")
            if !Task.isCancelled {
                violation("scope \(id) threw CancellationError to a caller that is not cancelled")
            }
            throw CancellationError()
        }
    }

    private func check(_ order: LockedValue<CallOrder>, id: Int) {
        if !order.withLock({ $0.operationEnded }) {
            violation("scope \(id) returned while its operation was still running")
        }
    }

    private func run(_ leaf: StressPlan.Leaf, ancestors: [Int]) async throws -> Int {
        switch leaf {
        case .value(let value):
            return value
        case .cooperativeSleep(let seconds, let value):
            do {
                try await clock.sleep(for: .seconds(seconds))
            } catch {
                checkReason(ancestors: ancestors)
                throw error
            }
            return value
        case .ignoringSleep(let seconds, let value):
            try? await clock.sleep(for: .seconds(seconds))
            if Task.isCancelled { checkReason(ancestors: ancestors) }
            return value
        case .throwing(let seconds):
            try? await clock.sleep(for: .seconds(seconds))
            throw OperationError(code: Int(seconds))
        }
    }

    /// A cancelled leaf's reason must name a cancelled scope around it, or the task's own cancellation.
    private func checkReason(ancestors: [Int]) {
        guard let reason = CancellationReason.current else {
            if Task.isCancelled { violation("a cancelled task has no reason") }
            return
        }
        switch reason {
        case .taskCancelled:
            break
        case .deadlineExpired(let location), .cancelled(_, let location):
            guard let id = Self.id(of: location) else {
                violation("reason \(reason) names an unknown scope")
                return
            }
            if ancestors.contains(-id), case .deadlineExpired = reason {
                return  // the bound of the shield around this task
            }
            guard ancestors.contains(id), let scope = scope(id) else {
                violation("reason \(reason) names a scope that is not around the task")
                return
            }
            if scope.reason != reason {
                violation("reason \(reason) does not match scope \(id)'s own reason \(String(describing: scope.reason))")
            }
        }
    }
}
