import SwiftSyntax

/// What a `catch` clause catches and binds.
struct CatchAllClause {
    /// The name the error is bound to (`error` when the clause has no pattern); nil for `catch _`.
    var errorName: String?
}

/// Facts about a catch handler's body, relative to the error it caught.
struct HandlerFacts {
    /// A `throw` or a plain `try` outside nested closures.
    var canThrow = false
    /// A `throw` whose value is not the caught error itself.
    var throwsDifferentError = false
    /// `throw error` with the caught error.
    var rethrowsOriginal = false
    /// `return`, `break`, `throw` or a terminating call outside nested closures.
    var leavesScope = false
    /// `continue` outside nested closures.
    var continues = false
    /// `return <value>` where the value is not the error.
    var returnsFallbackValue = false
    /// Mentions `isCancelled`, `checkCancellation`, `CancellationError`, …
    var checksCancellation = false
    /// Records a test failure (`XCTFail`, `XCTAssert…`, `Issue.record`, `#expect`, `#require`): an
    /// unexpected cancellation fails the test visibly.
    var reportsTestFailure = false
    /// The error is handed on as a value: a call argument (other than logging), `.failure(error)`, stored,
    /// or returned.
    var errorEscapes = false
}

enum CatchAnalysis {
    /// Recognises `catch`, `catch let e`, `catch var e`, `catch _`, `catch let _` and `catch let e as any Error`.
    static func catchAll(_ clause: CatchClauseSyntax) -> CatchAllClause? {
        if clause.catchItems.isEmpty { return CatchAllClause(errorName: "error") }
        for item in clause.catchItems {
            guard item.whereClause == nil, let pattern = item.pattern else { continue }
            if let result = catchAllPattern(pattern) { return result }
        }
        return nil
    }

    private static func catchAllPattern(_ pattern: PatternSyntax) -> CatchAllClause? {
        if pattern.is(WildcardPatternSyntax.self) { return CatchAllClause(errorName: nil) }
        if let expression = pattern.as(ExpressionPatternSyntax.self),
            expression.expression.is(DiscardAssignmentExprSyntax.self)
        {
            return CatchAllClause(errorName: nil)
        }
        if let binding = pattern.as(ValueBindingPatternSyntax.self) {
            if binding.pattern.is(WildcardPatternSyntax.self) { return CatchAllClause(errorName: nil) }
            if let identifier = binding.pattern.as(IdentifierPatternSyntax.self) {
                return CatchAllClause(errorName: identifier.identifier.text)
            }
        }
        // `let e as Error` / `let e as any Error` parse as expression patterns; compare their text.
        let words = pattern.trimmedDescription.split(whereSeparator: { $0 == " " || $0 == "\n" })
        if words.count >= 4, words[0] == "let" || words[0] == "var", words[2] == "as" {
            let type = words[3...].joined(separator: " ")
            if type == "Error" || type == "any Error" || type == "(any Error)" || type == "Swift.Error"
                || type == "any Swift.Error"
            {
                return CatchAllClause(errorName: words[1] == "_" ? nil : String(words[1]))
            }
        }
        return nil
    }

    /// Whether a clause before `index` handles cancellation (`catch is CancellationError`, `catch let e as
    /// CancellationError`, `catch MyError.cancelled`, …).
    static func earlierClauseHandlesCancellation(_ clauses: CatchClauseListSyntax, before index: Int) -> Bool {
        for (offset, clause) in clauses.enumerated() where offset < index {
            if SyntaxFacts.mentionsCancellation(clause.catchItems) { return true }
        }
        return false
    }

    /// Logging and assertion functions of the standard library, Foundation and `os`, and `log(…)`.
    static let loggingFunctions: Set<String> = [
        "print", "debugPrint", "dump", "NSLog", "os_log", "log", "assert", "assertionFailure", "precondition",
    ]

    /// swift-log's `Logger` methods (and `os.Logger`'s), called on any logger value.
    static let loggerMethods: Set<String> = [
        "trace", "debug", "info", "notice", "warning", "error", "critical", "log", "fault",
    ]

