public import Cancellation

/// What a server's deadline integration knows about one request: where it goes, the budget its client
/// sent, and the deadline the server gave it.
///
/// The gRPC interceptor and the HTTP middleware pass one to each ``RequestDeadlineObserver`` when a request
/// arrives and again when it ends.
public struct RequestDeadlineRequest: Sendable, Hashable {
    /// The protocol a request came in over.
    public enum Transport: String, Sendable, Hashable {
        /// A gRPC call; ``RequestDeadlineRequest/operation`` is its method, `package.Service/Method`.
        case grpc
        /// An HTTP request; ``RequestDeadlineRequest/operation`` is its route's template, such as
        /// `/users/{id}`, once a router has matched it.
        case http
    }

    /// The protocol the request came in over.
    public var transport: Transport

    /// The request's low-cardinality name: the gRPC method (`package.Service/Method`), or the template of
    /// the HTTP route the router matched, never the raw path. Hummingbird's `Router` matches the route
    /// before it runs the route's middleware, and names a request no route matched `NotFound`; a router
    /// that matches later has it set only when the request ends. `nil` when the router gave no name.
    public var operation: String?

    /// The HTTP method (`GET`, `POST`, …), or `nil` for gRPC.
    public var method: String?

    /// The budget the client sent — a valid `grpc-timeout` or `Request-Timeout-Ms`, the shortest of
    /// several — or `nil` when it sent none or only malformed values.
    public var receivedTimeout: Duration?

    /// The budget the server gave the request after its ``ServerDeadlinePolicy``, or `nil` for no deadline.
    public var timeout: Duration?

    /// The instant the request's deadline passes, or `nil` for no deadline.
    public var deadline: ContinuousClock.Instant?

    /// The instant the request reached the integration.
    public var arrival: ContinuousClock.Instant

    /// Creates a description of a request.
    ///
    /// - Parameters:
    ///   - transport: The protocol the request came in over.
    ///   - operation: The gRPC method or the HTTP route's template, if known.
    ///   - method: The HTTP method, or `nil` for gRPC.
    ///   - receivedTimeout: The client's valid budget, or `nil`.
    ///   - timeout: The budget the server gave the request, or `nil` for none.
    ///   - arrival: When the request arrived; the deadline is `arrival` advanced by `timeout` (none for a
    ///     timeout of more than about 34,000 years).
    public init(
        transport: Transport,
        operation: String?,
        method: String? = nil,
        receivedTimeout: Duration?,
        timeout: Duration?,
        arrival: ContinuousClock.Instant
    ) {
        self.transport = transport
        self.operation = operation
        self.method = method
        self.receivedTimeout = receivedTimeout
        self.timeout = timeout
        self.arrival = arrival
        // ContinuousClock instants are `Duration`s since boot; a timeout of more than about 34,000 years (the
        // longest `grpc-timeout` is about 11,400) is no deadline rather than an overflow.
        let longest = Duration.seconds(Int64(1) << 40)
        self.deadline = timeout.flatMap { $0 < longest && $0 > .zero - longest ? arrival.advanced(by: $0) : nil }
    }
}

/// How a request ended, as the server's deadline integration saw it.
public enum RequestDeadlineOutcome: Sendable, Hashable {
    /// The handler finished — with a response or with an error of its own — and its deadline, if any, had
    /// not cancelled it.
    case finished
    /// The request's deadline passed while its handler ran, and the request ended by it: gRPC answered
    /// `DEADLINE_EXCEEDED` (also when the deadline cut a streaming response's producer), HTTP
    /// `504 Gateway Timeout`.
    ///
    /// An HTTP request is reported when its handler returns, before the response body is written: a body
    /// that the deadline then cuts short (Hummingbird closes the connection mid-body) is reported as
    /// ``finished`` here, and as a `deadlineExpired` event of the middleware's body scope to
    /// `CancellationDiagnostics.observer`.
    case deadlineExceeded
    /// The request's deadline had passed when it arrived (a budget of zero), so its handler never ran.
    case deadlineExceededOnArrival
    /// The client or the transport cancelled the request, and it ended by that cancellation (gRPC answered
    /// `CANCELLED`; an HTTP server shutting down rethrew the cancellation).
    case cancelled
}

/// Watches the requests a server's deadline integration runs: the gRPC `ServerDeadlineInterceptor` and
/// the Hummingbird `RequestDeadlineMiddleware` call it when each request arrives and when it ends — to
/// count deadlines exceeded per RPC or route, to record the budgets clients send, or to annotate the
/// request's trace span.
///
/// Both calls normally run on the request's own task, so task-local values such as the tracing context of
/// the request's span are those of the request. (One exception: when grpc-swift drops a response without
/// writing it — the client went away first — the gRPC interceptor reports the end when the response is
/// released, without the request's task-local values.) They run synchronously on the request's path: keep
/// them quick, and never block. The request is not affected by what an observer does; every request
/// reported as arrived is reported as ended exactly once, however it ends.
///
/// `CancellationMetrics` (trait `Metrics`) and `CancellationTracing` (trait `Tracing`) provide observers.
public protocol RequestDeadlineObserver: Sendable {
    /// Called when a request arrives, before its handler runs.
    ///
    /// - Parameter request: The request, with the budget received and the deadline given.
    func requestArrived(_ request: RequestDeadlineRequest)

    /// Called when a request ends, after its handler (and, for HTTP, before its response body is written).
    ///
    /// - Parameters:
    ///   - request: The request, with the HTTP route's template as matched by now.
    ///   - outcome: How it ended.
    ///   - reason: Why the request's scope was cancelled, if it was: `.deadlineExpired` with the scope's
    ///     location for a deadline, `.cancelled` with the integration's explanation for a client's
    ///     cancellation; `nil` otherwise.
    func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?)
}

extension RequestDeadlineObserver {
    /// Does nothing; implement it to watch arrivals.
    ///
    /// - Parameter request: The request.
    public func requestArrived(_ request: RequestDeadlineRequest) {}

    /// Does nothing; implement it to watch endings.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - outcome: How it ended.
    ///   - reason: Why the request's scope was cancelled, if it was.
    public func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?) {}
}

extension Array where Element == any RequestDeadlineObserver {
    /// Tells every observer that `request` arrived.
    ///
    /// - Parameter request: The request.
    package func requestArrived(_ request: RequestDeadlineRequest) {
        for observer in self {
            observer.requestArrived(request)
        }
    }

    /// Tells every observer that `request` ended.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - outcome: How it ended.
    ///   - reason: Why the request's scope was cancelled, if it was.
    package func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?) {
        for observer in self {
            observer.requestEnded(request, outcome: outcome, reason: reason)
        }
    }
}
