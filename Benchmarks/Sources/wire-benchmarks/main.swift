// Per-hop cost of the deadline integrations: one client, one server, sequential requests over loopback,
// with and without the integration, measured side by side in one run (rounds interleaved).
//
//   swift run -c release --package-path Benchmarks wire-benchmarks [--quick] [--json] [--only W1|W2|in_process]
//
// W1: gRPC unary call with ServerDeadlineInterceptor + ClientDeadlineInterceptor ÷ the same call without.
// W2: HTTP GET through RequestDeadlineMiddleware + HTTPClient.withResponse ÷ plain Hummingbird + plain
//     AsyncHTTPClient (both read the whole body).
// Both sides of a figure run on the same server, client and connection: the integration applies to one
// method (gRPC, through a conditional interceptor) or one route (HTTP, a route group), so that where the
// connection's event loops sit — which moves a request's cost by more than the integration does — is the
// same for both. Every request carries a 10 s timeout on both sides, so both send a timeout header; the
// figure is what the integration adds on top (parsing, the cancel scope on each side, the effective-deadline
// lookup). Beside the time, each side's process CPU time and context switches per request are printed:
// the hop-by-hop account of where the added time goes.
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
let quick = arguments.contains("--quick")
let json = arguments.contains("--json")
// `--only W1` or `--only W2` measures one integration over loopback; `--only in_process` the three in-process
// figures (`W1_server_in_process`, `W1_client_in_process`, `W2_server_in_process`).
var only: String?
if let index = arguments.firstIndex(of: "--only"), index + 1 < arguments.count, ["W1", "W2", "in_process"].contains(arguments[index + 1]) {
    only = arguments[index + 1]
    arguments.removeSubrange(index...index + 1)
}
let unknown = Set(arguments).subtracting(["--quick", "--json"])
guard unknown.isEmpty else {
    FileHandle.standardError.write(Data("usage: wire-benchmarks [--quick] [--json] [--only W1|W2|in_process]\n".utf8))
    exit(2)
}

let requestsPerRound = quick ? 200 : 2_000
let rounds = quick ? 3 : 9

let grpc = only != nil && only != "W1" ? nil : try await measureGRPC(requestsPerRound: requestsPerRound, rounds: rounds)
let http = only != nil && only != "W2" ? nil : try await measureHTTP(requestsPerRound: requestsPerRound, rounds: rounds)
let inProcessRPCs = quick ? 2_000 : 20_000
let inProcess = only != nil && only != "in_process"
    ? nil
    : (
        server: try await measureServerInterceptorInProcess(rpcsPerRound: inProcessRPCs, rounds: rounds),
        client: try await measureClientInterceptorInProcess(rpcsPerRound: inProcessRPCs, rounds: rounds),
        middleware: try await measureMiddlewareInProcess(requestsPerRound: inProcessRPCs, rounds: rounds)
    )

func describe(_ name: String, _ what: String, _ figure: HopFigure) -> String {
    let (with, without) = (figure.withUsage, figure.withoutUsage)
    let jobs = figure.jobs.map {
        String(format: "\n    jobs on the global executor %.2f vs %.2f (%+.2f)", $0.with, $0.without, $0.with - $0.without)
    } ?? ""
    return String(
        format: "%@ %@: %.1f µs per request with the integration vs %.1f µs without → ratio %.3f (%+.1f µs per hop)\n"
            + "    process CPU %.1f vs %.1f µs (%+.1f), context switches %.2f vs %.2f voluntary (%+.2f), %.2f vs %.2f involuntary (%+.2f)",
        name, what, figure.with / 1_000, figure.without / 1_000, figure.ratio, (figure.with - figure.without) / 1_000,
        with.cpu / 1_000, without.cpu / 1_000, (with.cpu - without.cpu) / 1_000,
        with.voluntarySwitches, without.voluntarySwitches, with.voluntarySwitches - without.voluntarySwitches,
        with.involuntarySwitches, without.involuntarySwitches, with.involuntarySwitches - without.involuntarySwitches
    ) + jobs
}

if json {
    func object(_ figure: HopFigure) -> String {
        let jobs = figure.jobs.map {
            String(format: ", \"jobs_with\": %.3f, \"jobs_without\": %.3f, \"jobs_added\": %.3f", $0.with, $0.without, $0.with - $0.without)
        } ?? ""
        return String(
            format: "{\"ratio\": %.4f, \"with_us\": %.2f, \"without_us\": %.2f, \"added_us\": %.2f, "
                + "\"cpu_with_us\": %.2f, \"cpu_without_us\": %.2f, \"cpu_added_us\": %.2f, "
                + "\"voluntary_switches_with\": %.3f, \"voluntary_switches_without\": %.3f, \"voluntary_switches_added\": %.3f, "
                + "\"involuntary_switches_with\": %.3f, \"involuntary_switches_without\": %.3f, \"involuntary_switches_added\": %.3f",
            figure.ratio, figure.with / 1_000, figure.without / 1_000, (figure.with - figure.without) / 1_000,
            figure.withUsage.cpu / 1_000, figure.withoutUsage.cpu / 1_000,
            (figure.withUsage.cpu - figure.withoutUsage.cpu) / 1_000,
            figure.withUsage.voluntarySwitches, figure.withoutUsage.voluntarySwitches,
            figure.withUsage.voluntarySwitches - figure.withoutUsage.voluntarySwitches,
            figure.withUsage.involuntarySwitches, figure.withoutUsage.involuntarySwitches,
            figure.withUsage.involuntarySwitches - figure.withoutUsage.involuntarySwitches
        ) + jobs + "}"
    }
    var members: [String] = []
    if let grpc {
        members += ["\"W1\": \(object(grpc.both))", "\"W1_server\": \(object(grpc.server))", "\"W1_client\": \(object(grpc.client))"]
    }
    if let inProcess {
        members += [
            "\"W1_server_in_process\": \(object(inProcess.server))", "\"W1_client_in_process\": \(object(inProcess.client))",
            "\"W2_server_in_process\": \(object(inProcess.middleware))",
        ]
    }
    if let http {
        members += ["\"W2\": \(object(http.both))", "\"W2_server\": \(object(http.server))", "\"W2_client\": \(object(http.client))"]
    }
    print("{" + members.joined(separator: ", ") + "}")
} else {
    print("Per-hop overhead, \(requestsPerRound) sequential requests × \(rounds) interleaved rounds, medians:")
    if let grpc {
        print(describe("W1", "gRPC unary, both interceptors", grpc.both))
        print(describe("W1 server", "gRPC unary, the server interceptor alone", grpc.server))
        print(describe("W1 client", "gRPC unary, the client interceptor alone", grpc.client))
    }
    if let inProcess {
        print(describe("W1 server in process", "the gRPC server interceptor's own cost per RPC, no transport", inProcess.server))
        print(describe("W1 client in process", "the gRPC client interceptor's own cost per RPC, no transport", inProcess.client))
        print(describe("W2 server in process", "the Hummingbird middleware's own cost per request, no transport", inProcess.middleware))
    }
    if let http {
        print(describe("W2", "HTTP, Hummingbird middleware + AsyncHTTPClient integration", http.both))
        print(describe("W2 server", "HTTP, the Hummingbird middleware alone", http.server))
        print(describe("W2 client", "HTTP, the AsyncHTTPClient integration alone", http.client))
    }
}