    /// Whether `call` logs: one of ``loggingFunctions``, or one of ``loggerMethods`` called on a value
    /// (`logger.warning(…)`, `self.logger?.debug(…)`, `context.logger.error(…)`).
    static func isLoggingCall(_ call: FunctionCallExprSyntax) -> Bool {
        if let reference = call.calledExpression.as(DeclReferenceExprSyntax.self) {
            return loggingFunctions.contains(reference.baseName.text)
        }
        if let member = call.calledExpression.as(MemberAccessExprSyntax.self), member.base != nil {
            return loggerMethods.contains(member.declName.baseName.text)
        }
        return false
    }

    /// Whether a handler records a test failure.
    static func reportsTestFailure(_ body: CodeBlockSyntax) -> Bool {
        SyntaxFacts.contains(body, crossingBoundaries: true) { node in
            if let macro = node.as(MacroExpansionExprSyntax.self) {
                let name = macro.macroName.text
                return name == "expect" || name == "require"
            }
            if let call = node.as(FunctionCallExprSyntax.self), let name = SyntaxFacts.calleeName(call) {
                if name == "XCTFail" || name.hasPrefix("XCTAssert") || name == "XCTUnwrap" || name == "recordFailure" {
                    return true
                }
                return name == "record" && SyntaxFacts.calleeBaseText(call) == "Issue"
            }
            return false
        }
    }

    static func analyze(handler body: CodeBlockSyntax, errorName: String?) -> HandlerFacts {
        var facts = HandlerFacts()
        facts.checksCancellation = SyntaxFacts.mentionsCancellationCheck(body)
        facts.reportsTestFailure = reportsTestFailure(body)
        walk(Syntax(body.statements), in: body, errorName: errorName, insideClosure: false, switchDepth: 0, facts: &facts)
        return facts
    }

    private static func walk(
        _ node: Syntax,
        in body: CodeBlockSyntax,
        errorName: String?,
        insideClosure: Bool,
        switchDepth: Int,
        facts: inout HandlerFacts
    ) {
        for child in node.children(viewMode: .sourceAccurate) {
            var nowInsideClosure = insideClosure
            var depth = switchDepth
            switch child.kind {
            case .closureExpr, .functionDecl:
                nowInsideClosure = true
            case .switchExpr, .whileStmt, .forStmt, .repeatStmt:
                depth += 1
            case .throwStmt where !insideClosure:
                facts.canThrow = true
                facts.leavesScope = true
                let thrown = child.as(ThrowStmtSyntax.self)!.expression
                if let name = errorName, isSameError(thrown, name: name) {
                    facts.rethrowsOriginal = true
                } else {
                    facts.throwsDifferentError = true
                }
            case .tryExpr where !insideClosure:
                if child.as(TryExprSyntax.self)!.questionOrExclamationMark == nil { facts.canThrow = true }
            case .returnStmt where !insideClosure:
                facts.leavesScope = true
                if let value = child.as(ReturnStmtSyntax.self)!.expression {
                    if let name = errorName, SyntaxFacts.contains(value, where: { isReference($0, to: name) })
                        || value.as(DeclReferenceExprSyntax.self)?.baseName.text == errorName
                    {
                        facts.errorEscapes = true
                    } else if isFailureValue(value) {
                        // `return .failure(someError)`: a failure is reported, not a fallback success.
                        facts.errorEscapes = true
                    } else {
                        facts.returnsFallbackValue = true
                    }
                }
            case .breakStmt where !insideClosure:
                if switchDepth == 0 || child.as(BreakStmtSyntax.self)!.label != nil { facts.leavesScope = true }
            case .continueStmt where !insideClosure:
                facts.continues = true
            case .functionCallExpr where !insideClosure:
                if let name = SyntaxFacts.calleeName(child.as(FunctionCallExprSyntax.self)!),
                    SyntaxFacts.terminatingFunctions.contains(name)
                {
                    facts.leavesScope = true
                }
            case .declReferenceExpr:
                if let name = errorName, isReference(child, to: name), escapes(child, within: Syntax(body)) {
                    facts.errorEscapes = true
                }
            default:
                break
            }
            walk(child, in: body, errorName: errorName, insideClosure: nowInsideClosure, switchDepth: depth, facts: &facts)
        }
    }

