import CancellationGRPC
import CancellationWire
import GRPCCore

// W1_in_process: what `ServerDeadlineInterceptor` costs per RPC with no transport around it, so that its
// few microseconds are not lost in a loopback round trip's hundreds. grpc-swift's own path is reproduced: the
// handler reads one message (the read suspends once, as a read from the transport does), returns a unary
// response, and its producer writes the message to a writer that discards it. Both sides run in a task per
// RPC with a cancellation handle, as grpc-swift runs them; the interceptor's side also parses a
// `grpc-timeout` of 10 s and runs the handler and the producer in its two scopes.

/// A writer that accepts every message at once.
struct DiscardingWriter<Element: Sendable>: RPCWriterProtocol {
    func write(_ element: Element) async throws {}
    func write(contentsOf elements: some Sequence<Element>) async throws {}
}

/// One message, delivered after one suspension (as a read from a transport would be).
struct OneMessage: AsyncSequence, Sendable {
    typealias Element = String
    typealias Failure = any Error

    struct AsyncIterator: AsyncIteratorProtocol {
        var delivered = false

        mutating func next() async throws -> String? {
            guard !delivered else { return nil }
            delivered = true
            await Task.yield()
            return "ping"
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator()
    }
}

/// The per-RPC cost of the server interceptor, in process: nanoseconds per RPC with and without it.
func measureServerInterceptorInProcess(rpcsPerRound: Int, rounds: Int) async throws -> HopFigure {
    let interceptor = ServerDeadlineInterceptor(
        policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60))
    )
    let handler: @Sendable (StreamingServerRequest<String>, ServerContext) async throws -> StreamingServerResponse<String> = {
        request, _ in
        let single = try await ServerRequest(stream: request)
        return StreamingServerResponse(single: ServerResponse(message: single.message))
    }
    let metadata: Metadata = {
        var metadata = Metadata()
        metadata.addString(GRPCTimeoutHeader.format(.seconds(10)), forKey: GRPCTimeoutHeader.name)
        return metadata
    }()
    @Sendable func rpc(intercepted: Bool) async throws {
        try await withServerContextRPCCancellationHandle { handle in
            let context = ServerContext(
                descriptor: EchoService.withDeadline, remotePeer: "in-process", localPeer: "in-process", cancellation: handle
            )
            let request = StreamingServerRequest(metadata: metadata, messages: RPCAsyncSequence(wrapping: OneMessage()))
            let response = intercepted
                ? try await interceptor.intercept(request: request, context: context, next: handler)
                : try await handler(request, context)
            let contents = try response.accepted.get()
            _ = try await contents.producer(RPCWriter(wrapping: DiscardingWriter<String>()))
        }
    }
    // A task per RPC, as grpc-swift's transport runs each stream in a task of its own.
    return try await interleaved(
        rounds: rounds,
        requests: rpcsPerRound,
        without: { try await Task { try await rpc(intercepted: false) }.value },
        with: { try await Task { try await rpc(intercepted: true) }.value }
    )
}
