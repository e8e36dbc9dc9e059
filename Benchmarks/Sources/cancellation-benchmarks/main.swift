// cancellation-benchmarks: measures swift-cancellation beside the baselines a Swift developer would
// otherwise use, all in one run, and prints one line per figure (or one JSON object with --json).
//
//     swift run -c release --package-path Benchmarks cancellation-benchmarks [--json] [--quick] [--only B1,B3]

import Foundation

let arguments = CommandLine.arguments
if let index = arguments.firstIndex(of: "--child") {
    // A measurement that needs a fresh process: `--child <figure> <side> <count>`.
    let figure = arguments[index + 1]
    let side = arguments[index + 2]
    let count = Int(arguments[index + 3])!
    let output = try await Task.detached { try await runChild(figure: figure, side: side, count: count) }.value
    print(output)
    fflush(nil)  // flush every output stream before exiting
    exit(0)
}

var options = Options(json: arguments.contains("--json"), quick: arguments.contains("--quick"))
if let index = arguments.firstIndex(of: "--only"), index + 1 < arguments.count {
    options.only = Set(arguments[index + 1].split(separator: ",").map(String.init))
}
let report = try await Task.detached { [options] in try await runAll(options) }.value
if options.json {
    print(report.json)
} else {
    for line in report.lines { print(line) }
}