    /// `error`, `(error)`, `error as! T` or `(error as! T)`: the caught error itself, perhaps force-cast to
    /// a narrower type.
    private static func isSameError(_ expression: ExprSyntax, name: String) -> Bool {
        var expression = expression
        while let tuple = expression.as(TupleExprSyntax.self), tuple.elements.count == 1, let only = tuple.elements.first,
            only.label == nil
        {
            expression = only.expression
        }
        if let cast = expression.as(AsExprSyntax.self), cast.questionOrExclamationMark?.tokenKind == .exclamationMark {
            expression = cast.expression
        }
        if let sequence = expression.as(SequenceExprSyntax.self), sequence.elements.count == 3,
            let asExpr = sequence.elements.dropFirst().first?.as(UnresolvedAsExprSyntax.self),
            asExpr.questionOrExclamationMark?.tokenKind == .exclamationMark,
            let first = sequence.elements.first
        {
            expression = first
        }
        return expression.as(DeclReferenceExprSyntax.self)?.baseName.text == name
    }

    /// `.failure(…)` or `Result.failure(…)`.
    private static func isFailureValue(_ value: ExprSyntax) -> Bool {
        guard let call = value.as(FunctionCallExprSyntax.self) else { return false }
        return SyntaxFacts.calleeName(call) == "failure"
    }

    private static func isReference(_ node: Syntax, to name: String) -> Bool {
        guard let reference = node.as(DeclReferenceExprSyntax.self), reference.baseName.text == name else {
            return false
        }
        // `.error` in `foo.error` is a member name, not the caught error.
        if let member = reference.parent?.as(MemberAccessExprSyntax.self), member.declName.id == reference.id {
            return false
        }
        return true
    }

    /// Whether a use of the caught error hands it on as a value.
    private static func escapes(_ use: Syntax, within body: Syntax) -> Bool {
        // Wrapped into a thrown error: that is rule 5's business, not an escape.
        var ancestor = use.parent
        while let node = ancestor, node.id != body.id {
            if node.is(ThrowStmtSyntax.self) { return false }
            if node.is(CodeBlockItemSyntax.self) { break }
            ancestor = node.parent
        }
        var child = use
        var current = use.parent
        while let node = current, node.id != body.id {
            switch node.kind {
            case .expressionSegment, .codeBlockItem, .conditionElement, .switchExpr, .isExpr:
                return false
            case .memberAccessExpr:
                // `error.localizedDescription`: a property of the error, not the error.
                return false
            case .asExpr:
                if node.as(AsExprSyntax.self)?.questionOrExclamationMark != nil { return false }
            case .functionCallExpr:
                let call = node.as(FunctionCallExprSyntax.self)!
                if call.calledExpression.id == child.id { return false }
                return !isLoggingCall(call)
            case .macroExpansionExpr, .throwStmt:
                return false
            case .returnStmt:
                return true
            case .exprList:
                // `x = error` (unfolded): the error is stored.
                let elements = Array(node.as(ExprListSyntax.self)!)
                if let assignIndex = elements.firstIndex(where: { $0.is(AssignmentExprSyntax.self) }),
                    let myIndex = elements.firstIndex(where: { $0.id == child.id }), myIndex > assignIndex
                {
                    return true
                }
                return false
            case .infixOperatorExpr:
                let infix = node.as(InfixOperatorExprSyntax.self)!
                return infix.operator.is(AssignmentExprSyntax.self) && infix.rightOperand.id == child.id
            case .patternBinding:
                return true
            default:
                break
            }
            child = node
            current = node.parent
        }
        return false
    }
}
