#if Metrics
public import Cancellation
public import CancellationWire
public import CoreMetrics

/// Counts, per gRPC method or HTTP route, the requests that exceeded their deadline or were cancelled, and
/// records the budgets clients send, with swift-metrics: pass one among the `observers` of the gRPC
/// `ServerDeadlineInterceptor` or the Hummingbird `RequestDeadlineMiddleware`.
///
/// ```swift
/// router.add(middleware: RequestDeadlineMiddleware(
///     policy: ServerDeadlinePolicy(defaultTimeout: .seconds(10)),
///     observers: [RequestDeadlineMetrics()]
/// ))
/// ```
///
/// | Metric | Kind | Records |
/// | --- | --- | --- |
/// | `cancellation.request.deadline_exceeded` | counter | requests that ended by their deadline, on arrival included (`cancellation.on_arrival`: `true` or `false`) |
/// | `cancellation.request.cancelled` | counter | requests the client or the transport cancelled, which ended by it |
/// | `cancellation.request.received_budget` | timer | the budget each request's client sent (`grpc-timeout` or `Request-Timeout-Ms`), when it sent a valid one |
/// | `cancellation.request.no_budget` | counter | requests whose client sent no valid budget |
///
/// The dimensions follow OpenTelemetry's semantic conventions (as in swift-otel-semantic-conventions
/// 1.44.0): `rpc.system.name` (`grpc`) and `rpc.method` (`package.Service/Method`) for gRPC;
/// `http.request.method` and `http.route` (the matched route's template, never the raw path; Hummingbird
/// names a request no route matched `NotFound`) for HTTP. Every value is recorded when the request ends,
/// when its route is known.
///
/// Recording is synchronous and quick; it does not affect the request or its cancellation.
public struct RequestDeadlineMetrics: RequestDeadlineObserver {
    /// The metric labels.
    public enum Label {
        /// Requests that ended by their deadline.
        public static let deadlineExceeded = "cancellation.request.deadline_exceeded"
        /// Requests the client or the transport cancelled.
        public static let cancelled = "cancellation.request.cancelled"
        /// The budgets clients sent.
        public static let receivedBudget = "cancellation.request.received_budget"
        /// Requests whose client sent no valid budget.
        public static let noBudget = "cancellation.request.no_budget"
    }

    /// Where the metrics are made, or `nil` for the bootstrapped `MetricsSystem`'s factory, read when each
    /// request ends.
    public var factory: (any MetricsFactory)?

    /// Creates the observer.
    ///
    /// - Parameter factory: Where the metrics are made; by default the bootstrapped `MetricsSystem`'s
    ///   factory.
    public init(factory: (any MetricsFactory)? = nil) {
        self.factory = factory
    }

    /// Records the request's budget and, if it ended by its deadline or a cancellation, counts it.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - outcome: How it ended.
    ///   - reason: Why its scope was cancelled; not recorded.
    public func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?) {
        let factory = factory ?? MetricsSystem.factory
        let dimensions = Self.dimensions(of: request)
        if let budget = request.receivedTimeout {
            Timer(label: Label.receivedBudget, dimensions: dimensions, factory: factory)
                .recordNanoseconds(budget.saturatingNanoseconds)
        } else {
            Counter(label: Label.noBudget, dimensions: dimensions, factory: factory).increment()
        }
        switch outcome {
        case .finished:
            break
        case .deadlineExceeded:
            Counter(label: Label.deadlineExceeded, dimensions: dimensions + [("cancellation.on_arrival", "false")], factory: factory)
                .increment()
        case .deadlineExceededOnArrival:
            Counter(label: Label.deadlineExceeded, dimensions: dimensions + [("cancellation.on_arrival", "true")], factory: factory)
                .increment()
        case .cancelled:
            Counter(label: Label.cancelled, dimensions: dimensions, factory: factory).increment()
        }
    }

    /// The request's dimensions, in OpenTelemetry's names.
    static func dimensions(of request: RequestDeadlineRequest) -> [(String, String)] {
        var dimensions: [(String, String)] = []
        switch request.transport {
        case .grpc:
            dimensions.append(("rpc.system.name", "grpc"))
            if let method = request.operation { dimensions.append(("rpc.method", method)) }
        case .http:
            if let method = request.method { dimensions.append(("http.request.method", method)) }
            if let route = request.operation { dimensions.append(("http.route", route)) }
        }
        return dimensions
    }
}
#endif
