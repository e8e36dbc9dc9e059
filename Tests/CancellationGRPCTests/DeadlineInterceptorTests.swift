#if GRPC
import Cancellation
import CancellationGRPC
import CancellationWire
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// Real servers and clients over loopback HTTP/2, started and shut down by each test. Timing assertions
/// are orderings and generous bounds only: the machine may be loaded.
@Suite("gRPC deadline interceptors")
struct DeadlineInterceptorTests {
    // MARK: - Three hops

    /// How the test's client sets its 200 ms deadline.
    enum ClientDeadline: String, CaseIterable, Sendable {
        /// `CallOptions.timeout`, enforced by grpc-swift.
        case callOptions
        /// A `withTimeout` around the call, enforced by the core library's scope.
        case enclosingTimeout
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test(
        "A → B → C: each hop gets less of the 200 ms budget, C's slow handler is cancelled, every hop reports deadlineExceeded",
        arguments: ClientDeadline.allCases
    )
    func chainOfThreeHops(clientDeadline: ClientDeadline) async throws {
        let budgets = Shared<[String: Duration]>([:])
        let statuses = (a: Shared<[RPCError.Code?]>([]), b: Shared<[RPCError.Code?]>([]), c: Shared<[RPCError.Code?]>([]))
        let outgoing = Shared<[String: RPCError.Code]>([:])
        let live = Shared(0)
        let cEvents = Shared<[String]>([])
        let noPolicy = ServerDeadlineInterceptor()

        let slowC = HopService(unary: { message, _ in
            guard message != "warm-up" else { return message }
            live.update { $0 += 1 }
            defer { live.update { $0 -= 1 } }
            budgets.update { $0["C"] = EffectiveDeadline.current?.remaining }
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                cEvents.update { $0.append(error is CancellationError ? "cancelled" : "other error") }
                cEvents.update { $0.append("cleanup") }
                throw error
            }
            return message
        })

        /// A hop that records its budget and calls the next hop through the client interceptor.
        func forwarding(_ name: String, to next: GRPCClient<HTTP2ClientTransport.Posix>) -> HopService {
            HopService(unary: { message, _ in
                guard message != "warm-up" else { return try await next.call(message) }
                live.update { $0 += 1 }
                defer { live.update { $0 -= 1 } }
                budgets.update { $0[name] = EffectiveDeadline.current?.remaining }
                do {
                    return try await next.call(message)
                } catch let error as RPCError {
                    outgoing.update { $0[name] = error.code }
                    throw error
                }
            })
        }

