import SwiftSyntax

/// What one file's own declarations say, read once before the rules run: which of its functions cannot
/// throw `CancellationError`, and which run only as teardown.
struct FileFacts {
    /// Names of functions declared in the file whose every declaration is `async throws` but cannot throw
    /// `CancellationError`: their bodies never suspend (no `await`, so no cancellable call) and never throw
    /// or check cancellation themselves — synchronous work, such as blocking I/O, behind an `async` API.
    var cannotThrowCancellation: Set<String> = []

    /// Names of `private` or `fileprivate` functions of the file that are called only from teardown
    /// contexts (`defer`, `deinit`, `onCancel:`, a cancellation shield, an XCTest `tearDown` override).
    var calledOnlyFromTeardown: Set<String> = []

    init() {}

    init(_ tree: SourceFileSyntax) {
        let collector = Collector(viewMode: .sourceAccurate)
        collector.walk(tree)
        var cannot: Set<String> = []
        for (name, declarations) in collector.functions {
            let allQuiet = declarations.allSatisfy { function in
                guard let body = function.body, let effects = function.signature.effectSpecifiers,
                    effects.asyncSpecifier != nil, effects.throwsClause != nil
                else { return false }
                return !SyntaxFacts.containsAwait(body) && !SyntaxFacts.mentionsCancellationCheck(body)
                    && !SyntaxFacts.contains(body, where: { $0.is(ThrowStmtSyntax.self) && SyntaxFacts.mentionsCancellation($0) })
            }
            if allQuiet { cannot.insert(name) }
        }
        cannotThrowCancellation = cannot
        var teardown: Set<String> = []
        for (name, calls) in collector.calls {
            // Only functions no other file can call: every declaration of the name `private` or `fileprivate`.
            guard let declarations = collector.functions[name], declarations.allSatisfy({ function in
                function.modifiers.contains { $0.name.tokenKind == .keyword(.private) || $0.name.tokenKind == .keyword(.fileprivate) }
            }) else { continue }
            if !calls.isEmpty && calls.allSatisfy({ SyntaxFacts.isInTeardown($0, facts: nil) }) { teardown.insert(name) }
        }
        calledOnlyFromTeardown = teardown
    }

    private final class Collector: SyntaxVisitor {
        var functions: [String: [FunctionDeclSyntax]] = [:]
        var calls: [String: [Syntax]] = [:]

        override func visit(_ node: FunctionDeclSyntax) -> SyntaxVisitorContinueKind {
            functions[node.name.text, default: []].append(node)
            return .visitChildren
        }

        override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
            // `name(…)` and `self.name(…)`: calls of the file's own functions.
            let callee = node.calledExpression
            if let reference = callee.as(DeclReferenceExprSyntax.self) {
                calls[reference.baseName.text, default: []].append(Syntax(node))
            } else if let member = callee.as(MemberAccessExprSyntax.self),
                member.base?.as(DeclReferenceExprSyntax.self)?.baseName.tokenKind == .keyword(.self)
            {
                calls[member.declName.baseName.text, default: []].append(Syntax(node))
            }
            return .visitChildren
        }
    }
}
