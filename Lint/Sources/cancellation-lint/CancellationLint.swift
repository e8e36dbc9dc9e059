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

            --fix applies the mechanical fixes in place, only where the enclosing function throws (so the \
            result compiles) and only when the fixed file parses, then reports what is left.

            --write-baseline FILE records the current findings; later runs with --baseline FILE report only \
            findings added since (matched by file, rule and the text of the line, so moved code stays \
            accepted). Run both from the same folder.

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

    @Option(help: "Report only findings that are not in this baseline file (written earlier with --write-baseline).", completion: .file())
    var baseline: String?

    @Option(help: "Write every finding of this run to this baseline file, and exit 0 unless there is a usage, configuration or I/O error.", completion: .file())
    var writeBaseline: String?

    @Flag(help: "Fix what can be fixed mechanically, in place (try? → try, a rethrowing CancellationError clause ahead of a catch-all), where the enclosing function throws; then report what is left.")
    var fix = false

    @Option(help: ArgumentHelp("Write a comment-only Swift file here after a run without error findings (the build-tool plugin's output).", visibility: .hidden))
    var emitStamp: String?

    @Option(help: ArgumentHelp("Also lint the files listed in this file, one path per line (the build-tool plugin's input).", visibility: .hidden))
    var fileList: String?

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
                // Last, on top of the file's own layers (test profile, path rules).
                configuration.overrides.append(RuleOverrides(disabledRules: Set(disabledRules), enabledRules: Set(enabledRules)))
            }
        } catch {
            Self.printError(error.message)
            throw ExitCode(2)
        }

        var paths = self.paths
        if let fileList {
            guard let text = try? String(contentsOfFile: fileList, encoding: .utf8) else {
                Self.printError("cannot read the file list \(fileList)")
                throw ExitCode(2)
            }
            paths += text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        }
        let readsStandardInput = paths.contains("-")
        if fix && readsStandardInput {
            Self.printError("--fix changes files in place and cannot fix standard input")
            throw ExitCode(2)
        }
        let roots = paths.filter { $0 != "-" }
        let collector = FileCollector(resolver: resolver)
        let collected = roots.isEmpty && readsStandardInput ? FileCollector.Result() : collector.collect(roots.isEmpty ? ["."] : roots)
        let files = collected.files.map { path in
            let resolved = resolver.resolve(path, isDirectory: false)
            return (path: path, linter: SourceLinter(configuration: resolved.configuration, relativePath: resolved.relativePath(of: path)))
        }
        // Read the baseline first: a bad one is a usage error, whatever the code holds.
        let accepted = try baseline.map(Self.readBaseline)
        if fix {
            for (path, linter) in files {
                guard let source = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                let result = linter.fix(source: source, path: path)
                if result.rejected {
                    Self.printError("\(path): the fixes would not parse, so none was applied")
                } else if !result.fixed.isEmpty {
                    do {
                        try result.source.write(toFile: path, atomically: true, encoding: .utf8)
                        if !quiet {
                            FileHandle.standardError.write(Data("fixed \(result.fixed.count) finding\(result.fixed.count == 1 ? "" : "s") in \(path)\n".utf8))
                        }
                    } catch {
                        Self.printError("cannot write \(path): \(error.localizedDescription)")
                        throw ExitCode(2)
                    }
                }
            }
        }
        var results = await LintRunner.lint(files: files)
        var fileCount = collected.files.count
        var standardInput: String?
        if readsStandardInput {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            let configuration = resolver.resolve(".", isDirectory: true).configuration
            let text = String(decoding: data, as: UTF8.self)
            standardInput = text
            results.findings += SourceLinter(configuration: configuration).lint(source: text, path: "<stdin>")
            fileCount += 1
        }
        if !resolver.errors.isEmpty {
            for message in resolver.errors { Self.printError(message) }
            throw ExitCode(2)
        }

        var ioErrors = collected.errors
        ioErrors.append(contentsOf: results.errors)
        var findings = results.findings.sorted()
        var sourceLines = SourceLines(standardInput: standardInput)
        if let writeBaseline {
            let written = LintBaseline(accepting: findings, sourceLine: { sourceLines.line(of: $0) })
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try (encoder.encode(written) + Data("\n".utf8)).write(to: URL(fileURLWithPath: writeBaseline))
            } catch {
                Self.printError("cannot write the baseline \(writeBaseline): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        var acceptedCount = 0
        if let accepted {
            (findings, acceptedCount) = accepted.newFindings(among: findings, sourceLine: { sourceLines.line(of: $0) })
        }

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
            var summary =
                "cancellation-lint: \(findings.count) finding\(findings.count == 1 ? "" : "s") (\(errors) error\(errors == 1 ? "" : "s")) in \(fileCount) file\(fileCount == 1 ? "" : "s")"
            if baseline != nil { summary += "; \(acceptedCount) accepted by the baseline" }
            if let writeBaseline { summary += "; baseline of \(results.findings.count) written to \(writeBaseline)" }
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if !ioErrors.isEmpty { throw ExitCode(2) }
        if writeBaseline != nil { return }
        let failed = findings.contains(where: { $0.severity == .error }) || (strict && findings.contains { $0.severity != .note })
        if let emitStamp, !failed {
            let stamp = "// Written by cancellation-lint after linting this target: \(findings.count) finding\(findings.count == 1 ? "" : "s"), no error.\n"
            do {
                try Data(stamp.utf8).write(to: URL(fileURLWithPath: emitStamp))
            } catch {
                Self.printError("cannot write \(emitStamp): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        if failed {
            throw ExitCode(1)
        }
    }

    /// Reads and checks the baseline at `path`; a missing or malformed file is a usage error (exit 2).
    static func readBaseline(_ path: String) throws -> LintBaseline {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            printError("cannot read the baseline \(path): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        do {
            let baseline = try JSONDecoder().decode(LintBaseline.self, from: data)
            try baseline.validate()
            return baseline
        } catch let error as BaselineError {
            printError("baseline \(path): \(error.message)")
            throw ExitCode(2)
        } catch {
            printError("baseline \(path) is not a cancellation-lint baseline (expected {\"version\": 1, \"findings\": [{\"path\", \"rule\", \"source\"}, …]})")
            throw ExitCode(2)
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

}

/// The text of findings' source lines, each file read once.
struct SourceLines {
    /// What was linted as `<stdin>`, if anything.
    let standardInput: String?
    private var files: [String: [Substring]] = [:]

    init(standardInput: String?) {
        self.standardInput = standardInput
    }

    /// The text of `finding`'s line, or `nil` when its file cannot be read.
    mutating func line(of finding: Finding) -> String? {
        let lines: [Substring]
        if let cached = files[finding.path] {
            lines = cached
        } else {
            let text = finding.path == "<stdin>" ? standardInput : try? String(contentsOfFile: finding.path, encoding: .utf8)
            lines = text.map { $0.split(separator: "\n", omittingEmptySubsequences: false) } ?? []
            files[finding.path] = lines
        }
        guard finding.line >= 1, finding.line <= lines.count else { return nil }
        return String(lines[finding.line - 1])
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
