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

/// An echo service with two identical unary methods, named alike and of the same length: `EchoPlain`, which
/// no deadline interceptor sees, and `EchoLimit`, which the deadline interceptors handle (each interceptor
/// applies to that method only), so that both sides of a figure share one server, one client and one
/// connection.
struct EchoService: RegistrableRPCService {
    static let plain = MethodDescriptor(fullyQualifiedService: "cancellation.bench.Echo", method: "EchoPlain")
    static let withDeadline = MethodDescriptor(fullyQualifiedService: "cancellation.bench.Echo", method: "EchoLimit")

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        for method in [Self.plain, Self.withDeadline] {
            router.registerHandler(forMethod: method, deserializer: UTF8Coder(), serializer: UTF8Coder()) { request, _ in
                let single = try await ServerRequest(stream: request)
                return StreamingServerResponse(single: ServerResponse(message: single.message))
            }
        }
    }
}

/// Runs `body` with a loopback server and a client connected to it; the server's deadline interceptor (if
/// `server`) and the client's (if `client`) apply to `EchoService.withDeadline` only. Both are shut down
/// when `body` returns.
func withGRPCPair<Result: Sendable>(
    server intercepted: Bool,
    client clientIntercepted: Bool,
    body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    let serverInterceptors: [ConditionalInterceptor<any ServerInterceptor>] = intercepted
        ? [.apply(
            ServerDeadlineInterceptor(policy: ServerDeadlinePolicy(defaultTimeout: .seconds(30), maximumTimeout: .seconds(60))),
            to: .methods([EchoService.withDeadline])
        )]
        : []
    return try await withGRPCServer(
        transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
        services: [EchoService()],
        interceptorPipeline: serverInterceptors
    ) { server in
        guard let port = try await server.transport.listeningAddress.ipv4?.port else {
            throw BenchmarkError.noPort
        }
        let clientInterceptors: [ConditionalInterceptor<any ClientInterceptor>] = clientIntercepted
            ? [.apply(ClientDeadlineInterceptor(), to: .methods([EchoService.withDeadline]))]
            : []
        return try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext),
            interceptorPipeline: clientInterceptors,
            handleClient: body
        )
    }
}

/// W1 and its breakdown: both interceptors, the server's alone and the client's alone, each against the
/// same call, on the same connection, to the method no interceptor sees.
func measureGRPC(requestsPerRound: Int, rounds: Int) async throws -> (both: HopFigure, server: HopFigure, client: HopFigure) {
    var options = CallOptions.defaults
    options.timeout = .seconds(10)
    let call: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>, MethodDescriptor) async throws -> Void = { [options] client, method in
        let reply = try await client.unary(
            request: ClientRequest(message: "ping"),
            descriptor: method,
            serializer: UTF8Coder(),
            deserializer: UTF8Coder(),
            options: options
        ) { try $0.message }
        guard reply == "ping" else { throw BenchmarkError.wrongReply(reply) }
    }
    func figure(server: Bool, client: Bool) async throws -> HopFigure {
        try await withGRPCPair(server: server, client: client) { pair in
            try await interleaved(
                rounds: rounds,
                requests: requestsPerRound,
                without: { try await call(pair, EchoService.plain) },
                with: { try await call(pair, EchoService.withDeadline) }
            )
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
