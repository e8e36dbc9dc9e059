#if Hummingbird && AsyncHTTPClient
import AsyncHTTPClient
import Cancellation
import CancellationHummingbird
import CancellationWire
import Hummingbird
import Testing
#if Tracing
import CancellationTracing
import InMemoryTracing
import Tracing
#endif

/// What a `RequestDeadlineObserver` was told about each request that ended.
struct RecordingObserver: RequestDeadlineObserver {
    struct Ending: Sendable {
        let request: RequestDeadlineRequest
        let outcome: RequestDeadlineOutcome
        let reason: CancellationReason?
    }

    let arrivals = Recorder<RequestDeadlineRequest>()
    let endings = Recorder<Ending>()

    func requestArrived(_ request: RequestDeadlineRequest) {
        arrivals.append(request)
    }

    func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?) {
        endings.append(Ending(request: request, outcome: outcome, reason: reason))
    }
}

@Suite("HTTP deadline observers")
struct HTTPObserverTests {
    /// Sends `GET path` with `Request-Timeout-Ms: header` (none for `nil`) and returns the status code.
    static func get(_ client: HTTPClient, port: Int, _ path: String, header: String?) async throws -> UInt {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let header { request.headers.add(name: RequestTimeoutHeader.name, value: header) }
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
        return response.status.code
    }

    @Test("Observers are told each request's method and budget on arrival, and its route and outcome at the end")
    func observersSeeRouteBudgetAndOutcome() async throws {
        let observer = RecordingObserver()
        let router = Router()
        router.add(middleware: RequestDeadlineMiddleware(policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30)), observers: [observer]))
        router.get("users/:id") { _, context -> String in
            if context.parameters.get("id") == "slow" {
                try await Task.sleep(for: .seconds(60))
            }
            return "ok"
        }
        let statuses = try await withServer(router) { port in
            try await withClient { client in
                var statuses: [UInt] = []
                statuses.append(try await Self.get(client, port: port, "/users/1", header: "5000"))
                statuses.append(try await Self.get(client, port: port, "/users/slow", header: "100, 9000"))
                statuses.append(try await Self.get(client, port: port, "/users/2", header: "0"))
                statuses.append(try await Self.get(client, port: port, "/users/3", header: nil))
                return statuses
            }
        }
        #expect(statuses == [200, 504, 504, 200])

        let arrivals = observer.arrivals.all
        #expect(arrivals.map(\.receivedTimeout) == [.seconds(5), .milliseconds(100), .zero, nil])
        #expect(arrivals.map(\.timeout) == [.seconds(5), .milliseconds(100), .zero, .seconds(30)])
        // Hummingbird's router matches the route before it runs the route's middleware.
        #expect(arrivals.allSatisfy { $0.transport == .http && $0.method == "GET" && $0.operation == "/users/{id}" })

        let endings = observer.endings.all
        #expect(endings.map(\.outcome) == [.finished, .deadlineExceeded, .deadlineExceededOnArrival, .finished])
        // The route is the template the router matched, never the raw path.
        #expect(endings.map(\.request) == arrivals)
        #expect(endings.map(\.request.receivedTimeout) == arrivals.map(\.receivedTimeout))
        if case .deadlineExpired(let scope)? = endings[1].reason {
            #expect(scope.fileID == "CancellationHummingbird/RequestDeadlineMiddleware.swift")
        } else {
            Issue.record("the expired request's reason was \(String(describing: endings[1].reason))")
        }
        #expect(endings[0].reason == nil && endings[3].reason == nil)
    }

    #if Tracing
    /// A stand-in for a tracing middleware: runs the rest of the chain in a server span of `tracer`.
    struct SpanMiddleware<Context: RequestContext>: RouterMiddleware {
        let tracer: InMemoryTracer

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            try await tracer.withSpan("GET", ofKind: .server) { _ in try await next(request, context) }
        }
    }

    @Test("Behind a tracing middleware, the request's span records its budget, its outcome and why it was cancelled")
    func spanRecordsTheDeadline() async throws {
        let tracer = InMemoryTracer()
        let router = Router()
        router.add(middleware: SpanMiddleware(tracer: tracer))
        router.add(middleware: RequestDeadlineMiddleware(
            policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30)),
            observers: [RequestDeadlineTracing(tracer: tracer)]
        ))
        router.get("slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(60))
            return "late"
        }
        let status = try await withServer(router) { port in
            try await withClient { client in
                try await Self.get(client, port: port, "/slow", header: "100")
            }
        }
        #expect(status == 504)
        let span = try #require(tracer.finishedSpans.first)
        #expect(tracer.finishedSpans.count == 1)
        #expect(span.attributes["cancellation.deadline.received_budget"]?.toSpanAttribute() == .double(0.1))
        #expect(span.attributes["cancellation.deadline.budget"]?.toSpanAttribute() == .double(0.1))
        #expect(span.attributes["cancellation.outcome"]?.toSpanAttribute() == .string("deadline_exceeded"))
        let event = try #require(span.events.first)
        #expect(event.name == "cancellation.deadline_exceeded")
        #expect(event.attributes["code.file.path"]?.toSpanAttribute() == .string("CancellationHummingbird/RequestDeadlineMiddleware.swift"))
    }
    #endif
}
#endif
