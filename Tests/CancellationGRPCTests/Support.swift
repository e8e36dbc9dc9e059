#if GRPC
import Cancellation
import CancellationGRPC
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

// MARK: - A hand-written service: UTF-8 strings, no protoc

/// Serializes and deserializes `String` messages as UTF-8 bytes.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct UTF8Coder: MessageSerializer, MessageDeserializer {
    typealias Message = String

    func serialize<Bytes: GRPCContiguousBytes>(_ message: String) throws -> Bytes {
        Bytes(message.utf8)
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> String {
        serializedMessageBytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// A service with one unary and one server-streaming method, whose behaviour each test supplies.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct HopService: RegistrableRPCService {
    static let unaryMethod = MethodDescriptor(fullyQualifiedService: "cancellation.test.Hop", method: "Call")
    static let streamMethod = MethodDescriptor(fullyQualifiedService: "cancellation.test.Hop", method: "Stream")

    var unary: @Sendable (_ message: String, _ context: ServerContext) async throws -> String = { message, _ in message }
    var stream: @Sendable (_ message: String, _ writer: RPCWriter<String>) async throws -> Void = { _, _ in }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let unary = self.unary
        let stream = self.stream
        router.registerHandler(forMethod: Self.unaryMethod, deserializer: UTF8Coder(), serializer: UTF8Coder()) {
            request, context in
            let single = try await ServerRequest(stream: request)
            let reply = try await unary(single.message, context)
            return StreamingServerResponse(single: ServerResponse(message: reply))
        }
        router.registerHandler(forMethod: Self.streamMethod, deserializer: UTF8Coder(), serializer: UTF8Coder()) {
            request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse { writer in
                try await stream(single.message, writer)
                return [:]
            }
        }
    }
}

// MARK: - Servers and clients on loopback

/// Runs `body` with a server listening on an ephemeral loopback port; returns once the server has shut
/// down, so no handler is still running.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
func withServer<Result: Sendable>(
    _ service: HopService,
    interceptors: [any ServerInterceptor],
    body: (_ port: Int) async throws -> Result
) async throws -> Result {
    try await withGRPCServer(
        transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
        services: [service],
        interceptors: interceptors
    ) { server in
        let address = try await server.transport.listeningAddress
        let port = try #require(address.ipv4?.port)
        return try await body(port)
    }
}

/// Runs `body` with a client connected to `port` on loopback; returns once the client has shut down.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
func withClient<Result: Sendable>(
    port: Int,
    interceptors: [any ClientInterceptor],
    body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext),
        interceptors: interceptors,
        handleClient: body
    )
}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
extension GRPCClient {
    /// Calls the unary method.
    func call(_ message: String, metadata: Metadata = [:], timeout: Duration? = nil) async throws -> String {
        var options = CallOptions.defaults
        options.timeout = timeout
        return try await unary(
            request: ClientRequest(message: message, metadata: metadata),
            descriptor: HopService.unaryMethod,
            serializer: UTF8Coder(),
            deserializer: UTF8Coder(),
            options: options
        ) { try $0.message }
    }

    /// Calls the server-streaming method and collects messages until the stream ends or fails.
    func collect(
        _ message: String,
        metadata: Metadata = [:],
        timeout: Duration? = nil
    ) async -> (messages: [String], error: (any Error)?) {
        var options = CallOptions.defaults
        options.timeout = timeout
        do {
            return try await serverStreaming(
                request: ClientRequest(message: message, metadata: metadata),
                descriptor: HopService.streamMethod,
                serializer: UTF8Coder(),
                deserializer: UTF8Coder(),
                options: options
            ) { response in
                var received: [String] = []
                do {
                    for try await message in response.messages { received.append(message) }
                    return (received, nil)
                } catch {
                    return (received, error)
                }
            }
        } catch {
            return ([], error)
        }
    }
}

/// The code of the `RPCError` that `body` throws, or `nil` when it returns; fails the test on any other
/// error.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
func rpcErrorCode(of body: () async throws -> some Any) async -> RPCError.Code? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return error.code
    } catch {
        Issue.record("expected an RPCError, got \(type(of: error)): \(error)")
        return nil
    }
}

// MARK: - Recording

/// A value shared between the test and the handlers it starts.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
final class Shared<Value: Sendable>: Sendable {
    private let storage: LockedValue<Value>

    init(_ value: Value) {
        storage = LockedValue(value)
    }

    var value: Value {
        storage.withLock { $0 }
    }

    func update<R: Sendable>(_ body: (inout Value) -> R) -> R {
        storage.withLock { body(&$0) }
    }
}

/// Records the final status of every RPC it sees, handler and response producer included. Install it
/// first, so it sees what the interceptors after it report.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct StatusRecorder: ServerInterceptor {
    let statuses: Shared<[RPCError.Code?]>

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let statuses = self.statuses
        let response: StreamingServerResponse<Output>
        do {
            response = try await next(request, context)
        } catch {
            statuses.update { $0.append((error as? RPCError)?.code ?? .unknown) }
            throw error
        }
        switch response.accepted {
        case .failure(let error):
            statuses.update { $0.append(error.code) }
            return response
        case .success(let contents):
            let producer = contents.producer
            return StreamingServerResponse(
                accepted: .success(
                    StreamingServerResponse.Contents(metadata: contents.metadata) { writer in
                        do {
                            let trailers = try await producer(writer)
                            statuses.update { $0.append(nil) }
                            return trailers
                        } catch {
                            statuses.update { $0.append((error as? RPCError)?.code ?? .unknown) }
                            throw error
                        }
                    }
                )
            )
        }
    }
}

/// Counts the requests that reach it.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct RequestCounter: ServerInterceptor {
    let count: Shared<Int>

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        count.update { $0 += 1 }
        return try await next(request, context)
    }
}

/// A gate that a handler waits at, ignoring cancellation, until the test opens it: a server that never
/// answers.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
final class Gate: Sendable {
    private let state = LockedValue<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
#endif
