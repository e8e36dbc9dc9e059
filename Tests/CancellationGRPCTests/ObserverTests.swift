#if GRPC
import Cancellation
import CancellationGRPC
import CancellationWire
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// What a `RequestDeadlineObserver` was told, in order.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct RecordingObserver: RequestDeadlineObserver {
    enum Call: Sendable {
        case arrived(RequestDeadlineRequest)
        case ended(RequestDeadlineRequest, RequestDeadlineOutcome, CancellationReason?)
    }

    let calls = Shared<[Call]>([])

    func requestArrived(_ request: RequestDeadlineRequest) {
        calls.update { $0.append(.arrived(request)) }
    }

    func requestEnded(_ request: RequestDeadlineRequest, outcome: RequestDeadlineOutcome, reason: CancellationReason?) {
        calls.update { $0.append(.ended(request, outcome, reason)) }
    }

    /// Each ended request's method, received budget and outcome, in order.
    var endings: [(method: String?, received: Duration?, outcome: RequestDeadlineOutcome, reason: CancellationReason?)] {
        calls.value.compactMap {
            if case .ended(let request, let outcome, let reason) = $0 { (request.operation, request.receivedTimeout, outcome, reason) } else { nil }
        }
    }
}

@Suite("gRPC deadline observers")
struct GRPCObserverTests {
    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("Observers are told each RPC's method and budget on arrival, and how it ended: in time, by its deadline, cancelled by the client, on arrival, or after a slow streaming producer")
    func observersSeeEveryOutcome() async throws {
        let started = Gate()
        let service = HopService(
            unary: { message, _ in
                switch message {
                case "slow":
                    try await Task.sleep(for: .seconds(60))
                case "wait":
                    started.open()
                    try await Task.sleep(for: .seconds(60))
                default:
                    break
                }
                return message
            },
            stream: { _, writer in
                for index in 0... {
                    try await writer.write("message \(index)")
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        )
        let observer = RecordingObserver()
        let interceptor = ServerDeadlineInterceptor(
            policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30)),
            observers: [observer]
        )
        try await withServer(service, interceptors: [interceptor]) { port in
            try await withClient(port: port, interceptors: []) { client in
                let reply = try await client.call("ok", metadata: ["grpc-timeout": "5S"])
                #expect(reply == "ok")
                #expect(await rpcErrorCode { try await client.call("slow", metadata: ["grpc-timeout": "100m"]) } == .deadlineExceeded)
                let call = Task { try await client.call("wait") }
                await started.wait()
                call.cancel()
                _ = await call.result
                let streamed = await client.collect("go", metadata: ["grpc-timeout": "200m"])
                #expect((streamed.error as? RPCError)?.code == .deadlineExceeded)
            }
        }

        let calls = observer.calls.value
        let arrivals = calls.compactMap { if case .arrived(let request) = $0 { request } else { nil } }
        #expect(arrivals.map(\.operation) == [
            "cancellation.test.Hop/Call", "cancellation.test.Hop/Call", "cancellation.test.Hop/Call", "cancellation.test.Hop/Stream",
        ])
        #expect(arrivals.map(\.receivedTimeout) == [.seconds(5), .milliseconds(100), nil, .milliseconds(200)])
        #expect(arrivals.map(\.timeout) == [.seconds(5), .milliseconds(100), .seconds(30), .milliseconds(200)])
        #expect(arrivals.allSatisfy { $0.transport == .grpc && $0.deadline == $0.timeout.map($0.arrival.advanced(by:)) })

        let endings = observer.endings
        #expect(endings.map(\.outcome) == [.finished, .deadlineExceeded, .cancelled, .deadlineExceeded])
        #expect(endings.map(\.method) == arrivals.map(\.operation))
        #expect(endings[0].reason == nil)
        if case .deadlineExpired(let scope)? = endings[1].reason {
            #expect(scope.fileID == "CancellationGRPC/ServerDeadlineInterceptor.swift")
        } else {
            Issue.record("the expired RPC's reason was \(String(describing: endings[1].reason))")
        }
        if case .cancelled? = endings[2].reason {} else {
            Issue.record("the cancelled RPC's reason was \(String(describing: endings[2].reason))")
        }
        // Each RPC arrived before it ended.
        for (index, call) in calls.enumerated() {
            if case .ended(let request, _, _) = call {
                #expect(calls[..<index].contains { if case .arrived(let arrived) = $0 { arrived == request } else { false } })
            }
        }
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A request whose budget is spent on arrival is reported as such, and its handler never runs")
    func deadlineExceededOnArrival() async throws {
        let ran = Shared(false)
        let service = HopService(unary: { message, _ in
            ran.update { $0 = true }
            return message
        })
        let observer = RecordingObserver()
        let interceptor = ServerDeadlineInterceptor(policy: ServerDeadlinePolicy(maximumTimeout: .zero), observers: [observer])
        try await withServer(service, interceptors: [interceptor]) { port in
            try await withClient(port: port, interceptors: []) { client in
                #expect(await rpcErrorCode { try await client.call("x", metadata: ["grpc-timeout": "5S"]) } == .deadlineExceeded)
            }
        }
        #expect(!ran.value)
        #expect(observer.endings.map(\.outcome) == [.deadlineExceededOnArrival])
        #expect(observer.endings.map(\.received) == [.seconds(5)])
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A handler that returns only after its client went away is still reported, exactly once, as cancelled")
    func lateHandlerAfterTheClientLeftIsReportedOnce() async throws {
        let started = Gate()
        let service = HopService(unary: { message, _ in
            started.open()
            // Waits for the cancellation the client's leaving causes, then ignores it and returns a value.
            let cancelled = Gate()
            await withTaskCancellationHandler {
                await cancelled.wait()
            } onCancel: {
                cancelled.open()
            }
            return message
        })
        let observer = RecordingObserver()
        try await withServer(service, interceptors: [ServerDeadlineInterceptor(observers: [observer])]) { port in
            try await withClient(port: port, interceptors: []) { client in
                let call = Task { try await client.call("late") }
                await started.wait()
                call.cancel()
                _ = await call.result
            }
        }
        // The server has shut down: every RPC it ran has ended.
        #expect(observer.endings.map(\.outcome) == [.cancelled])
    }
}
#endif
