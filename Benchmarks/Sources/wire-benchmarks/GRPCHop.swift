import CancellationGRPC
import CancellationWire
import GRPCCore
import GRPCNIOTransportHTTP2

/// UTF-8 strings as messages, so the benchmark needs no generated code.
struct UTF8Coder: MessageSerializer, MessageDeserializer {
    typealias Message = String

    func serialize<Bytes: GRPCContiguousBytes>(_ message: String) throws -> Bytes {
        Bytes(message.utf8)
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> String {
        serializedMessageBytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// An echo service with one unary method.
struct EchoService: RegistrableRPCService {
    static let method = MethodDescriptor(fullyQualifiedService: "cancellation.bench.Echo", method: "Echo")

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: Self.method, deserializer: UTF8Coder(), serializer: UTF8Coder()) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: ServerResponse(message: single.message))
        }
    }
}

/// Runs `body` with a loopback server (with or without the deadline interceptor) and a client connected
/// to it (with or without the client interceptor); both are shut down when `body` returns.
///
/// - Parameters:
///   - intercepted: Whether the server has the deadline interceptor.
///   - clientIntercepted: Whether the client has the deadline interceptor.
func withGRPCPair<Result: Sendable>(
    server intercepted: Bool,
    client clientIntercepted: Bool,
    body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    let serverInterceptors: [any ServerInterceptor] = intercepted
        ? [ServerDeadlineInterceptor(policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60)))]
        : []
    return try await withGRPCServer(
        transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
        services: [EchoService()],
        interceptors: serverInterceptors
    ) { server in
        guard let port = try await server.transport.listeningAddress.ipv4?.port else {
            throw BenchmarkError.noPort
        }
        return try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext),
            interceptors: clientIntercepted ? [ClientDeadlineInterceptor()] : [],
            handleClient: body
        )
    }
}

/// W1 and its breakdown: both interceptors, the server's alone and the client's alone, each against the
/// same call without any (each figure interleaved on its own, so each has its own baseline).
func measureGRPC(requestsPerRound: Int, rounds: Int) async throws -> (both: HopFigure, server: HopFigure, client: HopFigure) {
    var options = CallOptions.defaults
    options.timeout = .seconds(10)
    let call: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void = { [options] client in
        let reply = try await client.unary(
            request: ClientRequest(message: "ping"),
            descriptor: EchoService.method,
            serializer: UTF8Coder(),
            deserializer: UTF8Coder(),
            options: options
        ) { try $0.message }
        guard reply == "ping" else { throw BenchmarkError.wrongReply(reply) }
    }
    func figure(server: Bool, client: Bool) async throws -> HopFigure {
        try await withGRPCPair(server: false, client: false) { plain in
            try await withGRPCPair(server: server, client: client) { intercepted in
                try await interleaved(
                    rounds: rounds,
                    requests: requestsPerRound,
                    without: { try await call(plain) },
                    with: { try await call(intercepted) }
                )
            }
        }
    }
    return (
        try await figure(server: true, client: true),
        try await figure(server: true, client: false),
        try await figure(server: false, client: true)
    )
}

enum BenchmarkError: Error {
    case noPort
    case wrongReply(String)
    case wrongStatus(UInt)
}
