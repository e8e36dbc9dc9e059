#if Tracing
public import Cancellation
public import CancellationWire
public import Tracing

/// Records each request's deadline on its trace span with swift-distributed-tracing: pass one among the
/// `observers` of the gRPC `ServerDeadlineInterceptor` or the Hummingbird `RequestDeadlineMiddleware`.
///
/// It annotates the span that is active for the request — the one a tracing middleware or interceptor
/// placed *before* the deadline integration started (Hummingbird's `TracingMiddleware`, for example) —
/// found with the tracer's `activeSpan(identifiedBy:)` in the request's task-local context. It starts no
/// span of its own, so a request is not traced twice.
///
/// ```swift
/// router.add(middleware: TracingMiddleware())
/// router.add(middleware: RequestDeadlineMiddleware(
///     policy: ServerDeadlinePolicy(defaultTimeout: .seconds(10)),
///     observers: [RequestDeadlineTracing()]
/// ))
/// ```
///
/// When the request arrives:
///
/// | Attribute | Type | Value |
/// | --- | --- | --- |
/// | `cancellation.deadline.received_budget` | double | the budget the client sent, in seconds (absent if none was valid) |
/// | `cancellation.deadline.budget` | double | the budget the server gave, in seconds (absent for no deadline) |
/// | `cancellation.deadline.remaining` | double | what was left of it when the handler started, in seconds |
/// | `cancellation.deadline.time_unix_nano` | int64 | the deadline, as wall-clock nanoseconds since 1970 |
///
/// When it ends, `cancellation.outcome` is set to `finished`, `deadline_exceeded`,
/// `deadline_exceeded_on_arrival` or `cancelled`; for any but `finished` an event of the same name,
/// prefixed `cancellation.`, records the reason (`cancellation.reason`) and the cancelling scope's
/// location (`code.file.path`, `code.line.number`). Durations are in seconds, and the names follow the
/// style of OpenTelemetry's semantic conventions.
///
/// - Warning: The end is recorded only while the request's span is still active. Hummingbird's
///   `TracingMiddleware` keeps its span until the response body is written, so every HTTP request gets its
///   outcome. A gRPC tracing interceptor usually ends its span when the interceptors return, before
///   grpc-swift runs the response's producer, which is where the deadline interceptor reports an RPC that
///   returned a response: such RPCs get the arrival attributes but no outcome; RPCs whose handler throws
///   (an expiry or a cancellation among them) get both.
///
/// - Warning: A tracer whose `activeSpan(identifiedBy:)` returns `nil` (the protocol's default, for
///   tracers written before it existed) gets nothing recorded: there is no other way to reach the span.
///   `InMemoryTracer` and swift-otel's tracer implement it.
public struct RequestDeadlineTracing: RequestDeadlineObserver {
    /// The tracer whose active span is annotated, or `nil` for `InstrumentationSystem.tracer`, read at each
    /// call.
    public var tracer: (any Tracer)?

    /// Creates the observer.
    ///
    /// - Parameter tracer: The tracer whose active span is annotated; by default the bootstrapped one.
    public init(tracer: (any Tracer)? = nil) {
        self.tracer = tracer
    }

    /// Sets the request's budgets and deadline on its active span.
    ///
    /// - Parameter request: The request.
    public func requestArrived(_ request: RequestDeadlineRequest) {
        guard let span = activeSpan() else { return }
        var attributes = SpanAttributes()
        if let received = request.receivedTimeout {
            attributes["cancellation.deadline.received_budget"] = received.seconds
        }
        if let budget = request.timeout {
            attributes["cancellation.deadline.budget"] = budget.seconds
        }
        if let deadline = request.deadline {
            let remaining = ContinuousClock.now.duration(to: deadline)
            attributes["cancellation.deadline.remaining"] = remaining.seconds
            let wallClock = Int64(clamping: DefaultTracerClock.now.nanosecondsSinceEpoch)
            let (sum, overflow) = wallClock.addingReportingOverflow(remaining.saturatingNanoseconds)
            attributes["cancellation.deadline.time_unix_nano"] = overflow ? Int64.max : sum
        }
        span.attributes.merge(attributes)
    }

    /// Sets how the request ended on its active span and, unless it finished, adds an event with the
    /// reason and the cancelling scope's location.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - outcome: How it ended.
    ///   - reason: Why its scope was cancelled, if it was.
    public func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?) {
        guard let span = activeSpan() else { return }
        let name = outcome.attributeValue
        span.attributes["cancellation.outcome"] = name
        guard outcome != .finished else { return }
        var attributes = SpanAttributes()
        if let reason {
            attributes["cancellation.reason"] = reason.description
            switch reason {
            case .deadlineExpired(let scope), .cancelled(_, let scope):
                attributes["code.file.path"] = scope.fileID
                attributes["code.line.number"] = scope.line
            case .taskCancelled:
                break
            }
        }
        span.addEvent(SpanEvent(name: "cancellation.\(name)", attributes: attributes))
    }

    /// The span active in the current task's context, if the tracer can find it.
    func activeSpan() -> (any Span)? {
        guard let context = ServiceContext.current else { return nil }
        let tracer = tracer ?? InstrumentationSystem.tracer
        return tracer.activeSpan(identifiedBy: context)
    }
}

extension RequestDeadlineOutcome {
    /// The outcome's name in attribute values and event names.
    var attributeValue: String {
        switch self {
        case .finished: "finished"
        case .deadlineExceeded: "deadline_exceeded"
        case .deadlineExceededOnArrival: "deadline_exceeded_on_arrival"
        case .cancelled: "cancelled"
        }
    }
}

extension Duration {
    /// The duration in seconds, as OpenTelemetry records durations.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

}
#endif
