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
        return [
            .buildCommand(
                displayName: "cancellation-lint \(target.name)",
                executable: tool.url,
                arguments: ["--quiet", "--emit-stamp", stamp.path] + sources.map(\.path),
                inputFiles: sources,
                outputFiles: [stamp]
            )
        ]
    }
}
