#if Tracing
import Cancellation
import CancellationTracing
import CancellationWire
import InMemoryTracing
import Testing
import Tracing

@Suite("Request deadline tracing")
struct RequestDeadlineTracingTests {
    /// Runs `body` inside a server span of `tracer`, as a tracing middleware would, and returns the span once
    /// it has ended.
    static func inServerSpan(_ tracer: InMemoryTracer, _ body: () async -> Void) async throws -> FinishedInMemorySpan {
        await tracer.withSpan("request", ofKind: .server) { _ in await body() }
        return try #require(tracer.finishedSpans.last)
    }

    @Test("on arrival the active span gets the received budget, the budget given, what is left and the deadline")
    func arrivalAttributes() async throws {
        let tracer = InMemoryTracer()
        let observer = RequestDeadlineTracing(tracer: tracer)
        let before = DefaultTracerClock.now.nanosecondsSinceEpoch
        let arrival = ContinuousClock.now
        let request = RequestDeadlineRequest(
            transport: .http, operation: nil, method: "GET",
            receivedTimeout: .milliseconds(250), timeout: .milliseconds(200), arrival: arrival
        )
        let span = try await Self.inServerSpan(tracer) { observer.requestArrived(request) }
        let after = DefaultTracerClock.now.nanosecondsSinceEpoch

        #expect(span.attributes["cancellation.deadline.received_budget"]?.toSpanAttribute() == .double(0.25))
        #expect(span.attributes["cancellation.deadline.budget"]?.toSpanAttribute() == .double(0.2))
        guard case .double(let remaining)? = span.attributes["cancellation.deadline.remaining"]?.toSpanAttribute() else {
            Issue.record("no remaining budget")
            return
        }
        #expect(remaining > 0 && remaining <= 0.2)
        guard case .int64(let deadline)? = span.attributes["cancellation.deadline.time_unix_nano"]?.toSpanAttribute() else {
            Issue.record("no deadline")
            return
        }
        // The deadline is at most 200 ms after the arrival, which came before the span's work began.
        #expect(UInt64(deadline) >= before && UInt64(deadline) <= after + 200_000_000)
        #expect(span.attributes["cancellation.outcome"] == nil)
    }

    @Test("a request without a budget or deadline gets no deadline attributes")
    func noDeadline() async throws {
        let tracer = InMemoryTracer()
        let observer = RequestDeadlineTracing(tracer: tracer)
        let request = RequestDeadlineRequest(transport: .grpc, operation: "echo.Echo/Get", receivedTimeout: nil, timeout: nil, arrival: .now)
        let span = try await Self.inServerSpan(tracer) {
            observer.requestArrived(request)
            observer.requestEnded(request, outcome: .finished, reason: nil)
        }
        #expect(span.attributes["cancellation.deadline.budget"] == nil)
        #expect(span.attributes["cancellation.deadline.received_budget"] == nil)
        #expect(span.attributes["cancellation.deadline.time_unix_nano"] == nil)
        #expect(span.attributes["cancellation.outcome"]?.toSpanAttribute() == .string("finished"))
        #expect(span.events.isEmpty)
    }

    @Test("an expired request sets its outcome and adds an event with the reason and the scope's location")
    func expiredEvent() async throws {
        let tracer = InMemoryTracer()
        let observer = RequestDeadlineTracing(tracer: tracer)
        let request = RequestDeadlineRequest(transport: .grpc, operation: "echo.Echo/Get", receivedTimeout: .seconds(1), timeout: .seconds(1), arrival: .now)
        let scope = ScopeLocation(fileID: "CancellationGRPC/ServerDeadlineInterceptor.swift", line: 218)
        let span = try await Self.inServerSpan(tracer) {
            observer.requestEnded(request, outcome: .deadlineExceeded, reason: .deadlineExpired(scope: scope))
        }
        #expect(span.attributes["cancellation.outcome"]?.toSpanAttribute() == .string("deadline_exceeded"))
        let event = try #require(span.events.first)
        #expect(span.events.count == 1)
        #expect(event.name == "cancellation.deadline_exceeded")
        #expect(event.attributes["cancellation.reason"]?.toSpanAttribute() == .string(CancellationReason.deadlineExpired(scope: scope).description))
        #expect(event.attributes["code.file.path"]?.toSpanAttribute() == .string(scope.fileID))
        #expect(event.attributes["code.line.number"]?.toSpanAttribute() == .int64(218))
    }

    @Test("a cancelled request and one expired on arrival are named as such")
    func otherOutcomes() async throws {
        let tracer = InMemoryTracer()
        let observer = RequestDeadlineTracing(tracer: tracer)
        let request = RequestDeadlineRequest(transport: .http, operation: "/slow", method: "GET", receivedTimeout: .zero, timeout: .zero, arrival: .now)
        let onArrival = try await Self.inServerSpan(tracer) {
            observer.requestEnded(request, outcome: .deadlineExceededOnArrival, reason: nil)
        }
        #expect(onArrival.attributes["cancellation.outcome"]?.toSpanAttribute() == .string("deadline_exceeded_on_arrival"))
        #expect(onArrival.events.map(\.name) == ["cancellation.deadline_exceeded_on_arrival"])
        #expect(onArrival.events.first?.attributes["cancellation.reason"] == nil)

        let cancelled = try await Self.inServerSpan(tracer) {
            observer.requestEnded(request, outcome: .cancelled, reason: .cancelled(reason: "the client went away", scope: ScopeLocation(fileID: "A/B.swift", line: 3)))
        }
        #expect(cancelled.attributes["cancellation.outcome"]?.toSpanAttribute() == .string("cancelled"))
        #expect(cancelled.events.first?.attributes["code.file.path"]?.toSpanAttribute() == .string("A/B.swift"))
    }

    @Test("outside any span, or with a tracer that cannot find the active span, nothing is recorded")
    func noActiveSpan() async throws {
        let tracer = InMemoryTracer()
        let request = RequestDeadlineRequest(transport: .grpc, operation: "echo.Echo/Get", receivedTimeout: .seconds(1), timeout: .seconds(1), arrival: .now)
        // No span at all: nothing to annotate, and no span is started.
        RequestDeadlineTracing(tracer: tracer).requestArrived(request)
        RequestDeadlineTracing(tracer: tracer).requestEnded(request, outcome: .deadlineExceeded, reason: nil)
        #expect(tracer.finishedSpans.isEmpty && tracer.activeSpans.isEmpty)

        // A span of one tracer is not found through another.
        let other = InMemoryTracer()
        let span = try await Self.inServerSpan(tracer) {
            RequestDeadlineTracing(tracer: other).requestArrived(request)
            RequestDeadlineTracing(tracer: other).requestEnded(request, outcome: .deadlineExceeded, reason: nil)
        }
        #expect(span.attributes["cancellation.deadline.budget"] == nil && span.events.isEmpty)
        #expect(other.finishedSpans.isEmpty)
    }
}
#endif
