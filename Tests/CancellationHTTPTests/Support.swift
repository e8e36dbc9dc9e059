#if Hummingbird && AsyncHTTPClient
import AsyncHTTPClient
import Cancellation
import Hummingbird
import Logging
import NIOCore

/// Counts work that starts and finishes, and lets a test await a number of finishes without sleeping.
final class Gauge: Sendable {
    private struct Waiter {
        let id: Int
        let target: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var started = 0
        var finished = 0
        var nextID = 0
        var waiters: [Waiter] = []
    }

    private let state = LockedValue(State())

    /// How many started.
    var started: Int { state.withLock { $0.started } }
    /// How many finished.
    var finished: Int { state.withLock { $0.finished } }
    /// How many started and have not finished.
    var live: Int { state.withLock { $0.started - $0.finished } }

    func start() {
        state.withLock { $0.started += 1 }
    }

    func finish() {
        let ready = state.withLock { state -> [Waiter] in
            state.finished += 1
            let ready = state.waiters.filter { $0.target <= state.finished }
            state.waiters.removeAll { $0.target <= state.finished }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Returns once `count` have finished, or when the calling task is cancelled.
    func waitUntilFinished(_ count: Int) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.finished >= count { return true }
                    state.waiters.append(Waiter(id: id, target: count, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }
}

/// A thread-safe list of values recorded by servers.
final class Recorder<Value: Sendable>: Sendable {
    private let values = LockedValue<[Value]>([])

    func append(_ value: Value) {
        values.withLock { $0.append(value) }
    }

    var all: [Value] { values.withLock { $0 } }
}

/// Awaits `count` finishes of `gauge`, failing (instead of hanging) if that takes unreasonably long.
func awaitFinished(_ gauge: Gauge, _ count: Int) async throws {
    try await withTimeout(.seconds(30)) {
        await gauge.waitUntilFinished(count)
    }
}

/// A middleware, placed outermost, that counts requests in flight and logs the status each answered as
/// "NAME PATH answered STATUS" (or "NAME PATH threw ERROR").
struct StatusRecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    let name: String
    let gauge: Gauge
    let events: Recorder<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        gauge.start()
        defer { gauge.finish() }
        do {
            let response = try await next(request, context)
            events.append("\(name) \(request.uri.path) answered \(response.status.code)")
            return response
        } catch {
            events.append("\(name) \(request.uri.path) threw \(type(of: error))")
            throw error
        }
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "CancellationHTTPTests")
    logger.logLevel = .critical
    return logger
}()

/// Runs a Hummingbird application with `router` on a loopback port chosen by the system, calls `body`
/// with the port, then shuts the server down and waits for it to stop.
func withServer<Value: Sendable>(
    _ router: Router<BasicRequestContext>,
    _ body: (Int) async throws -> Value
) async throws -> Value {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? -1)
            portContinuation.finish()
        },
        logger: quietLogger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            throw ServerDidNotStart()
        }
        let value = try await body(port)
        group.cancelAll()
        // The server stops once its task is cancelled; wait for it, whatever it reports.
        while await group.nextResult() != nil {}
        return value
    }
}

struct ServerDidNotStart: Error {}

/// Runs `body` with a fresh HTTP client and shuts the client down afterwards.
func withClient<Value: Sendable>(_ body: (HTTPClient) async throws -> Value) async throws -> Value {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let value = try await body(client)
        try await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        throw error
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds, for messages.
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
#endif
