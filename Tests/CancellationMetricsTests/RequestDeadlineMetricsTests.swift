#if Metrics
import Cancellation
import CancellationMetrics
import CancellationWire
import CoreMetrics
import MetricsTestKit
import Testing

@Suite("Request deadline metrics")
struct RequestDeadlineMetricsTests {
    static let arrival = ContinuousClock.now

    static func grpc(_ method: String, received: Duration?) -> RequestDeadlineRequest {
        RequestDeadlineRequest(transport: .grpc, operation: method, receivedTimeout: received, timeout: received ?? .seconds(10), arrival: arrival)
    }

    static func http(_ route: String?, received: Duration?) -> RequestDeadlineRequest {
        RequestDeadlineRequest(transport: .http, operation: route, method: "GET", receivedTimeout: received, timeout: received, arrival: arrival)
    }

    @Test("deadlines exceeded and cancellations are counted per RPC method, with OpenTelemetry's dimension names")
    func perMethodCounters() throws {
        let metrics = TestMetrics()
        let observer = RequestDeadlineMetrics(factory: metrics)
        let reason = CancellationReason.deadlineExpired(scope: ScopeLocation(fileID: "Server/Interceptor.swift", line: 1))
        for _ in 0..<3 {
            observer.requestEnded(Self.grpc("echo.Echo/Get", received: .milliseconds(100)), outcome: .deadlineExceeded, reason: reason)
        }
        observer.requestEnded(Self.grpc("echo.Echo/Get", received: .milliseconds(100)), outcome: .finished, reason: nil)
        observer.requestEnded(Self.grpc("echo.Echo/Update", received: .zero), outcome: .deadlineExceededOnArrival, reason: nil)
        observer.requestEnded(Self.grpc("echo.Echo/Update", received: .seconds(1)), outcome: .cancelled, reason: nil)

        let get = [("rpc.system.name", "grpc"), ("rpc.method", "echo.Echo/Get")]
        let update = [("rpc.system.name", "grpc"), ("rpc.method", "echo.Echo/Update")]
        let label = RequestDeadlineMetrics.Label.self
        #expect(try metrics.expectCounter(label.deadlineExceeded, get + [("cancellation.on_arrival", "false")]).totalValue == 3)
        #expect(try metrics.expectCounter(label.deadlineExceeded, update + [("cancellation.on_arrival", "true")]).totalValue == 1)
        #expect(try metrics.expectCounter(label.cancelled, update).totalValue == 1)
        #expect(metrics.counters(label: label.cancelled).count == 1)
        #expect(metrics.counters(label: label.deadlineExceeded).count == 2)
    }

    @Test("each received budget is recorded per route in nanoseconds; requests without one are counted")
    func receivedBudgets() throws {
        let metrics = TestMetrics()
        let observer = RequestDeadlineMetrics(factory: metrics)
        observer.requestEnded(Self.http("/users/{id}", received: .milliseconds(250)), outcome: .finished, reason: nil)
        observer.requestEnded(Self.http("/users/{id}", received: .milliseconds(80)), outcome: .deadlineExceeded, reason: nil)
        observer.requestEnded(Self.http("/users/{id}", received: nil), outcome: .finished, reason: nil)
        // No route matched: no route dimension.
        observer.requestEnded(Self.http(nil, received: .zero), outcome: .deadlineExceededOnArrival, reason: nil)

        let route = [("http.request.method", "GET"), ("http.route", "/users/{id}")]
        let label = RequestDeadlineMetrics.Label.self
        #expect(try metrics.expectTimer(label.receivedBudget, route).values == [250_000_000, 80_000_000])
        #expect(try metrics.expectTimer(label.receivedBudget, [("http.request.method", "GET")]).values == [0])
        #expect(try metrics.expectCounter(label.noBudget, route).totalValue == 1)
        #expect(try metrics.expectCounter(label.deadlineExceeded, route + [("cancellation.on_arrival", "false")]).totalValue == 1)
        #expect(try metrics.expectCounter(label.deadlineExceeded, [("http.request.method", "GET"), ("cancellation.on_arrival", "true")]).totalValue == 1)
    }

    @Test("an arrival alone records nothing: every value is recorded when the request ends, with its route")
    func arrivalRecordsNothing() {
        let metrics = TestMetrics()
        RequestDeadlineMetrics(factory: metrics).requestArrived(Self.http(nil, received: .seconds(1)))
        #expect(metrics.timers.isEmpty && metrics.counters.isEmpty)
    }
}
#endif