        let start = ContinuousClock.now
        let clientCode = try await withServer(slowC, interceptors: [StatusRecorder(statuses: statuses.c), noPolicy]) { portC in
            try await withClient(port: portC, interceptors: [ClientDeadlineInterceptor()]) { toC in
                try await withServer(forwarding("B", to: toC), interceptors: [StatusRecorder(statuses: statuses.b), noPolicy]) { portB in
                    try await withClient(port: portB, interceptors: [ClientDeadlineInterceptor()]) { toB in
                        try await withServer(forwarding("A", to: toB), interceptors: [StatusRecorder(statuses: statuses.a), noPolicy]) { portA in
                            try await withClient(port: portA, interceptors: [ClientDeadlineInterceptor()]) { toA in
                                // Connect every hop first: grpc-swift computes the `grpc-timeout` of a call's
                                // options before it waits for a connection, so the first call over a new
                                // connection sends more than the client will wait.
                                let warmUp = try await toA.call("warm-up")
                                #expect(warmUp == "warm-up")
                                statuses.a.update { $0 = [] }
                                statuses.b.update { $0 = [] }
                                statuses.c.update { $0 = [] }
                                switch clientDeadline {
                                case .callOptions:
                                    return await rpcErrorCode { try await toA.call("hello", timeout: .milliseconds(200)) }
                                case .enclosingTimeout:
                                    return await rpcErrorCode {
                                        try await withTimeout(.milliseconds(200)) { try await toA.call("hello") }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - start

        // Every server has shut down, so every handler has returned.
        #expect(live.value == 0)
        #expect(clientCode == .deadlineExceeded)
        #expect(elapsed < .seconds(30), "C's 60 s sleep was not cut short")

        let seen = budgets.value
        let a = try #require(seen["A"]), b = try #require(seen["B"]), c = try #require(seen["C"])
        #expect(a <= .milliseconds(200))
        #expect(b < a)
        #expect(c < b)
        #expect(c > .zero)

        #expect(cEvents.value == ["cancelled", "cleanup"])
        let hops = [outgoing.value["A"], outgoing.value["B"]] + statuses.a.value + statuses.b.value + statuses.c.value
        #expect(hops.count == 5)
        switch clientDeadline {
        case .enclosingTimeout:
            #expect(hops.allSatisfy { $0 == .deadlineExceeded }, "A's and B's calls, then A, B and C: \(hops)")
        case .callOptions:
            // grpc-swift computes the `grpc-timeout` of `CallOptions.timeout` before the call gets its
            // stream, so A's deadline is later than the client's by that wait. When a loaded machine makes
            // the wait longer than the server interceptor's margin, the client's reset reaches A as a
            // cancellation rather than at A's deadline, and the hops report `.cancelled`.
            #expect(hops.allSatisfy { $0 == .deadlineExceeded || $0 == .cancelled }, "\(hops)")
        }
    }

    // MARK: - Policy and untrusted headers

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("The server's maximum caps a huge client timeout, sent through the call's options or raw")
    func maximumCapsHugeTimeout() async throws {
        let budgets = Shared<[Duration?]>([])
        let service = HopService(unary: { message, _ in
            budgets.update { $0.append(EffectiveDeadline.current?.remaining) }
            return message
        })
        let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(5), maximumTimeout: .seconds(10))
        try await withServer(service, interceptors: [ServerDeadlineInterceptor(policy: policy)]) { port in
            try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                _ = try await client.call("options", timeout: .seconds(3_600))
                _ = try await client.call("raw", metadata: ["grpc-timeout": "99999999H"])
            }
        }
        let seen = budgets.value
        #expect(seen.count == 2)
        for budget in seen {
            let budget = try #require(budget)
            #expect(budget <= .seconds(10))
            #expect(budget > .seconds(5), "capped at the maximum, not replaced by the default")
        }
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A malformed grpc-timeout is ignored: the request gets the server's default", arguments: [
        "abc", "1x", "123456789S", "1.5S", "S", "",
    ])
    func malformedHeaderGetsDefault(value: String) async throws {
        let budget = Shared<Duration?>(nil)
        let service = HopService(unary: { message, _ in
            budget.update { $0 = EffectiveDeadline.current?.remaining }
            return message
        })
        let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(7), maximumTimeout: .seconds(20))
        let reply = try await withServer(service, interceptors: [ServerDeadlineInterceptor(policy: policy)]) { port in
            try await withClient(port: port, interceptors: []) { client in
                try await client.call("x", metadata: ["grpc-timeout": .string(value)])
            }
        }
        #expect(reply == "x")
        let seen = try #require(budget.value)
        #expect(seen <= .seconds(7))
        #expect(seen > .seconds(6))
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("No header and no default: the handler runs without a deadline")
    func noHeaderNoDefaultMeansNoDeadline() async throws {
        let sawDeadline = Shared<Bool?>(nil)
        let service = HopService(unary: { message, _ in
            sawDeadline.update { $0 = EffectiveDeadline.current != nil }
            return message
        })
        let reply = try await withServer(service, interceptors: [ServerDeadlineInterceptor()]) { port in
            try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                try await client.call("free")
            }
        }
        #expect(reply == "free")
        #expect(sawDeadline.value == false)
    }

    // MARK: - Handlers' own outcomes

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A handler that finishes in time is unaffected, and sees the client's deadline")
    func handlerInTimeIsUnaffected() async throws {
        let budget = Shared<Duration?>(nil)
        let service = HopService(unary: { message, _ in
            budget.update { $0 = EffectiveDeadline.current?.remaining }
            return "echo: " + message
        })
        let reply = try await withServer(service, interceptors: [ServerDeadlineInterceptor()]) { port in
            try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                try await client.call("hi", timeout: .seconds(20))
            }
        }
        #expect(reply == "echo: hi")
        let seen = try #require(budget.value)
        #expect(seen <= .seconds(20))
        #expect(seen > .zero)
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A handler's own RPCError keeps its code, in time and after its deadline passed")
    func handlerErrorKeepsItsCode() async throws {
        let service = HopService(unary: { message, _ in
            if message == "now" {
                throw RPCError(code: .notFound, message: "no such thing")
            }
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                // Cancelled by the deadline; the handler reports a failure of its own.
                throw RPCError(code: .resourceExhausted, message: "gave up")
            }
            return message
        })
        let policy = ServerDeadlinePolicy(defaultTimeout: .milliseconds(100))
        let codes = try await withServer(service, interceptors: [ServerDeadlineInterceptor(policy: policy)]) { port in
            try await withClient(port: port, interceptors: []) { client in
                (
                    await rpcErrorCode { try await client.call("now") },
                    await rpcErrorCode { try await client.call("later") }
                )
            }
        }
        #expect(codes.0 == .notFound)
        #expect(codes.1 == .resourceExhausted)
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A deadline that passes in a handler that ends by cancellation is deadlineExceeded, not unknown")
    func expiryIsDeadlineExceeded() async throws {
        let reason = Shared<CancellationReason?>(nil)
        let service = HopService(unary: { message, _ in
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                reason.update { $0 = CancellationReason.current }
                throw error
            }
            return message
        })
        // Only the server's default sets the deadline: nothing in grpc-swift enforces it.
        let policy = ServerDeadlinePolicy(defaultTimeout: .milliseconds(100))
        let code = try await withServer(service, interceptors: [ServerDeadlineInterceptor(policy: policy)]) { port in
            try await withClient(port: port, interceptors: []) { client in
                await rpcErrorCode { try await client.call("slow") }
            }
        }
        #expect(code == .deadlineExceeded)
        if case .deadlineExpired = reason.value {} else {
            Issue.record("the handler saw \(String(describing: reason.value)), not an expired deadline")
        }
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A client that goes away long before the deadline cancels the handler: the RPC is cancelled")
    func clientCancellationCancelsHandler() async throws {
        let started = Gate()
        let reason = Shared<CancellationReason?>(nil)
        let statuses = Shared<[RPCError.Code?]>([])
        let service = HopService(unary: { message, _ in
            started.open()
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                reason.update { $0 = CancellationReason.current }
                throw error
            }
            return message
        })
        let policy = ServerDeadlinePolicy(defaultTimeout: .seconds(30))
        let interceptors: [any ServerInterceptor] = [StatusRecorder(statuses: statuses), ServerDeadlineInterceptor(policy: policy)]
        let start = ContinuousClock.now
        try await withServer(service, interceptors: interceptors) { port in
            try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                let call = Task { try await client.call("bye") }
                await started.wait()
                call.cancel()
                _ = await call.result
            }
        }
        #expect(ContinuousClock.now - start < .seconds(25))
        #expect(statuses.value == [.cancelled])
        if case .cancelled = reason.value {} else {
            Issue.record("the handler saw \(String(describing: reason.value)), not its scope's cancellation")
        }
    }

    // MARK: - Streaming

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A server-streaming RPC whose producer is slow is cut by the deadline, producer included")
    func slowStreamingProducerIsCut() async throws {
        let producerEvents = Shared<[String]>([])
        let service = HopService(stream: { _, writer in
            producerEvents.update { $0.append(EffectiveDeadline.current == nil ? "no deadline" : "deadline") }
            do {
                for index in 0... {
                    try await writer.write("message \(index)")
                    try await Task.sleep(for: .milliseconds(20))
                }
            } catch {
                // Usually a `CancellationError` from the sleep; a write that the cancellation interrupted
                // may throw something else.
                producerEvents.update { $0.append(Task.isCancelled ? "cancelled" : "not cancelled: \(error)") }
                throw error
            }
        })
        // The server's default is the only deadline: the client sends no timeout and enforces none.
        let policy = ServerDeadlinePolicy(defaultTimeout: .milliseconds(300))
        let start = ContinuousClock.now
        let result = try await withServer(service, interceptors: [ServerDeadlineInterceptor(policy: policy)]) { port in
            try await withClient(port: port, interceptors: []) { client in
                await client.collect("go")
            }
        }
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(!result.messages.isEmpty)
        #expect((result.error as? RPCError)?.code == .deadlineExceeded)
        #expect(producerEvents.value == ["deadline", "cancelled"])
    }

    // MARK: - Client side

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("The client enforces the caller's deadline even when the server never answers")
    func clientEnforcesDeadlineLocally() async throws {
        let gate = Gate()
        let sentTimeout = Shared<Duration?>(nil)
        let service = HopService(unary: { message, _ in
            guard message != "warm-up" else { return message }
            await gate.wait()
            return message
        })
        let recorder = TimeoutHeaderRecorder(timeout: sentTimeout)
        let start = ContinuousClock.now
        let code = try await withServer(service, interceptors: [recorder]) { port in
            let code = try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                // Connected first, so the deadline runs out while the server holds the request, not while
                // the client connects.
                _ = try await client.call("warm-up")
                return await withCancelScope(deadline: .now + .milliseconds(200)) { _ in
                    await rpcErrorCode { try await client.call("anyone?") }
                } ?? nil
            }
            // Only now does the server answer, so the call above ended on the client's own.
            gate.open()
            return code
        }
        #expect(code == .deadlineExceeded)
        #expect(ContinuousClock.now - start < .seconds(30))
        let sent = try #require(sentTimeout.value)
        #expect(sent <= .milliseconds(200))
        #expect(sent > .zero)
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("The shorter of the call's timeout and the caller's deadline is sent")
    func shorterOfConfiguredAndInheritedIsSent() async throws {
        let sent = Shared<[Duration?]>([])
        let service = HopService()
        try await withServer(service, interceptors: [TimeoutHeaderRecorder(timeouts: sent)]) { port in
            try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                try await withTimeout(.seconds(50)) {
                    _ = try await client.call("configured shorter", timeout: .seconds(5))
                    _ = try await client.call("inherited shorter", timeout: .seconds(500))
                    _ = try await client.call("only inherited")
                }
                _ = try await client.call("only configured", timeout: .seconds(7))
                _ = try await client.call("neither")
            }
        }
        let values = sent.value
        #expect(values.count == 5)
        guard values.count == 5 else { return }
        #expect(values[0].map { $0 <= .seconds(5) && $0 > .seconds(4) } == true)
        #expect(values[1].map { $0 <= .seconds(50) && $0 > .seconds(40) } == true)
        #expect(values[2].map { $0 <= .seconds(50) && $0 > .seconds(40) } == true)
        #expect(values[3].map { $0 <= .seconds(7) && $0 > .seconds(6) } == true)
        #expect(values[4] == nil)
    }

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    @Test("A spent budget fails with deadlineExceeded without sending anything")
    func spentBudgetIsNotSent() async throws {
        let requests = Shared(0)
        let service = HopService()
        let code = try await withServer(service, interceptors: [RequestCounter(count: requests)]) { port in
            try await withClient(port: port, interceptors: [ClientDeadlineInterceptor()]) { client in
                await withCancelScope(deadline: .now - .seconds(1)) { _ in
                    // An unstructured task sees the scope's deadline, already passed, but is not cancelled
                    // by it, so the interceptor is reached with the budget spent.
                    let task = Task {
                        #expect(EffectiveDeadline.current?.hasExpired == true)
                        return await rpcErrorCode { try await client.call("too late") }
                    }
                    return await task.value
                } ?? nil
            }
        }
        #expect(code == .deadlineExceeded)
        #expect(requests.value == 0)
    }
}

/// Records the `grpc-timeout` each request arrived with.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct TimeoutHeaderRecorder: ServerInterceptor {
    let timeouts: Shared<[Duration?]>

    init(timeouts: Shared<[Duration?]>) {
        self.timeouts = timeouts
    }

    /// Records into a single slot: the last request's timeout.
    init(timeout: Shared<Duration?>) {
        let all = Shared<[Duration?]>([])
        self.timeouts = all
        self.single = timeout
    }

    private var single: Shared<Duration?>?

    @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let values = Array(request.metadata[stringValues: GRPCTimeoutHeader.name])
        let timeout = GRPCTimeoutHeader.parse(values: values)
        #expect(values.count <= 1, "grpc-timeout sent \(values.count) times")
        timeouts.update { $0.append(timeout) }
        single?.update { $0 = timeout }
        return try await next(request, context)
    }
}
#endif
