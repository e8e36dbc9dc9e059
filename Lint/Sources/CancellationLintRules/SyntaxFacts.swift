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
    static func isCancellableThrowingAwait(_ node: Syntax) -> Bool {
        guard isThrowingAwait(node) else { return false }
        if let tryExpr = node.as(TryExprSyntax.self), let awaitExpr = tryExpr.expression.as(AwaitExprSyntax.self),
            let call = awaitExpr.expression.as(FunctionCallExprSyntax.self),
            calleeName(call) == "get", call.arguments.isEmpty, call.trailingClosure == nil,
            call.calledExpression.is(MemberAccessExprSyntax.self)
        {
            return false
        }
        return true
    }

    static func containsCancellableThrowingAwait(_ node: some SyntaxProtocol) -> Bool {
        contains(node, where: isCancellableThrowingAwait)
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

    /// Whether any identifier in `node` refers to cancellation state or checks it (`Task.isCancelled`,
    /// `checkCancellation()`, `CancellationError`, `isCancellation…`, `cancelled` flags, …).
    /// Plain calls to `cancel()`/`cancelAll()` do not count: they cancel something else, they check nothing.
    static func mentionsCancellationCheck(_ node: some SyntaxProtocol) -> Bool {
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let text) = token.tokenKind else { continue }
            if text == "cancel" || text == "cancelAll" { continue }
            if containsCancel(text) { return true }
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

    /// Words (of a camelCase name) that mark cleanup rather than new work.
    static let cleanupWords: Set<String> = [
        "shutdown", "close", "cleanup", "teardown", "stop", "dispose", "terminate", "cancel", "disconnect",
        "finish", "flush", "release", "invalidate",
    ]

    /// Words (of a camelCase function name) that mark a shutdown or cleanup path.
    static let shutdownWords: Set<String> = [
        "shutdown", "close", "cleanup", "teardown", "stop", "dispose", "terminate", "cancel", "cancellation",
        "disconnect", "deinit",
    ]

    /// The lowercased words of a camelCase or snake_case name, with `shut down`, `clean up` and `tear down`
    /// joined: `gracefulShutdown` → `graceful`, `shutdown`; `tearDown` → `teardown`.
    static func camelCaseWords(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in name {
            if character == "_" {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else if character.isUppercase, !current.isEmpty, current.last?.isUppercase == false {
                words.append(current)
                current = String(character)
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        var joined: [String] = []
        for word in words.map({ $0.lowercased() }) {
            if let last = joined.last, word == "down" && (last == "shut" || last == "tear") || word == "up" && last == "clean" {
                joined[joined.count - 1] = last + word
            } else {
                joined.append(word)
            }
        }
        return joined
    }

    /// Whether a name contains one of `words` as a whole camelCase word, allowing the inflections
    /// `-s`, `-es`, `-ed` and `-ing` (`stops`, `closed`, `stopping`, `cancelled` match `stop`, `close`,
    /// `cancel`; `cancellable` and `failures` do not match `cancel` and `fail`).
    static func nameHasWord(_ name: String, in words: Set<String>) -> Bool {
        camelCaseWords(name).contains { word in
            if words.contains(word) { return true }
            for suffix in ["ing", "ed", "es", "s"] where word.hasSuffix(suffix) && word.count > suffix.count + 2 {
                let stem = String(word.dropLast(suffix.count))
                if words.contains(stem) || words.contains(stem + "e") { return true }
                if let last = stem.last, stem.dropLast().last == last, words.contains(String(stem.dropLast())) {
                    return true
                }
            }
            return false
        }
    }

    /// Code that runs while shutting down or cleaning up: `defer` blocks, `onCancel:` handlers, cancellation
    /// shields (`withCancellationShield { … }`), `deinit`, and functions whose names say they shut something
    /// down (`shutdown`, `close`, `stop`, `tearDown`, …).
    static func isInShutdownPath(_ node: some SyntaxProtocol) -> Bool {
        var current = node.parent
        while let candidate = current {
            switch candidate.kind {
            case .deferStmt, .deinitializerDecl:
                return true
            case .closureExpr:
                if let (call, label) = callTaking(candidate.as(ClosureExprSyntax.self)!) {
                    if label == "onCancel" { return true }
                    // `withCancellationShield { … }` and similar: cancellation is hidden from the block by design.
                    if let name = calleeName(call), nameHasWord(name, in: ["shield", "shielded"]) { return true }
                }
            case .functionDecl:
                if nameHasWord(candidate.as(FunctionDeclSyntax.self)!.name.text, in: shutdownWords) { return true }
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
