import SwiftSyntax

/// Small, allocation-light questions about syntax trees shared by the rules.
enum SyntaxFacts {
    /// Nodes that start a new body of code: work inside them is not run inline by the enclosing code.
    static func isCodeBoundary(_ node: Syntax) -> Bool {
        switch node.kind {
        case .closureExpr, .functionDecl, .initializerDecl, .deinitializerDecl, .accessorDecl, .subscriptDecl,
            .classDecl, .structDecl, .enumDecl, .actorDecl, .extensionDecl, .protocolDecl:
            return true
        default:
            return false
        }
    }

    /// Depth-first search of `node`'s descendants; does not descend into nested closures or declarations
    /// unless `crossingBoundaries` is set. The predicate is also asked about boundary nodes themselves.
    static func contains(
        _ node: some SyntaxProtocol,
        crossingBoundaries: Bool = false,
        where predicate: (Syntax) -> Bool
    ) -> Bool {
        for child in node.children(viewMode: .sourceAccurate) {
            if predicate(child) { return true }
            if !crossingBoundaries && isCodeBoundary(child) { continue }
            if contains(child, crossingBoundaries: crossingBoundaries, where: predicate) { return true }
        }
        return false
    }

    /// `try await …` (not `try?`/`try!`), `await try …`, or `for try await`.
    static func isThrowingAwait(_ node: Syntax) -> Bool {
        if let tryExpr = node.as(TryExprSyntax.self) {
            guard tryExpr.questionOrExclamationMark == nil else { return false }
            if tryExpr.expression.is(AwaitExprSyntax.self) { return true }
            return contains(tryExpr.expression) { $0.is(AwaitExprSyntax.self) }
        }
        if let awaitExpr = node.as(AwaitExprSyntax.self) {
            if let inner = awaitExpr.expression.as(TryExprSyntax.self) {
                return inner.questionOrExclamationMark == nil
            }
            return false
        }
        if let forStmt = node.as(ForStmtSyntax.self) {
            return forStmt.tryKeyword != nil && forStmt.awaitKeyword != nil
        }
        return false
    }

    static func containsThrowingAwait(_ node: some SyntaxProtocol) -> Bool {
        contains(node, where: isThrowingAwait)
    }

    /// A throwing await that can throw `CancellationError`. `try await future.get()` (SwiftNIO's
    /// `EventLoopFuture.get()`) cannot: the future completes regardless of the waiting task's cancellation.
    ///
    /// Nor can a call of one of the file's own functions that never suspends (``FileFacts``).
    static func isCancellableThrowingAwait(_ node: Syntax, facts: FileFacts = FileFacts()) -> Bool {
        guard isThrowingAwait(node) else { return false }
        if let tryExpr = node.as(TryExprSyntax.self), let awaitExpr = tryExpr.expression.as(AwaitExprSyntax.self),
            let call = awaitExpr.expression.as(FunctionCallExprSyntax.self)
        {
            if calleeName(call) == "get", call.arguments.isEmpty, call.trailingClosure == nil,
                call.calledExpression.is(MemberAccessExprSyntax.self)
            {
                return false
            }
            if let name = ownFunctionName(call), facts.cannotThrowCancellation.contains(name) { return false }
        }
        return true
    }

    static func containsCancellableThrowingAwait(_ node: some SyntaxProtocol, facts: FileFacts = FileFacts()) -> Bool {
        contains(node) { isCancellableThrowingAwait($0, facts: facts) }
    }

    /// The name of the function `call` calls when it can be one of the file's own: `name(…)` or
    /// `self.name(…)`.
    static func ownFunctionName(_ call: FunctionCallExprSyntax) -> String? {
        if let reference = call.calledExpression.as(DeclReferenceExprSyntax.self) { return reference.baseName.text }
        if let member = call.calledExpression.as(MemberAccessExprSyntax.self),
            member.base?.as(DeclReferenceExprSyntax.self)?.baseName.tokenKind == .keyword(.self)
        {
            return member.declName.baseName.text
        }
        return nil
    }

