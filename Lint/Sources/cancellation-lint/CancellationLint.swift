public import ArgumentParser
import CancellationLintRules
import Foundation

/// The `cancellation-lint` command: finds code that swallows task cancellation.
@main
struct CancellationLint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancellation-lint",
        abstract: "Find Swift code that swallows task cancellation before it hangs a shutdown.",
        discussion: """
            Lints the given Swift files and folders (default: the current directory), skipping build folders \
            (.build, hidden folders, DerivedData, Pods, node_modules, build).

            Each file is linted with the nearest .cancellation-lint.yml in its folder or a folder above \
            (--config names one for all). A path of - lints standard input, named <stdin>, with the \
            configuration found from the current directory.

            Exit status: 0 when clean, 1 when there are error findings (or any warnings with --strict; notes \
            never count), \
            2 on a usage, configuration or I/O error.
            """,
        version: "0.1.0"
    )

    @Argument(help: "Swift files or folders to lint; - reads one file from standard input.", completion: .file())
    var paths: [String] = []

    @Option(help: "Output format: text, json or sarif.")
    var format: OutputFormat = .text

    @Flag(help: "Treat warnings like errors for the exit status.")
    var strict = false

    @Option(help: "Configuration file for every file (default: the \(LintConfiguration.defaultFileName) nearest to each file, in its folder or above).")
    var config: String?

    @Option(name: .customLong("enable"), help: "Enable a rule, including opt-in rules (repeatable).")
    var enabledRules: [RuleID] = []

    @Option(name: .customLong("disable"), help: "Disable a rule (repeatable).")
    var disabledRules: [RuleID] = []

    @Flag(help: "List the rules and exit.")
    var listRules = false

    @Flag(help: "Do not print the summary line to standard error.")
    var quiet = false

    /// Runs the command, mapping usage errors to exit status 2.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                Self.exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    func run() async throws {
        if listRules {
            for rule in RuleID.allCases {
                let descriptor = rule.descriptor
                let tag = descriptor.isOptIn ? " (opt-in)" : ""
                print("\(rule.rawValue) [\(descriptor.severity.rawValue)]\(tag): \(descriptor.summary)")
            }
            return
        }
        let enabledRules = self.enabledRules, disabledRules = self.disabledRules
        let resolver: ConfigurationResolver
        do {
            resolver = try ConfigurationResolver(explicitPath: config) { configuration in
                for rule in enabledRules {
                    configuration.disabledRules.remove(rule)
                    configuration.optInRules.insert(rule)
                }
                configuration.disabledRules.formUnion(disabledRules)
            }
        } catch {
            Self.printError(error.message)
            throw ExitCode(2)
        }

        let readsStandardInput = paths.contains("-")
        let roots = paths.filter { $0 != "-" }
        let collector = FileCollector(resolver: resolver)
        let collected = roots.isEmpty && readsStandardInput ? FileCollector.Result() : collector.collect(roots.isEmpty ? ["."] : roots)
        let files = collected.files.map { path in
            (path: path, linter: SourceLinter(configuration: resolver.resolve(path, isDirectory: false).configuration))
        }
        var results = await LintRunner.lint(files: files)
        var fileCount = collected.files.count
        if readsStandardInput {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            let configuration = resolver.resolve(".", isDirectory: true).configuration
            results.findings += SourceLinter(configuration: configuration).lint(source: String(decoding: data, as: UTF8.self), path: "<stdin>")
            fileCount += 1
        }
        if !resolver.errors.isEmpty {
            for message in resolver.errors { Self.printError(message) }
            throw ExitCode(2)
        }

        var ioErrors = collected.errors
        ioErrors.append(contentsOf: results.errors)
        let findings = results.findings.sorted()

        let output: String
        switch format {
        case .text: output = TextReporter.render(findings)
        case .json: output = try JSONReporter.render(findings, fileCount: fileCount)
        case .sarif: output = try SARIFReporter.render(findings)
        }
        if !output.isEmpty {
            FileHandle.standardOutput.write(Data(output.utf8))
        }
        for error in ioErrors.sorted() {
            Self.printError(error)
        }
        if !quiet {
            let errors = findings.filter { $0.severity == .error }.count
            let summary =
                "cancellation-lint: \(findings.count) finding\(findings.count == 1 ? "" : "s") (\(errors) error\(errors == 1 ? "" : "s")) in \(fileCount) file\(fileCount == 1 ? "" : "s")\n"
            FileHandle.standardError.write(Data(summary.utf8))
        }
        if !ioErrors.isEmpty { throw ExitCode(2) }
        if findings.contains(where: { $0.severity == .error }) || (strict && findings.contains { $0.severity != .note }) {
            throw ExitCode(1)
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

}

struct ToolError: Error {
    var message: String
}

/// The `--format` values.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

extension RuleID: ExpressibleByArgument {}
