public import SwiftSyntax
import SwiftParser

/// Lints Swift source text for code that swallows task cancellation.
///
/// ```swift
/// let findings = SourceLinter(configuration: LintConfiguration())
///     .lint(source: text, path: "Sources/App/Worker.swift")
/// ```
public struct SourceLinter: Sendable {
    /// The configuration deciding which rules run: its top-level keys, its test profile for test code
    /// (see ``TestCode``), its path rules for ``relativePath``, and its overrides.
    public let configuration: LintConfiguration
    /// The file's path relative to the configuration's folder, which its path rules are matched against;
    /// `nil` to match them against the path given to ``lint(source:path:)``.
    public let relativePath: String?

    /// Creates a linter.
    ///
    /// - Parameters:
    ///   - configuration: The rules and their severities.
    ///   - relativePath: The file's path relative to the configuration's folder, for its path rules.
    public init(configuration: LintConfiguration = LintConfiguration(), relativePath: String? = nil) {
        self.configuration = configuration
        self.relativePath = relativePath
    }

    /// Parses and lints one file's text; `path` is only used to label the findings.
    ///
    /// A file that does not parse yields a single `unparsable-file` finding (when that rule is enabled) and
    /// no rule findings. Findings are sorted by line and column.
    public func lint(source: String, path: String) -> [Finding] {
        let tree = Parser.parse(source: source)
        return lint(tree: tree, path: path, scanComments: source.contains(SuppressionSet.prefix))
    }

    /// Lints an already parsed file.
    public func lint(tree: SourceFileSyntax, path: String) -> [Finding] {
        lint(tree: tree, path: path, scanComments: true)
    }

    /// Whether the file is test code; an absolute path is judged by its part below the configuration's
    /// folder, so that a checkout under `/ci/LoadTests/` is not all test code.
    private func isTestCode(_ tree: SourceFileSyntax, path: String) -> Bool {
        TestCode.isTestCode(tree, path: path.hasPrefix("/") ? (relativePath ?? "") : path)
    }

    private func lint(tree: SourceFileSyntax, path: String, scanComments: Bool) -> [Finding] {
        let isTestCode = isTestCode(tree, path: path)
        let configuration = self.configuration.forFile(relativePath: relativePath ?? (path == "<stdin>" ? nil : path), isTestCode: isTestCode)
        var findings = Self.lint(tree: tree, path: path, scanComments: scanComments, configuration: configuration)
        if isTestCode {
            for index in findings.indices { findings[index].inTestCode = true }
        }
        return findings
    }

    /// The rule findings of a file that parses, each with its fix where there is one (suppressed findings
    /// left out), for ``fix(source:path:)``.
    func lintWithFixes(tree: SourceFileSyntax, path: String, source: String) -> ([Finding], [Fix?]) {
        let isTestCode = isTestCode(tree, path: path)
        let configuration = self.configuration.forFile(relativePath: relativePath ?? (path == "<stdin>" ? nil : path), isTestCode: isTestCode)
        let visitor = RuleVisitor(enabled: configuration.enabledRules, facts: FileFacts(tree), sourceForFixes: Array(source.utf8))
        visitor.walk(tree)
        let converter = SourceLocationConverter(fileName: path, tree: tree)
        var suppressions = SuppressionSet(tree: tree, converter: converter)
        var findings: [Finding] = []
        var fixes: [Fix?] = []
        for raw in visitor.findings {
            let location = converter.location(for: raw.position)
            if suppressions.suppresses(raw.rule, line: location.line) { continue }
            findings.append(
                Finding(
                    path: path, line: location.line, column: location.column, rule: raw.rule,
                    severity: configuration.severity(of: raw.rule), message: raw.message, inTestCode: isTestCode
                )
            )
            fixes.append(raw.fix)
        }
        return (findings, fixes)
    }