    /// Whether every throwing await in `node` is a sleep (`try await Task.sleep(…)`, `clock.sleep(…)`).
    static func onlySleepsThrow(_ node: some SyntaxProtocol) -> Bool {
        var sawSleep = false
        let other = contains(node) { candidate in
            guard isThrowingAwait(candidate) else { return false }
            if let tryExpr = candidate.as(TryExprSyntax.self),
                let awaitExpr = tryExpr.expression.as(AwaitExprSyntax.self),
                let call = awaitExpr.expression.as(FunctionCallExprSyntax.self), calleeName(call) == "sleep"
            {
                sawSleep = true
                return false
            }
            return true
        }
        return sawSleep && !other
    }

    static func isAwait(_ node: Syntax) -> Bool {
        if node.is(AwaitExprSyntax.self) { return true }
        if let forStmt = node.as(ForStmtSyntax.self) { return forStmt.awaitKeyword != nil }
        return false
    }

    static func containsAwait(_ node: some SyntaxProtocol) -> Bool {
        contains(node, where: isAwait)
    }

    /// The APIs that read or check a task's cancellation: `Task.isCancelled` (and any `isCancelled`
    /// property), `Task.checkCancellation()`, the `CancellationError` type, `withTaskCancellationHandler`,
    /// and `isCancellation` (how gRPC and others ask whether an error is a cancellation).
    static let cancellationCheckAPIs: Set<String> = [
        "isCancelled", "checkCancellation", "CancellationError", "withTaskCancellationHandler", "isCancellation",
    ]

