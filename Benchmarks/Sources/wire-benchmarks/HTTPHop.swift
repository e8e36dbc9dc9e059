import AsyncHTTPClient
import CancellationAsyncHTTPClient
import CancellationHummingbird
import CancellationWire
import Hummingbird
import Logging

let quietLogger: Logger = {
    var logger = Logger(label: "wire-benchmarks")
    logger.logLevel = .critical
    return logger
}()

/// Runs `body` with a Hummingbird server on a loopback port, with two routes of the same shape that answer
/// alike: `/plain/ping`, and `/limit/ping` behind the deadline middleware; then shuts it down and waits for
/// it. The middleware sits on a route group, so it runs after the route is matched (installed on the
/// router, as its documentation advises, it runs before; matching costs both sides the same here).
func withHTTPServer<Value: Sendable>(_ body: (Int) async throws -> Value) async throws -> Value {
    let router = Router()
    // A group without middleware adds no layer of its own.
    router.group("plain").get("ping") { _, _ in "pong" }
    router.group("limit")
        .add(middleware: RequestDeadlineMiddleware(
            policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60))
        ))
        .get("ping") { _, _ in "pong" }
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
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            group.cancelAll()
            throw BenchmarkError.noPort
        }
        let result: Result<Value, any Error>
        do { result = .success(try await body(port)) } catch { result = .failure(error) }
        group.cancelAll()
        // The server ends once cancelled; what it reports on the way out is of no interest here.
        while let next = await group.nextResult() {
            _ = next
        }
        return try result.get()
    }
}

/// W2 and its breakdown: the middleware and the client integration together, the middleware alone (a plain
/// client sending the same header) and the client integration alone (to the plain route), each against
/// plain Hummingbird and plain AsyncHTTPClient — one server, one client, one kept-alive connection, the
/// sides differing only in the route and the client call.
func measureHTTP(requestsPerRound: Int, rounds: Int) async throws -> (both: HopFigure, server: HopFigure, client: HopFigure) {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let figures: Result<(both: HopFigure, server: HopFigure, client: HopFigure), any Error>
    do {
        figures = .success(try await withHTTPServer { port in
            let plainURL = "http://127.0.0.1:\(port)/plain/ping"
            let deadlineURL = "http://127.0.0.1:\(port)/limit/ping"
            func plainCall(_ url: String) async throws {
                // The plain client sends the same header by hand, and bounds the head by the same 10 s.
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: RequestTimeoutHeader.name, value: "10000")
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 16)
                guard response.status == .ok, body.readableBytes == 4 else {
                    throw BenchmarkError.wrongStatus(response.status.code)
                }
            }
            func integratedCall(_ url: String) async throws {
                let request = HTTPClientRequest(url: url)
                let (status, bytes) = try await client.withResponse(to: request, timeout: .seconds(10)) { response in
                    (response.status.code, try await response.body.collect(upTo: 1 << 16).readableBytes)
                }
                guard status == 200, bytes == 4 else { throw BenchmarkError.wrongStatus(status) }
            }
            let both = try await interleaved(rounds: rounds, requests: requestsPerRound,
                without: { try await plainCall(plainURL) }, with: { try await integratedCall(deadlineURL) })
            let server = try await interleaved(rounds: rounds, requests: requestsPerRound,
                without: { try await plainCall(plainURL) }, with: { try await plainCall(deadlineURL) })
            let clientOnly = try await interleaved(rounds: rounds, requests: requestsPerRound,
                without: { try await plainCall(plainURL) }, with: { try await integratedCall(plainURL) })
            return (both, server, clientOnly)
        })
    } catch {
        figures = .failure(error)
    }
    try await client.shutdown()
    return try figures.get()
}