    private static func lint(tree: SourceFileSyntax, path: String, scanComments: Bool, configuration: LintConfiguration) -> [Finding] {
        let enabled = configuration.enabledRules
        if tree.hasError {
            guard enabled.contains(.unparsableFile) else { return [] }
            let converter = SourceLocationConverter(fileName: path, tree: tree)
            let errors = ErrorFinder.errors(in: tree)
            let location = converter.location(for: errors.first?.position ?? tree.positionAfterSkippingLeadingTrivia)
            // Syntax newer than this parser, only where a newer compiler is asked for, is valid code: the
            // file is skipped with a note, which never fails a run.
            if errors.allSatisfy(\.isVersionGated) {
                return [
                    Finding(
                        path: path, line: location.line, column: location.column, rule: .unparsableFile, severity: .note,
                        message: "file uses syntax this linter's parser does not know, inside an '#if compiler(…)' (or 'swift(…)', 'hasFeature(…)') block, and was skipped"
                    )
                ]
            }
            return [
                Finding(
                    path: path, line: location.line, column: location.column, rule: .unparsableFile,
                    severity: configuration.severity(of: .unparsableFile),
                    message: "file could not be parsed (first syntax error here) and was skipped; fix: correct the syntax, or add the file to 'excluded' in .cancellation-lint.yml"
                )
            ]
        }
        let visitor = RuleVisitor(enabled: enabled, facts: FileFacts(tree))
        visitor.walk(tree)
        if visitor.findings.isEmpty && !scanComments { return [] }

        let converter = SourceLocationConverter(fileName: path, tree: tree)
        var suppressions: SuppressionSet? = scanComments ? SuppressionSet(tree: tree, converter: converter) : nil
        var findings: [Finding] = []
        for raw in visitor.findings {
            let location = converter.location(for: raw.position)
            if suppressions?.suppresses(raw.rule, line: location.line) == true { continue }
            findings.append(
                Finding(
                    path: path, line: location.line, column: location.column, rule: raw.rule,
                    severity: configuration.severity(of: raw.rule), message: raw.message
                )
            )
        }
        if let suppressions, enabled.contains(.unusedSuppression) {
            for problem in suppressions.problems {
                findings.append(
                    Finding(
                        path: path, line: problem.line, column: problem.column, rule: .unusedSuppression,
                        severity: configuration.severity(of: .unusedSuppression), message: problem.message
                    )
                )
            }
            for scope in suppressions.scopes where !scope.used {
                // Only report suppressions of rules that actually ran; a disabled rule finds nothing anyway.
                if let rule = RuleID(rawValue: scope.rule), !enabled.contains(rule) { continue }
                findings.append(
                    Finding(
                        path: path, line: scope.directiveLine, column: scope.directiveColumn, rule: .unusedSuppression,
                        severity: configuration.severity(of: .unusedSuppression),
                        message: "suppression of '\(scope.rule)' suppresses nothing; fix: remove the comment"
                    )
                )
            }
        }
        return findings.sorted()
    }
}

/// Finds the syntax errors (unexpected or missing tokens) of a tree, in source order, and whether each lies
/// inside an `#if` clause that asks for a compiler, language version or feature this parser may not know.
final class ErrorFinder: SyntaxVisitor {
    struct SyntaxError {
        var position: AbsolutePosition
        var isVersionGated: Bool
    }

    private var found: [SyntaxError] = []

    /// The tree's syntax errors, first first.
    static func errors(in tree: SourceFileSyntax) -> [SyntaxError] {
        let finder = ErrorFinder(viewMode: .all)
        finder.walk(tree)
        return finder.found.sorted { $0.position < $1.position }
    }

    private func note(_ node: some SyntaxProtocol) {
        found.append(SyntaxError(position: node.positionAfterSkippingLeadingTrivia, isVersionGated: Self.isVersionGated(node)))
    }

    /// Whether `node` is inside an `#if` clause whose condition names `compiler(…)`, `swift(…)`,
    /// `_compiler_version(…)`, `hasFeature(…)` or `hasAttribute(…)`.
    static func isVersionGated(_ node: some SyntaxProtocol) -> Bool {
        var current = node.parent
        while let parent = current {
            if let clause = parent.as(IfConfigClauseSyntax.self), let condition = clause.condition {
                let text = condition.trimmedDescription
                if ["compiler(", "swift(", "_compiler_version(", "hasFeature(", "hasAttribute("].contains(where: text.contains) {
                    return true
                }
            }
            current = parent.parent
        }
        return false
    }

    override func visit(_ node: UnexpectedNodesSyntax) -> SyntaxVisitorContinueKind {
        note(node)
        return .skipChildren
    }

    override func visit(_ token: TokenSyntax) -> SyntaxVisitorContinueKind {
        if token.presence == .missing { note(token) }
        return .skipChildren
    }
}
