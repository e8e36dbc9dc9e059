import Foundation
import PackagePlugin

/// `swift package lint-cancellation [--target NAME …] [cancellation-lint options]`
///
/// Runs `cancellation-lint` on the directories of the package's Swift targets (all of them, or the ones named
/// with `--target`). Other arguments, such as `--strict` or `--format sarif`, are passed on to the tool. The
/// tool runs in the package directory, so the package's `.cancellation-lint.yml` applies and paths in the
/// output are relative to the package.
@main
struct LintCancellationPlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let requested = extractor.extractOption(named: "target")
        let passThrough = extractor.remainingArguments

        let targets: [any Target]
        if requested.isEmpty {
            targets = context.package.targets.filter { $0 is SourceModuleTarget }
        } else {
            targets = try context.package.targets(named: requested)
        }
        let packageDirectory = context.package.directoryURL.standardizedFileURL
        var paths: [String] = []
        for target in targets {
            guard let module = target as? SourceModuleTarget else { continue }
            guard module.sourceFiles.contains(where: { $0.url.pathExtension == "swift" }) else { continue }
            let directory = target.directoryURL.standardizedFileURL.path
            let base = packageDirectory.path.hasSuffix("/") ? packageDirectory.path : packageDirectory.path + "/"
            paths.append(directory.hasPrefix(base) ? String(directory.dropFirst(base.count)) : directory)
        }
        guard !paths.isEmpty else {
            Diagnostics.warning("lint-cancellation: no Swift targets to lint")
            return
        }

        let tool = try context.tool(named: "cancellation-lint")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = passThrough + paths
        process.currentDirectoryURL = packageDirectory
        try process.run()
        process.waitUntilExit()

        switch (process.terminationReason, process.terminationStatus) {
        case (.exit, 0):
            return
        case (.exit, 1):
            Diagnostics.error("lint-cancellation: cancellation-lint reported findings")
            throw PluginFailure.findings
        default:
            Diagnostics.error("lint-cancellation: cancellation-lint failed with status \(process.terminationStatus)")
            throw PluginFailure.toolFailed(process.terminationStatus)
        }
    }
}

/// Why the plugin failed.
enum PluginFailure: Error, CustomStringConvertible {
    case findings
    case toolFailed(Int32)

    var description: String {
        switch self {
        case .findings: "cancellation-lint reported findings"
        case .toolFailed(let status): "cancellation-lint exited with status \(status)"
        }
    }
}
