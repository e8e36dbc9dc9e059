import CancellationGRPC
import CancellationHummingbird
import CancellationWire
import GRPCCore
import HTTPTypes
import Logging
import Hummingbird
import NIOCore

// W1_server_in_process and W1_client_in_process: what each gRPC interceptor costs per RPC with no transport
// around it, so that its microseconds are not lost in a loopback round trip's hundreds.
//
// The server's side reproduces grpc-swift's path for a unary RPC: the handler reads one message (the read
// suspends once, as a read from the transport does), returns a unary response, and its producer writes the
// message to a writer that discards it. Both sides run in a task per RPC with a cancellation handle, as
// grpc-swift runs them; the interceptor's side also parses a `grpc-timeout` of 10 s and runs the handler and
// the producer in its two scopes.
//
// The client's side: the request's producer writes to a discarding writer, and the response's parts (one
// message, then trailers) arrive after one suspension and are read to the end; the request carries the
// `grpc-timeout` grpc-swift writes from the call's options, which the interceptor reads and rewrites.

/// A writer that accepts every message at once.
struct DiscardingWriter<Element: Sendable>: RPCWriterProtocol {
    func write(_ element: Element) async throws {}
    func write(contentsOf elements: some Sequence<Element>) async throws {}
}

/// A few elements, the first delivered after one suspension (as a read from a transport would be).
struct DelayedParts<Element: Sendable>: AsyncSequence, Sendable {
    typealias Failure = any Error

    let elements: [Element]

    struct AsyncIterator: AsyncIteratorProtocol {
        let elements: [Element]
        var next = 0

        mutating func next() async throws -> Element? {
            guard next < elements.count else { return nil }
            if next == 0 {
                await Task.yield()
            }
            defer { next += 1 }
            return elements[next]
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(elements: elements)
    }
}

/// Request metadata carrying a `grpc-timeout` of 10 s, as grpc-swift writes it from a call's options.
let tenSecondTimeout: Metadata = {
    var metadata = Metadata()
    metadata.addString(GRPCTimeoutHeader.format(.seconds(10)), forKey: GRPCTimeoutHeader.name)
    return metadata
}()

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
    @Sendable func rpc(intercepted: Bool) async throws {
        try await withServerContextRPCCancellationHandle { handle in
            let context = ServerContext(
                descriptor: EchoService.withDeadline, remotePeer: "in-process", localPeer: "in-process", cancellation: handle
            )
            let request = StreamingServerRequest(metadata: tenSecondTimeout, messages: RPCAsyncSequence(wrapping: DelayedParts(elements: ["ping"])))
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
        countingJobs: true,
        without: { try await Task { try await rpc(intercepted: false) }.value },
        with: { try await Task { try await rpc(intercepted: true) }.value }
    )
}

/// The per-RPC cost of the client interceptor, in process: nanoseconds per RPC with and without it.
func measureClientInterceptorInProcess(rpcsPerRound: Int, rounds: Int) async throws -> HopFigure {
    let interceptor = ClientDeadlineInterceptor()
    let transport: @Sendable (StreamingClientRequest<String>, ClientContext) async throws -> StreamingClientResponse<String> = {
        request, _ in
        try await request.producer(RPCWriter(wrapping: DiscardingWriter<String>()))
        let parts: [StreamingClientResponse<String>.Contents.BodyPart] = [.message("ping"), .trailingMetadata([:])]
        return StreamingClientResponse(
            accepted: .success(.init(metadata: [:], bodyParts: RPCAsyncSequence(wrapping: DelayedParts(elements: parts))))
        )
    }
    let context = ClientContext(descriptor: EchoService.withDeadline, remotePeer: "in-process", localPeer: "in-process")
    @Sendable func rpc(intercepted: Bool) async throws {
        let request = StreamingClientRequest(of: String.self, metadata: tenSecondTimeout) { writer in
            try await writer.write("ping")
        }
        let response = intercepted
            ? try await interceptor.intercept(request: request, context: context, next: transport)
            : try await transport(request, context)
        var messages = 0
        for try await part in try response.accepted.get().bodyParts {
            if case .message = part { messages += 1 }
        }
        guard messages == 1 else { throw BenchmarkError.wrongReply("\(messages) messages") }
    }
    return try await interleaved(
        rounds: rounds,
        requests: rpcsPerRound,
        countingJobs: true,
        without: { try await Task { try await rpc(intercepted: false) }.value },
        with: { try await Task { try await rpc(intercepted: true) }.value }
    )
}

// W2_server_in_process: what the Hummingbird middleware costs per request with no transport around it. Both
// sides go through one router's responder — `/plain/ping`, and `/limit/ping` behind the middleware, as over
// loopback — in a task per request (Hummingbird serves each connection in a task of its own), with a
// `Request-Timeout-Ms` of 10 s; the response's body is then written to a writer that discards it, as the
// server writes it after the middleware has returned.

/// A request context that needs no channel.
struct InProcessContext: RequestContext {
    struct Source: RequestContextSource {
        var logger: Logger
    }

    var coreContext: CoreRequestContextStorage

    init(source: Source) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}

/// A response body writer that accepts every buffer at once.
struct DiscardingBodyWriter: ResponseBodyWriter {
    func write(_ buffer: ByteBuffer) async throws {}
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// The per-request cost of the middleware, in process: nanoseconds per request with and without it.
func measureMiddlewareInProcess(requestsPerRound: Int, rounds: Int) async throws -> HopFigure {
    let router = Router(context: InProcessContext.self)
    router.group("plain").get("ping") { _, _ in "pong" }
    router.group("limit")
        .add(middleware: RequestDeadlineMiddleware(
            policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60))
        ))
        .get("ping") { _, _ in "pong" }
    let responder = router.buildResponder()
    let source = InProcessContext.Source(logger: quietLogger)
    let header = HTTPField.Name(RequestTimeoutHeader.name)!
    @Sendable func request(_ path: String) async throws {
        var fields = HTTPFields()
        fields[header] = "10000"
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: path, headerFields: fields),
            body: RequestBody(buffer: ByteBuffer())
        )
        let response = try await responder.respond(to: request, context: InProcessContext(source: source))
        guard response.status == .ok else { throw BenchmarkError.wrongReply("\(response.status)") }
        try await response.body.write(DiscardingBodyWriter())
    }
    return try await interleaved(
        rounds: rounds,
        requests: requestsPerRound,
        countingJobs: true,
        without: { try await Task { try await request("/plain/ping") }.value },
        with: { try await Task { try await request("/limit/ping") }.value }
    )
}
