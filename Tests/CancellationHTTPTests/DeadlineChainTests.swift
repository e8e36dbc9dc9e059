#if Hummingbird && AsyncHTTPClient
import AsyncHTTPClient
import Cancellation
import CancellationAsyncHTTPClient
import CancellationHummingbird
import CancellationWire
import Hummingbird
import NIOCore
import Testing

/// Deadlines across the wire: real Hummingbird servers on loopback, called with AsyncHTTPClient.
@Suite("HTTP deadlines")
struct DeadlineChainTests {
    /// What one hop of the chain saw.
    struct HopRecord: Sendable {
        let hop: String
        let remaining: Duration?
    }

    /// How the test client calls A.
    enum ClientKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// `HTTPClient.withResponse(to:timeout:)` with a 200 ms timeout.
        case integration
        /// Plain AsyncHTTPClient that sends `Request-Timeout-Ms: 200` itself and waits far longer.
        case plainWithHeader

        var testDescription: String { rawValue }
    }

    /// A → B → C: the client's 200 ms deadline reaches C with less left at every hop; C's slow handler is
    /// cancelled at its deadline and cleans up before C answers; every hop answers 504; nothing is left
    /// running.
    @Test(arguments: ClientKind.allCases)
    func deadlineShrinksAlongAChainAndEveryHopAnswersGatewayTimeout(client kind: ClientKind) async throws {
        let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60))
        let records = Recorder<HopRecord>()
        let requests = Gauge()  // requests in flight, counted by each hop's outermost middleware
        let handlers = Gauge()  // route handlers running
        let events = Recorder<String>()  // "C cleanup", "C answered 504", …

        try await withClient { client in
            func hop(_ name: String, next nextPort: Int?) -> Router<BasicRequestContext> {
                let router = Router()
                router.add(middleware: StatusRecordingMiddleware(name: name, gauge: requests, events: events))
                router.add(middleware: RequestDeadlineMiddleware(policy: policy))
                router.get("warm") { _, _ in "warm" }
                router.get("hop") { _, _ -> Response in
                    handlers.start()
                    defer { handlers.finish() }
                    records.append(HopRecord(hop: name, remaining: EffectiveDeadline.current?.remaining))
                    guard let nextPort else {
                        // C: far slower than any budget it can get.
                        do {
                            try await Task.sleep(for: .seconds(60))
                        } catch {
                            events.append("C cleanup after \(type(of: error))")
                            throw error
                        }
                        return Response(status: .ok)
                    }
                    let upstream = try await client.executeWithinDeadline(
                        HTTPClientRequest(url: "http://127.0.0.1:\(nextPort)/hop"),
                        maxBodyBytes: 1 << 16
                    )
                    return Response(status: HTTPResponse.Status(code: Int(upstream.status.code)))
                }
                return router
            }

            try await withServer(hop("C", next: nil)) { cPort in
                try await withServer(hop("B", next: cPort)) { bPort in
                    try await withServer(hop("A", next: bPort)) { aPort in
                        // Open the client's pooled connections to every hop first (the hops share the client),
                        // so the 200 ms are spent on the chain, not on connecting a loaded machine.
                        for port in [aPort, bPort, cPort] {
                            let warm = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/warm"), timeout: .seconds(30))
                            _ = try await warm.body.collect(upTo: 1 << 10)
                        }
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(aPort)/hop")
                        let outcome: String
                        switch kind {
                        case .integration:
                            do {
                                outcome = try await client.withResponse(to: request, timeout: .milliseconds(200)) { response in
                                    _ = try await response.body.collect(upTo: 1 << 16)
                                    return "status \(response.status.code)"
                                }
                            } catch is TimeoutError {
                                outcome = "TimeoutError"
                            }
                            // Either A's 504 arrived first, or the client's own deadline did.
                            #expect(outcome == "status 504" || outcome == "TimeoutError", "client saw \(outcome)")
                        case .plainWithHeader:
                            request.headers.add(name: RequestTimeoutHeader.name, value: "200")
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            outcome = "status \(response.status.code)"
                            #expect(outcome == "status 504")
                        }

                        // Every hop answers (after the three warm-up requests); then nothing is running.
                        try await awaitFinished(requests, 6)
                        try await awaitFinished(handlers, 3)
                        #expect(requests.live == 0)
                        #expect(handlers.live == 0)
                    }
                }
            }
        }

        let log = events.all.filter { !$0.contains("/warm") }
        #expect(Set(log) == ["C cleanup after CancellationError", "A /hop answered 504", "B /hop answered 504", "C /hop answered 504"], "\(log)")
        #expect(log.count == 4, "\(log)")
        // C's handler was cancelled and awaited: its cleanup ran before C answered.
        if let cleanup = log.firstIndex(of: "C cleanup after CancellationError"), let answer = log.firstIndex(of: "C /hop answered 504") {
            #expect(cleanup < answer, "\(log)")
        }

        let byHop = Dictionary(records.all.map { ($0.hop, $0.remaining) }, uniquingKeysWith: { first, _ in first })
        #expect(records.all.count == 3)
        let a = try #require(byHop["A"] ?? nil)
        let b = try #require(byHop["B"] ?? nil)
        let c = try #require(byHop["C"] ?? nil)
        #expect(a <= .milliseconds(200))
        #expect(a > b, "A \(a.milliseconds) ms, B \(b.milliseconds) ms")
        #expect(b > c, "B \(b.milliseconds) ms, C \(c.milliseconds) ms")
        #expect(c > .zero)
    }

    /// The middleware cuts a slow streaming body at the deadline: the head (200) has gone, so the client
    /// sees the body end in an error, never a complete-looking response; the writer's cleanup runs.
    @Test func middlewareCutsASlowStreamingBody() async throws {
        let writers = Gauge()
        let writerEndings = Recorder<String>()
        let router = Router()
        router.add(middleware: RequestDeadlineMiddleware(policy: ServerDeadlinePolicy(defaultTimeout: .seconds(1))))
        router.get("stream") { _, _ -> Response in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    writers.start()
                    defer { writers.finish() }
                    // Hummingbird runs this after the middleware returned; the middleware's wrapper puts the
                    // request's deadline around it.
                    writerEndings.append("deadline in writer: \(EffectiveDeadline.current != nil)")
                    do {
                        for index in 0..<500 {
                            try await writer.write(ByteBuffer(string: "chunk \(index)\n"))
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        try await writer.finish(nil)
                        writerEndings.append("finished")
                    } catch {
                        writerEndings.append("\(type(of: error))")
                        throw error
                    }
                }
            )
        }

        try await withServer(router) { port in
            try await withClient { client in
                // Plain AsyncHTTPClient, with a generous deadline of its own: the server does the cutting.
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/stream"), timeout: .seconds(60))
                #expect(response.status == .ok)
                var received = 0
                var bodyError: (any Error)?
                do {
                    for try await chunk in response.body {
                        received += chunk.readableBytes
                    }
                } catch {
                    bodyError = error
                }
                #expect(bodyError != nil, "the body ended cleanly after \(received) bytes")
                #expect(received > 0)
                try await awaitFinished(writers, 1)
                #expect(writers.live == 0)
            }
        }
        let endings = writerEndings.all
        #expect(endings.count == 2 && endings.first == "deadline in writer: true" && endings.last != "finished", "\(endings)")
    }

    /// The client integration stops reading a slow body at its deadline and throws `TimeoutError`, even
    /// though the server (without the middleware) would go on streaming.
    @Test func clientStopsReadingASlowBodyAtItsDeadline() async throws {
        let writers = Gauge()
        let completions = Recorder<String>()
        let router = Router()
        router.get("stream") { _, _ -> Response in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    writers.start()
                    defer { writers.finish() }
                    for index in 0..<200 {
                        try await writer.write(ByteBuffer(string: "chunk \(index)\n"))
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    try await writer.finish(nil)
                    completions.append("completed")
                }
            )
        }

        try await withServer(router) { port in
            try await withClient { client in
                let received = Recorder<Int>()
                await #expect(throws: TimeoutError.self) {
                    try await client.withResponse(
                        to: HTTPClientRequest(url: "http://127.0.0.1:\(port)/stream"),
                        timeout: .seconds(1)
                    ) { response in
                        #expect(response.status == .ok)
                        for try await chunk in response.body {
                            received.append(chunk.readableBytes)
                        }
                    }
                }
                #expect(!received.all.isEmpty, "the head and some body arrived before the deadline")
                // The server would stream for 10 s; the client gave up, so the writer stops early (its next
                // write fails on the closed connection).
                try await awaitFinished(writers, 1)
                #expect(writers.live == 0)
                #expect(completions.all.isEmpty)
            }
        }
    }

    /// What the integration is for: AsyncHTTPClient's own deadline stops at the response head (its
    /// `execute(_:deadline:)` cancels its deadline timer once the head arrives), so a body slower than the
    /// deadline is read to the end without complaint.
    @Test func plainAsyncHTTPClientDeadlineDoesNotCoverTheBody() async throws {
        let router = Router()
        router.get("stream") { _, _ -> Response in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for index in 0..<15 {
                        try await writer.write(ByteBuffer(string: "chunk \(index)\n"))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await writer.finish(nil)
                }
            )
        }
        try await withServer(router) { port in
            try await withClient { client in
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/stream"), timeout: .seconds(1))
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(String(buffer: body).hasSuffix("chunk 14\n"))
                // The body took at least the server's 15 × 100 ms of pauses: well past the 1 s deadline (which
                // leaves the head plenty of time on a loaded machine).
                #expect(clock.now - start > .seconds(1))
            }
        }
    }

    /// The server's maximum caps a huge header; malformed headers count as absent (the default applies);
    /// duplicates count as the shortest; `0` is expired on arrival and the handler does not run.
    @Test func policyCapsIgnoresAndRejectsHeaders() async throws {
        let handlerRuns = Gauge()
        let router = Router()
        router.add(middleware: RequestDeadlineMiddleware(
            policy: ServerDeadlinePolicy(defaultTimeout: .seconds(2), maximumTimeout: .seconds(5))
        ))
        router.get("budget") { _, _ -> String in
            handlerRuns.start()
            defer { handlerRuns.finish() }
            let remaining = EffectiveDeadline.current?.remaining ?? .zero
            return String(Int64(remaining.milliseconds))
        }

        try await withServer(router) { port in
            try await withClient { client in
                func call(_ values: [String]) async throws -> (status: UInt, body: String) {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/budget")
                    for value in values {
                        request.headers.add(name: RequestTimeoutHeader.name, value: value)
                    }
                    let response = try await client.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 1 << 16)
                    return (response.status.code, String(buffer: body))
                }
                func budget(_ values: [String]) async throws -> Int64 {
                    let (status, body) = try await call(values)
                    #expect(status == 200, "\(values) → \(status)")
                    return try #require(Int64(body), "\(values) → \(body)")
                }

                // A client asking for far more than the maximum gets the maximum, which is above the default.
                let capped = try await budget(["9999999999"])
                #expect(capped <= 5_000 && capped > 2_000, "capped budget \(capped) ms")

                // Absent or malformed: the default.
                for values in [[], ["abc"], ["-5"], ["1.5"], ["99999999999999999999"], [""], ["1e3"], ["4000ms"]] {
                    let left = try await budget(values)
                    #expect(left <= 2_000 && left > 0, "\(values) → \(left) ms")
                }

                // Duplicates: the shortest valid one.
                let shortest = try await budget(["4000", "junk", "100"])
                #expect(shortest <= 100 && shortest >= 0, "duplicates → \(shortest) ms")

                // The same values merged by a proxy into one comma-separated line (RFC 9110): still the shortest.
                let merged = try await budget(["4000, junk,100"])
                #expect(merged <= 100 && merged >= 0, "merged line → \(merged) ms")

                // Expired on arrival: 504 without running the handler.
                let runsBefore = handlerRuns.started
                let (status, body) = try await call(["0"])
                #expect(status == 504)
                #expect(body == "request deadline exceeded\n")
                #expect(handlerRuns.started == runsBefore)
            }
        }
    }

    /// `Request-Timeout-Ms: 100, 5000` — two values merged into one line by an intermediary — gives the
    /// request 100 ms: a handler that would take 30 s is cancelled and the client gets 504, not the server's
    /// 60-second default.
    @Test func mergedHeaderLineAppliesTheShortestBudget() async throws {
        let router = Router()
        let budgets = Recorder<Duration?>()
        router.add(middleware: RequestDeadlineMiddleware(policy: ServerDeadlinePolicy(defaultTimeout: .seconds(60))))
        router.get("slow") { _, _ -> String in
            budgets.append(EffectiveDeadline.current?.remaining)
            try await Task.sleep(for: .seconds(30))
            return "finished"
        }
        let start = ContinuousClock.now
        try await withServer(router) { port in
            try await withClient { client in
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow")
                request.headers.add(name: RequestTimeoutHeader.name, value: "100, 5000")
                let response = try await client.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(response.status.code == 504)
                #expect(String(buffer: body) == "request deadline exceeded\n")
            }
        }
        // The handler ran under the 100 ms budget (not the 5 s member, nor the 60 s default), so the 504 came
        // long before either of the others could have fired.
        let budget = try #require(budgets.all.first ?? nil)
        #expect(budget <= .milliseconds(100) && budget > .zero)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// A handler (and its streaming body) that finish in time are unaffected.
    @Test func handlerThatFinishesInTimeIsUnaffected() async throws {
        let router = Router()
        router.add(middleware: RequestDeadlineMiddleware(policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30))))
        router.get("ok") { _, _ -> Response in
            let hasDeadline = EffectiveDeadline.current != nil
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    for part in ["deadline=\(hasDeadline)", ";", "done"] {
                        try await writer.write(ByteBuffer(string: part))
                        await Task.yield()
                    }
                    try await writer.finish(nil)
                }
            )
        }
        router.get("plain") { _, _ in "plain" }

        try await withServer(router) { port in
            try await withClient { client in
                let response = try await client.executeWithinDeadline(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/ok"),
                    timeout: .seconds(10),
                    maxBodyBytes: 1 << 16
                )
                #expect(response.status == .ok)
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(String(buffer: body) == "deadline=true;done")

                // No deadline anywhere on the client: sent without the header, the server's default applies.
                let plain = try await client.executeWithinDeadline(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/plain"),
                    maxBodyBytes: 1 << 16
                )
                #expect(plain.status == .ok)
                #expect(String(buffer: try await plain.body.collect(upTo: 1 << 16)) == "plain")
            }
        }
    }

    /// A budget that is already spent fails before anything is sent.
    @Test func spentBudgetFailsBeforeSending() async throws {
        let arrivals = Gauge()
        let router = Router()
        router.get("never") { _, _ -> String in
            arrivals.start()
            arrivals.finish()
            return "reached"
        }
        try await withServer(router) { port in
            try await withClient { client in
                await #expect(throws: TimeoutError.self) {
                    try await client.executeWithinDeadline(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/never"),
                        timeout: .zero,
                        maxBodyBytes: 1 << 16
                    )
                }
                // A request made after it arrives alone: the spent one never reached the server.
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/never"), timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 16)
                #expect(arrivals.started == 1)
            }
        }
    }

    /// The caller's own cancellation stays `CancellationError`, not `TimeoutError`.
    @Test func callerCancellationIsNotATimeout() async throws {
        let handlers = Gauge()
        let arrivals = Gauge()
        let router = Router()
        router.get("slow") { _, _ -> String in
            arrivals.start()
            arrivals.finish()
            handlers.start()
            defer { handlers.finish() }
            try await Task.sleep(for: .seconds(60))
            return "late"
        }
        try await withServer(router) { port in
            try await withClient { client in
                let task = Task {
                    try await client.executeWithinDeadline(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow"),
                        timeout: .seconds(30),
                        maxBodyBytes: 1 << 16
                    )
                }
                // Cancel once the request is being handled.
                try await awaitFinished(arrivals, 1)
                task.cancel()
                await #expect(throws: CancellationError.self) {
                    _ = try await task.value
                }
            }
        }
    }
}
#endif
