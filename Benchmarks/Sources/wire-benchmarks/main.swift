// Per-hop cost of the deadline integrations: one client, one server, sequential requests over loopback,
// with and without the integration, measured side by side in one run (rounds interleaved).
//
//   swift run -c release --package-path Benchmarks wire-benchmarks [--quick] [--json]
//
// W1: gRPC unary call with ServerDeadlineInterceptor + ClientDeadlineInterceptor ÷ the same call without.
// W2: HTTP GET through RequestDeadlineMiddleware + HTTPClient.withResponse ÷ plain Hummingbird + plain
//     AsyncHTTPClient (both read the whole body).
// Every request carries a 10 s timeout on both sides, so both send a timeout header; the figure is what
// the integration adds on top (parsing, the cancel scope on each side, the effective-deadline lookup).
import Foundation

let arguments = Set(CommandLine.arguments.dropFirst())
let quick = arguments.contains("--quick")
let json = arguments.contains("--json")
let unknown = arguments.subtracting(["--quick", "--json"])
guard unknown.isEmpty else {
    FileHandle.standardError.write(Data("usage: wire-benchmarks [--quick] [--json]\n".utf8))
    exit(2)
}

let requestsPerRound = quick ? 200 : 2_000
let rounds = quick ? 3 : 9

let grpc = try await measureGRPC(requestsPerRound: requestsPerRound, rounds: rounds)
let http = try await measureHTTP(requestsPerRound: requestsPerRound, rounds: rounds)

func describe(_ name: String, _ what: String, _ figure: HopFigure) -> String {
    String(
        format: "%@ %@: %.1f µs per request with the integration vs %.1f µs without → ratio %.3f (%+.1f µs per hop)",
        name, what, figure.with / 1_000, figure.without / 1_000, figure.ratio, (figure.with - figure.without) / 1_000
    )
}

if json {
    func object(_ figure: HopFigure) -> String {
        String(
            format: "{\"ratio\": %.4f, \"with_us\": %.2f, \"without_us\": %.2f, \"added_us\": %.2f}",
            figure.ratio, figure.with / 1_000, figure.without / 1_000, (figure.with - figure.without) / 1_000
        )
    }
    print("{\"W1\": \(object(grpc.both)), \"W1_server\": \(object(grpc.server)), \"W1_client\": \(object(grpc.client)), \"W2\": \(object(http.both)), \"W2_server\": \(object(http.server)), \"W2_client\": \(object(http.client))}")
} else {
    print("Per-hop overhead, \(requestsPerRound) sequential requests × \(rounds) interleaved rounds, medians:")
    print(describe("W1", "gRPC unary, both interceptors", grpc.both))
    print(describe("W1 server", "gRPC unary, the server interceptor alone", grpc.server))
    print(describe("W1 client", "gRPC unary, the client interceptor alone", grpc.client))
    print(describe("W2", "HTTP, Hummingbird middleware + AsyncHTTPClient integration", http.both))
    print(describe("W2 server", "HTTP, the Hummingbird middleware alone", http.server))
    print(describe("W2 client", "HTTP, the AsyncHTTPClient integration alone", http.client))
}
