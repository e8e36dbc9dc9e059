import SwiftSyntax
import SwiftParser

/// A mechanical change that removes a finding: text replacing a range of the file.
struct Fix {
    struct Edit {
        var range: Range<AbsolutePosition>
        var replacement: String
    }

    var edits: [Edit]

    /// `try?` → `try` (`try? Task.checkCancellation()`, `try? await Task.sleep(…)`), where the enclosing
    /// function throws untyped errors, so the cancellation can propagate; `nil` elsewhere (closures
    /// included: making one throw changes its type).
    static func removingQuestionMark(_ node: TryExprSyntax) -> Fix? {
        guard let mark = node.questionOrExclamationMark, mark.tokenKind == .postfixQuestionMark,
            SyntaxFacts.isInUntypedThrowingFunction(node)
        else { return nil }
        return Fix(edits: [Edit(range: mark.positionAfterSkippingLeadingTrivia..<mark.endPositionBeforeTrailingTrivia, replacement: "")])
    }

    /// A `catch let error as CancellationError { throw error }` clause ahead of a catch-all, where the
    /// enclosing function throws untyped errors; `nil` elsewhere.
    static func rethrowingCancellation(before clause: CatchClauseSyntax, source: [UInt8]) -> Fix? {
        guard SyntaxFacts.isInUntypedThrowingFunction(clause) else { return nil }
        let start = clause.catchKeyword.positionAfterSkippingLeadingTrivia
        // The indentation of the line the `catch` is on.
        var lineStart = start.utf8Offset
        while lineStart > 0, source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        var indentEnd = lineStart
        while indentEnd < source.count, source[indentEnd] == UInt8(ascii: " ") || source[indentEnd] == UInt8(ascii: "\t") {
            indentEnd += 1
        }
        let indent = String(decoding: source[lineStart..<indentEnd], as: UTF8.self)
        let unit = indent.contains("\t") ? "\t" : "    "
        let inserted = "catch let error as CancellationError {\n\(indent)\(unit)throw error\n\(indent)} "
        return Fix(edits: [Edit(range: start..<start, replacement: inserted)])
    }
}

/// The outcome of ``SourceLinter/fix(source:path:)``.
public struct FixResult: Sendable {
    /// The source with every fix applied, or the original when none applied.
    public var source: String
    /// The findings that were fixed.
    public var fixed: [Finding]
    /// Whether fixes were found but not applied, because the fixed source did not parse.
    public var rejected: Bool
}

extension SourceLinter {
    /// Applies the mechanical fixes of `source`'s findings: `try?` → `try` for `try-check-cancellation` and
    /// `try-sleep`, and a `catch let error as CancellationError { throw error }` clause ahead of the
    /// catch-all of `swallowed-cancellation-loop`, `catch-all-fallback` and `cancellation-remapped` — each
    /// only in a function that throws untyped errors, where the change compiles. The fixed source is parsed
    /// again; if it does not parse, nothing is applied.
    ///
    /// - Parameters:
    ///   - source: The file's text.
    ///   - path: The file's path, to label findings and decide its configuration.
    /// - Returns: The fixed source and what was fixed.
    public func fix(source: String, path: String) -> FixResult {
        let tree = Parser.parse(source: source)
        guard !tree.hasError else { return FixResult(source: source, fixed: [], rejected: false) }
        let (findings, fixes) = lintWithFixes(tree: tree, path: path, source: source)
        var edits: [Fix.Edit] = []
        var fixed: [Finding] = []
        for (finding, fix) in zip(findings, fixes) {
            guard let fix else { continue }
            edits.append(contentsOf: fix.edits)
            fixed.append(finding)
        }
        guard !edits.isEmpty else { return FixResult(source: source, fixed: [], rejected: false) }
        var bytes = Array(source.utf8)
        var lastStart = Int.max
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            let lower = edit.range.lowerBound.utf8Offset, upper = edit.range.upperBound.utf8Offset
            // Overlapping edits are not expected; skip any that would overlap one already made.
            guard upper <= lastStart else { continue }
            bytes.replaceSubrange(lower..<upper, with: Array(edit.replacement.utf8))
            lastStart = lower
        }
        let result = String(decoding: bytes, as: UTF8.self)
        if Parser.parse(source: result).hasError {
            return FixResult(source: source, fixed: [], rejected: true)
        }
        return FixResult(source: result, fixed: fixed, rejected: false)
    }
}
