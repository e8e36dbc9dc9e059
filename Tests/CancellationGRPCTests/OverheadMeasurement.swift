#if GRPC
import CancellationGRPC
import Foundation
import GRPCCore
import Testing

/// How much a hop costs with both interceptors: N sequential unary calls over loopback, each with a 10 s
/// timeout, with and without `ClientDeadlineInterceptor` and `ServerDeadlineInterceptor`.
///
/// Off by default (it measures, it asserts nothing). Run it, preferably in release, with
///
///     CANCELLATION_GRPC_OVERHEAD_CALLS=2000 swift test -c release --traits GRPC \
///         --filter CancellationGRPCTests.OverheadMeasurement
@Suite("Interceptor overhead")
struct OverheadMeasurement {
    static let calls = ProcessInfo.processInfo.environment["CANCELLATION_GRPC_OVERHEAD_CALLS"].flatMap { Int($0) }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("Sequential unary calls with and without the deadline interceptors", .enabled(if: calls != nil))
    func perHopOverhead() async throws {
        let calls = try #require(Self.calls)
        var plain: [Duration] = []
        var intercepted: [Duration] = []
        // Alternate, and keep each configuration's best round, so a burst of load elsewhere does not land
        // on one side only.
        for _ in 0 ..< 3 {
            plain.append(try await timeCalls(calls, server: [], client: []))
            intercepted.append(
                try await timeCalls(calls, server: [ServerDeadlineInterceptor()], client: [ClientDeadlineInterceptor()])
            )
        }
        let best = (plain: plain.min()!, intercepted: intercepted.min()!)
        let perCall = (plain: best.plain / calls, intercepted: best.intercepted / calls)
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        print(
            """
            [overhead] \(calls) sequential unary calls over loopback, best of 3:
            [overhead]   without interceptors: \(best.plain) (\(perCall.plain) per call)
            [overhead]   with both:            \(best.intercepted) (\(perCall.intercepted) per call)
            [overhead]   ratio: \(String(format: "%.3f", seconds(best.intercepted) / seconds(best.plain))), \
            \(perCall.intercepted - perCall.plain) per hop
            """
        )
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    func timeCalls(
        _ calls: Int,
        server: [any ServerInterceptor],
        client: [any ClientInterceptor]
    ) async throws -> Duration {
        try await withServer(HopService(), interceptors: server) { port in
            try await withClient(port: port, interceptors: client) { client in
                for _ in 0 ..< 50 {
                    _ = try await client.call("warm-up", timeout: .seconds(10))
                }
                let start = ContinuousClock.now
                for _ in 0 ..< calls {
                    _ = try await client.call("ping", timeout: .seconds(10))
                }
                return ContinuousClock.now - start
            }
        }
    }
}
#endif