    /// Whether `node` reads or checks cancellation through one of ``cancellationCheckAPIs``. A variable of
    /// the program's own whose name merely contains "cancel" (`cancelRequested = false`) checks nothing.
    static func mentionsCancellationCheck(_ node: some SyntaxProtocol) -> Bool {
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let text) = token.tokenKind else { continue }
            if cancellationCheckAPIs.contains(text) { return true }
        }
        return false
    }

    /// Like ``mentionsCancellationCheck(_:)`` but also counts cancelling something (`task.cancel()`).
    static func mentionsCancellation(_ node: some SyntaxProtocol) -> Bool {
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let text) = token.tokenKind else { continue }
            if containsCancel(text) { return true }
        }
        return false
    }

    static func containsCancel(_ text: String) -> Bool {
        // Case-insensitive search for "cancel" without allocating.
        let needle: [UInt8] = Array("cancel".utf8)
        let bytes = text.utf8
        guard bytes.count >= needle.count else { return false }
        var index = bytes.startIndex
        while bytes.distance(from: index, to: bytes.endIndex) >= needle.count {
            var matched = true
            var probe = index
            for expected in needle {
                var byte = bytes[probe]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != expected {
                    matched = false
                    break
                }
                probe = bytes.index(after: probe)
            }
            if matched { return true }
            index = bytes.index(after: index)
        }
        return false
    }

    /// The last name of a called expression: `foo` for `foo()`, `sleep` for `Task.sleep(…)`.
    static func calleeName(_ call: FunctionCallExprSyntax) -> String? {
        name(of: call.calledExpression)
    }

    static func name(of expression: ExprSyntax) -> String? {
        if let ref = expression.as(DeclReferenceExprSyntax.self) { return ref.baseName.text }
        if let member = expression.as(MemberAccessExprSyntax.self) { return member.declName.baseName.text }
        if let specialized = expression.as(GenericSpecializationExprSyntax.self) {
            return name(of: specialized.expression)
        }
        return nil
    }

    static func calleeBaseText(_ call: FunctionCallExprSyntax) -> String? {
        call.calledExpression.as(MemberAccessExprSyntax.self)?.base?.trimmedDescription
    }

    /// `true` as a literal.
    static func isTrueLiteral(_ expression: ExprSyntax) -> Bool {
        var expression = expression
        while let tuple = expression.as(TupleExprSyntax.self), tuple.elements.count == 1,
            let only = tuple.elements.first
        {
            expression = only.expression
        }
        if let literal = expression.as(BooleanLiteralExprSyntax.self) {
            return literal.literal.tokenKind == .keyword(.true)
        }
        return false
    }

    /// The condition of an endless `while true` or `repeat { } while true` loop; nil for other loops.
    static func isLiterallyEndless(_ loop: Syntax) -> Bool {
        if let whileStmt = loop.as(WhileStmtSyntax.self) {
            guard whileStmt.conditions.count == 1, let only = whileStmt.conditions.first,
                case .expression(let expression) = only.condition
            else { return false }
            return isTrueLiteral(expression)
        }
        if let repeatStmt = loop.as(RepeatStmtSyntax.self) {
            return isTrueLiteral(repeatStmt.condition)
        }
        return false
    }

    /// Whether the body of code around `node` (the nearest function, accessor or closure) is asynchronous.
    static func isInAsyncContext(_ node: some SyntaxProtocol) -> Bool {
        var current = node.parent
        while let candidate = current {
            switch candidate.kind {
            case .functionDecl:
                return candidate.as(FunctionDeclSyntax.self)?.signature.effectSpecifiers?.asyncSpecifier != nil
            case .initializerDecl:
                return candidate.as(InitializerDeclSyntax.self)?.signature.effectSpecifiers?.asyncSpecifier != nil
            case .accessorDecl:
                return candidate.as(AccessorDeclSyntax.self)?.effectSpecifiers?.asyncSpecifier != nil
            case .deinitializerDecl, .subscriptDecl:
                return false
            case .closureExpr:
                let closure = candidate.as(ClosureExprSyntax.self)!
                if closure.signature?.effectSpecifiers?.asyncSpecifier != nil { return true }
                if isTaskStartingClosure(closure) { return true }
                return containsAwait(closure.statements)
            case .sourceFile:
                return false
            default:
                current = candidate.parent
            }
        }
        return false
    }

    /// The call a closure is an argument (or trailing closure) of.
    static func callTaking(_ closure: ClosureExprSyntax) -> (call: FunctionCallExprSyntax, label: String?)? {
        guard let parent = closure.parent else { return nil }
        if let call = parent.as(FunctionCallExprSyntax.self) { return (call, nil) }
        if let labeled = parent.as(LabeledExprSyntax.self),
            let call = labeled.parent?.parent?.as(FunctionCallExprSyntax.self)
        {
            return (call, labeled.label?.text)
        }
        if let trailing = parent.as(MultipleTrailingClosureElementSyntax.self),
            let call = trailing.parent?.parent?.as(FunctionCallExprSyntax.self)
        {
            return (call, trailing.label.text)
        }
        return nil
    }

    static func isTaskStartingClosure(_ closure: ClosureExprSyntax) -> Bool {
        guard let (call, _) = callTaking(closure), let name = calleeName(call) else { return false }
        return name == "Task" || name == "detached" || name == "addTask" || name == "addTaskUnlessCancelled"
            || name == "addDiscardingTask" || name == "addDiscardingTaskUnlessCancelled"
    }

    /// Whether the last statement of `body` records a test failure (`XCTFail(…)`, `Issue.record(…)`,
    /// `#expect(Bool(false))`): the code before it is expected to throw.
    static func endsWithTestFailure(_ body: CodeBlockSyntax) -> Bool {
        guard let last = body.statements.last else { return false }
        var expression = last.item.as(ExprSyntax.self)
        if let tryExpr = expression?.as(TryExprSyntax.self) { expression = tryExpr.expression }
        if let call = expression?.as(FunctionCallExprSyntax.self), let name = calleeName(call) {
            return name == "XCTFail" || (name == "record" && calleeBaseText(call) == "Issue")
        }
        if let macro = last.item.as(MacroExpansionExprSyntax.self) ?? expression?.as(MacroExpansionExprSyntax.self),
            macro.macroName.text == "expect" || macro.macroName.text == "require"
        {
            let argument = macro.arguments.first?.expression.trimmedDescription.filter { !$0.isWhitespace }
            return argument == "Bool(false)" || argument == "false"
        }
        return false
    }

    /// Whether `node` runs in the closure of an unstructured task whose handle is discarded
    /// (`Task { … }` or `Task.detached { … }` as a statement): nothing can cancel that task. (A loop that
    /// never ends there is `unowned-endless-task`'s business.)
    static func isInDiscardedTask(_ node: some SyntaxProtocol) -> Bool {
        var current = node.parent
        while let candidate = current {
            if let closure = candidate.as(ClosureExprSyntax.self) {
                guard let (call, _) = callTaking(closure) else { return false }
                let callee = call.calledExpression
                let isTask: Bool
                if let reference = callee.as(DeclReferenceExprSyntax.self) {
                    isTask = reference.baseName.text == "Task"
                } else if let member = callee.as(MemberAccessExprSyntax.self), let base = member.base?.as(DeclReferenceExprSyntax.self) {
                    isTask = base.baseName.text == "Task" && member.declName.baseName.text == "detached"
                } else {
                    isTask = false
                }
                guard isTask, let item = discardedStatement(call) else { return false }
                return !isImplicitlyReturned(item)
            }
            if isCodeBoundary(candidate) { return false }
            current = candidate.parent
        }
        return false
    }

    /// Whether `item` may be the value its body returns: the only statement of a closure, or of a function,
    /// accessor or getter that returns something.
    static func isImplicitlyReturned(_ item: CodeBlockItemSyntax) -> Bool {
        guard let list = item.parent?.as(CodeBlockItemListSyntax.self), list.count == 1 else { return false }
        if list.parent?.is(ClosureExprSyntax.self) == true { return true }
        guard let owner = list.parent?.as(CodeBlockSyntax.self)?.parent else { return list.parent?.is(AccessorBlockSyntax.self) == true }
        if let function = owner.as(FunctionDeclSyntax.self) { return function.signature.returnClause != nil }
        return owner.is(AccessorDeclSyntax.self) || owner.is(PatternBindingSyntax.self)
    }

    /// The flags `node` sets to a Boolean literal (`running = false`, `self.stopped = true`), with the value,
    /// not counting nested closures; a flag set to both counts as neither.
    static func literalAssignments(in node: some SyntaxProtocol) -> [String: Bool] {
        var result: [String: Bool] = [:]
        var conflicting: Set<String> = []
        func note(_ target: ExprSyntax, _ value: ExprSyntax) {
            guard let literal = value.as(BooleanLiteralExprSyntax.self) else { return }
            let name: String?
            if let reference = target.as(DeclReferenceExprSyntax.self) {
                name = reference.baseName.text
            } else if let member = target.as(MemberAccessExprSyntax.self), member.base?.trimmedDescription == "self" {
                name = member.declName.baseName.text
            } else {
                name = nil
            }
            guard let name else { return }
            let flag = literal.literal.tokenKind == .keyword(.true)
            if let earlier = result[name], earlier != flag { conflicting.insert(name) }
            result[name] = flag
        }
        _ = contains(node) { candidate in
            if let list = candidate.as(ExprListSyntax.self) {
                let elements = Array(list)
                if elements.count == 3, elements[1].is(AssignmentExprSyntax.self) { note(elements[0], elements[2]) }
            }
            if let infix = candidate.as(InfixOperatorExprSyntax.self), infix.operator.is(AssignmentExprSyntax.self) {
                note(infix.leftOperand, infix.rightOperand)
            }
            return false
        }
        for name in conflicting { result[name] = nil }
        return result
    }

    /// The names declared with `let`/`var` in the blocks around `item`, before it, up to its function or
    /// closure.
    static func localNames(declaredBefore item: CodeBlockItemSyntax) -> Set<String> {
        var names: Set<String> = []
        var current: Syntax? = Syntax(item)
        while let node = current {
            if let list = node.parent?.as(CodeBlockItemListSyntax.self), let here = node.as(CodeBlockItemSyntax.self) {
                for statement in list {
                    if statement.id == here.id { break }
                    if let variable = statement.item.as(VariableDeclSyntax.self) {
                        for binding in variable.bindings {
                            if let identifier = binding.pattern.as(IdentifierPatternSyntax.self) { names.insert(identifier.identifier.text) }
                        }
                    }
                }
            }
            if let parent = node.parent, isCodeBoundary(parent) { break }
            current = node.parent
        }
        names.remove("self")
        return names
    }

    /// The names assigned in `node` (`name = …`, `self.name = …`), not counting nested closures.
    static func assignedNames(in node: some SyntaxProtocol) -> Set<String> {
        var names: Set<String> = []
        _ = contains(node) { candidate in
            if let list = candidate.as(ExprListSyntax.self) {
                let elements = Array(list)
                if elements.count >= 3, elements[1].is(AssignmentExprSyntax.self) {
                    if let reference = elements[0].as(DeclReferenceExprSyntax.self) { names.insert(reference.baseName.text) }
                    if let member = elements[0].as(MemberAccessExprSyntax.self) { names.insert(member.declName.baseName.text) }
                }
            }
            if let infix = candidate.as(InfixOperatorExprSyntax.self), infix.operator.is(AssignmentExprSyntax.self) {
                if let reference = infix.leftOperand.as(DeclReferenceExprSyntax.self) { names.insert(reference.baseName.text) }
                if let member = infix.leftOperand.as(MemberAccessExprSyntax.self) { names.insert(member.declName.baseName.text) }
            }
            return false
        }
        return names
    }

    /// The names referred to in `node` (`x`, and the base `x` of `x.y`), as written.
    static func referencedNames(in node: some SyntaxProtocol) -> Set<String> {
        var names: Set<String> = []
        _ = contains(node, crossingBoundaries: true) { candidate in
            if let reference = candidate.as(DeclReferenceExprSyntax.self) { names.insert(reference.baseName.text) }
            if let member = candidate.as(MemberAccessExprSyntax.self), let base = member.base { names.insert(base.trimmedDescription) }
            return false
        }
        return names
    }

    /// Whether `node` is in a function, initializer or accessor that throws untyped errors (`throws`, not
    /// `throws(E)` or `rethrows`), with no closure in between: where `try` and `throw error` compile.
    static func isInUntypedThrowingFunction(_ node: some SyntaxProtocol) -> Bool {
        var current = node.parent
        while let candidate = current {
            let clause: ThrowsClauseSyntax?
            switch candidate.kind {
            case .closureExpr, .deinitializerDecl, .subscriptDecl, .deferStmt:
                return false
            case .functionDecl:
                clause = candidate.as(FunctionDeclSyntax.self)!.signature.effectSpecifiers?.throwsClause
            case .initializerDecl:
                clause = candidate.as(InitializerDeclSyntax.self)!.signature.effectSpecifiers?.throwsClause
            case .accessorDecl:
                clause = candidate.as(AccessorDeclSyntax.self)!.effectSpecifiers?.throwsClause
            case .sourceFile:
                return false
            default:
                current = candidate.parent
                continue
            }
            guard let clause, clause.throwsSpecifier.tokenKind == .keyword(.throws) else { return false }
            guard let type = clause.type else { return true }
            let name = type.trimmedDescription.filter { !$0.isWhitespace }
            return name == "anyError" || name == "Error" || name == "(anyError)"
        }
        return false
    }

    /// The APIs that hide cancellation from their block by design.
    static let shieldFunctions: Set<String> = ["withCancellationShield", "withTaskCancellationShield"]

    /// XCTest's teardown methods, which run after a test whatever happened in it.
    static let testTeardownMethods: Set<String> = ["tearDown", "tearDownWithError"]

    /// Code that runs as teardown, by its structure: `defer` blocks, `deinit`, `onCancel:` handlers,
    /// cancellation shields (`withCancellationShield { … }`), an XCTest `tearDown` override, and — with the
    /// file's ``FileFacts`` — a function of the file that is called only from such places. A function's name
    /// says nothing: `stop()` may well run an endless loop.
    static func isInTeardown(_ node: some SyntaxProtocol, facts: FileFacts?) -> Bool {
        var current = node.parent
        while let candidate = current {
            switch candidate.kind {
            case .deferStmt, .deinitializerDecl:
                return true
            case .closureExpr:
                if let (call, label) = callTaking(candidate.as(ClosureExprSyntax.self)!) {
                    if label == "onCancel" { return true }
                    if let name = calleeName(call), shieldFunctions.contains(name) { return true }
                }
            case .functionDecl:
                let function = candidate.as(FunctionDeclSyntax.self)!
                if testTeardownMethods.contains(function.name.text),
                    function.modifiers.contains(where: { $0.name.tokenKind == .keyword(.override) })
                {
                    return true
                }
                if let facts, facts.calledOnlyFromTeardown.contains(function.name.text) { return true }
                // A nested function is judged by where it is called, not by where it is declared.
                return false
            default:
                break
            }
            current = candidate.parent
        }
        return false
    }

    /// The statement (code block item) a node is, when its value is unused: `expr` or `_ = expr`.
    static func discardedStatement(_ expression: some ExprSyntaxProtocol) -> CodeBlockItemSyntax? {
        guard let parent = expression.parent else { return nil }
        if let item = parent.as(CodeBlockItemSyntax.self) { return item }
        if let list = parent.as(ExprListSyntax.self), let sequence = list.parent?.as(SequenceExprSyntax.self),
            list.count == 3,
            list.first?.is(DiscardAssignmentExprSyntax.self) == true,
            list.dropFirst().first?.is(AssignmentExprSyntax.self) == true,
            let item = sequence.parent?.as(CodeBlockItemSyntax.self)
        {
            return item
        }
        if let infix = parent.as(InfixOperatorExprSyntax.self), infix.leftOperand.is(DiscardAssignmentExprSyntax.self),
            let item = infix.parent?.as(CodeBlockItemSyntax.self)
        {
            return item
        }
        return nil
    }

    /// The statements after `item` in its block.
    static func statementsAfter(_ item: CodeBlockItemSyntax) -> [CodeBlockItemSyntax] {
        guard let list = item.parent?.as(CodeBlockItemListSyntax.self) else { return [] }
        var result: [CodeBlockItemSyntax] = []
        var found = false
        for statement in list {
            if found {
                result.append(statement)
            } else if statement.id == item.id {
                found = true
            }
        }
        return result
    }

    /// The loop whose body directly holds `list`'s code block, if any.
    static func loopOwning(_ list: CodeBlockItemListSyntax) -> Syntax? {
        guard let block = list.parent?.as(CodeBlockSyntax.self), let owner = block.parent else { return nil }
        switch owner.kind {
        case .whileStmt, .repeatStmt, .forStmt: return owner
        default: return nil
        }
    }

    /// Whether a loop stops by itself once its task is cancelled: it awaits in its condition or sequence
    /// (`while let x = await next()`, `for await`), or it mentions cancellation anywhere.
    static func loopNoticesCancellation(_ loop: Syntax) -> Bool {
        if let whileStmt = loop.as(WhileStmtSyntax.self) {
            if containsAwait(whileStmt.conditions) || whileStmt.conditions.contains(where: { isAwait(Syntax($0)) }) {
                return true
            }
        } else if let repeatStmt = loop.as(RepeatStmtSyntax.self) {
            if containsAwait(repeatStmt.condition) { return true }
        } else if let forStmt = loop.as(ForStmtSyntax.self) {
            if forStmt.awaitKeyword != nil { return true }
        }
        return mentionsCancellationCheck(loop)
    }

    static let terminatingFunctions: Set<String> = [
        "fatalError", "preconditionFailure", "exit", "abort", "_exit",
    ]

    /// Whether `body` contains a statement that leaves `loop`: `return`, `throw`, a `break` that targets it
    /// (or any labelled `break`), a call to `fatalError`/`exit`, or a plain `try` (which can throw out).
    static func canLeaveLoop(_ body: some SyntaxProtocol, countTry: Bool) -> Bool {
        func visit(_ node: Syntax, breakableDepth: Int) -> Bool {
            for child in node.children(viewMode: .sourceAccurate) {
                if isCodeBoundary(child) { continue }
                switch child.kind {
                case .returnStmt, .throwStmt:
                    return true
                case .breakStmt:
                    if child.as(BreakStmtSyntax.self)?.label != nil || breakableDepth == 0 { return true }
                case .tryExpr:
                    if countTry && child.as(TryExprSyntax.self)?.questionOrExclamationMark == nil { return true }
                case .functionCallExpr:
                    if let name = calleeName(child.as(FunctionCallExprSyntax.self)!),
                        terminatingFunctions.contains(name)
                    {
                        return true
                    }
                default:
                    break
                }
                let nested: Bool
                switch child.kind {
                case .whileStmt, .repeatStmt, .forStmt, .switchExpr: nested = true
                default: nested = false
                }
                if visit(child, breakableDepth: breakableDepth + (nested ? 1 : 0)) { return true }
            }
            return false
        }
        return visit(Syntax(body), breakableDepth: 0)
    }
}
