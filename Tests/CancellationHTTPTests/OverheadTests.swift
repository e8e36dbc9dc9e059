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
        let (plain, withDeadlines) = try await withClient { client in
            try await withServer(plainRouter) { plainPort in
                try await withServer(deadlineRouter) { deadlinePort in
                    let plainRequest = HTTPClientRequest(url: "http://127.0.0.1:\(plainPort)/ping")
                    let deadlineRequest = HTTPClientRequest(url: "http://127.0.0.1:\(deadlinePort)/ping")

                    func runPlain(_ n: Int) async throws -> Duration {
                        try await clock.measure {
                            for _ in 0..<n {
                                let response = try await client.execute(plainRequest, timeout: .seconds(30))
                                let body = try await response.body.collect(upTo: 1 << 10)
                                precondition(body.readableBytes == 4)
                            }
                        }
                    }
                    func runWithDeadlines(_ n: Int) async throws -> Duration {
                        try await clock.measure {
                            for _ in 0..<n {
                                let response = try await client.executeWithinDeadline(
                                    deadlineRequest,
                                    timeout: .seconds(30),
                                    maxBodyBytes: 1 << 10
                                )
                                let body = try await response.body.collect(upTo: 1 << 10)
                                precondition(body.readableBytes == 4)
                            }
                        }
                    }

                    _ = try await runPlain(warmUp)
                    _ = try await runWithDeadlines(warmUp)
                    // Interleave two rounds of each, so drift in machine load hits both alike.
                    var plain = Duration.zero
                    var withDeadlines = Duration.zero
                    for _ in 0..<2 {
                        plain += try await runPlain(count / 2)
                        withDeadlines += try await runWithDeadlines(count / 2)
                    }
                    return (plain, withDeadlines)
                }
            }
        }

        let perPlain = plain.milliseconds * 1_000 / Double(count)
        let perDeadline = withDeadlines.milliseconds * 1_000 / Double(count)
        print(
            """
            HTTP deadline overhead, \(count) sequential requests over loopback:
              plain Hummingbird + AsyncHTTPClient:       \(String(format: "%.1f", perPlain)) µs/request
              RequestDeadlineMiddleware + withinDeadline: \(String(format: "%.1f", perDeadline)) µs/request
              ratio: \(String(format: "%.3f", perDeadline / perPlain)), difference \(String(format: "%.1f", perDeadline - perPlain)) µs/request
            """
        )
        #expect(plain > .zero && withDeadlines > .zero)
    }
}
#endif
