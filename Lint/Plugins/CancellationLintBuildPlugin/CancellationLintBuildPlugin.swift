import Foundation
import PackagePlugin

/// Runs `cancellation-lint` on a target's Swift files as part of every build.
///
/// Add it to a target: `plugins: [.plugin(name: "CancellationLintBuildPlugin", package: "Lint")]`. Findings
/// are printed as compiler-style diagnostics (`file:line:column: warning: …`); an error finding fails the
/// build, as a compiler error would. Each file gets the `.cancellation-lint.yml` nearest to it. The lint
/// runs again only when one of the target's Swift files changed: its stamp — an empty Swift file the
/// target compiles — is the build command's output.
@main
struct CancellationLintBuildPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let sources = module.sourceFiles.map(\.url).filter { $0.pathExtension == "swift" }
        guard !sources.isEmpty else { return [] }
        let tool = try context.tool(named: "cancellation-lint")
        let stamp = context.pluginWorkDirectoryURL.appendingPathComponent("CancellationLintStamp_\(target.name).swift")
        // The files go in a list, not on the command line, which has a length limit.
        let list = context.pluginWorkDirectoryURL.appendingPathComponent("CancellationLintFiles_\(target.name).txt")
        let listText = sources.map(\.path).joined(separator: "\n") + "\n"
        if (try? String(contentsOf: list, encoding: .utf8)) != listText {
            try listText.write(to: list, atomically: true, encoding: .utf8)
        }
        // A change to a configuration file that can apply (the target's folder or one above it, up to the
        // package) reruns the lint too.
        var configurations: [URL] = []
        var folder = target.directoryURL.standardizedFileURL
        let root = context.package.directoryURL.standardizedFileURL.path
        while folder.path.hasPrefix(root) {
            let candidate = folder.appendingPathComponent(".cancellation-lint.yml")
            if FileManager.default.fileExists(atPath: candidate.path) { configurations.append(candidate) }
            if folder.path == root { break }
            folder = folder.deletingLastPathComponent()
        }
        return [
            .buildCommand(
                displayName: "cancellation-lint \(target.name)",
                executable: tool.url,
                arguments: ["--quiet", "--emit-stamp", stamp.path, "--file-list", list.path],
                inputFiles: sources + configurations + [list],
                outputFiles: [stamp]
            )
        ]
    }
}
