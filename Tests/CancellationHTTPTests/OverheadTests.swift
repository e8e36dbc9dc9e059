#if Hummingbird && AsyncHTTPClient
import AsyncHTTPClient
import Cancellation
import CancellationAsyncHTTPClient
import CancellationHummingbird
import CancellationWire
import Foundation
import Hummingbird
import NIOCore
import Testing

/// Per-hop overhead of the deadline middleware and client integration over plain Hummingbird and plain
/// AsyncHTTPClient. Prints the figures; asserts only that every request succeeded.
///
/// Set `CANCELLATION_HTTP_OVERHEAD_N` (for example to 2000) for a real measurement; the default is a
/// short smoke run.
@Suite("HTTP deadline overhead")
struct OverheadTests {
    @Test func sequentialRequestsWithAndWithoutDeadlines() async throws {
        let count = ProcessInfo.processInfo.environment["CANCELLATION_HTTP_OVERHEAD_N"].flatMap { Int($0) } ?? 100
        let warmUp = min(count, 100)

        let plainRouter = Router()
        plainRouter.get("ping") { _, _ in "pong" }
        let deadlineRouter = Router()
        deadlineRouter.add(middleware: RequestDeadlineMiddleware(
            policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60))
        ))
        deadlineRouter.get("ping") { _, _ in "pong" }

        let clock = ContinuousClock()
        // [plain server + plain client, middleware + plain client, plain server + integration, both].
        let totals = try await withClient { client in
            try await withServer(plainRouter) { plainPort in
                try await withServer(deadlineRouter) { deadlinePort in
                    let plainRequest = HTTPClientRequest(url: "http://127.0.0.1:\(plainPort)/ping")
                    let deadlineRequest = HTTPClientRequest(url: "http://127.0.0.1:\(deadlinePort)/ping")

                    func run(_ n: Int, request: HTTPClientRequest, integration: Bool) async throws -> Duration {
                        try await clock.measure {
                            for _ in 0..<n {
                                let response: HTTPClientResponse
                                if integration {
                                    response = try await client.executeWithinDeadline(request, timeout: .seconds(30), maxBodyBytes: 1 << 10)
                                } else {
                                    response = try await client.execute(request, timeout: .seconds(30))
                                }
                                let body = try await response.body.collect(upTo: 1 << 10)
                                precondition(response.status == .ok && body.readableBytes == 4)
                            }
                        }
                    }
                    let variants = [(plainRequest, false), (deadlineRequest, false), (plainRequest, true), (deadlineRequest, true)]
                    for (request, integration) in variants {
                        _ = try await run(warmUp, request: request, integration: integration)
                    }
                    // Interleave rounds of each, so drift in machine load hits all alike.
                    var totals = [Duration](repeating: .zero, count: variants.count)
                    let rounds = 4
                    for _ in 0..<rounds {
                        for (index, (request, integration)) in variants.enumerated() {
                            totals[index] += try await run(count / rounds, request: request, integration: integration)
                        }
                    }
                    return totals
                }
            }
        }

        let perRequest = totals.map { $0.milliseconds * 1_000 / Double(count / 4 * 4) }
        func line(_ label: String, _ index: Int) -> String {
            let ratio = perRequest[index] / perRequest[0]
            return "  \(label.padding(toLength: 52, withPad: " ", startingAt: 0)) \(String(format: "%7.1f", perRequest[index])) µs/request, ratio \(String(format: "%.3f", ratio))"
        }
        print(
            """
            HTTP deadline overhead, \(count) sequential requests per variant over loopback:
            \(line("plain Hummingbird + plain AsyncHTTPClient", 0))
            \(line("RequestDeadlineMiddleware + plain AsyncHTTPClient", 1))
            \(line("plain Hummingbird + executeWithinDeadline", 2))
            \(line("RequestDeadlineMiddleware + executeWithinDeadline", 3))
            """
        )
        let plain = totals[0]
        let withDeadlines = totals[3]
        #expect(plain > .zero && withDeadlines > .zero)
    }
}
#endif
