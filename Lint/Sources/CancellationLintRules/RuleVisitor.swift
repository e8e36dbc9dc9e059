import SwiftSyntax

/// A finding before its position is turned into a line and column.
struct RawFinding {
    var rule: RuleID
    var position: AbsolutePosition
    var message: String
    /// The mechanical change that removes the finding, where there is one.
    var fix: Fix?
}

enum Messages {
    static let rethrowFirst = "rethrow cancellation first (`catch let error as CancellationError { throw error }`)"

    static let swallowedLoop =
        "catch-all swallows CancellationError inside a loop that never checks for cancellation, so the loop keeps running after its task is cancelled (forever, if nothing else ends it); fix: \(rethrowFirst), or `try Task.checkCancellation()` in the loop"
    static let trySleep =
        "`try?` discards the CancellationError of this sleep and the code after it runs as if the whole delay had passed; fix: use `try await` and let cancellation propagate, or check `Task.isCancelled` right after the sleep"
    static let tryCheckCancellation =
        "`try? Task.checkCancellation()` discards the error it exists to throw, so it does nothing; fix: use `try Task.checkCancellation()`, or `if Task.isCancelled { … }` to clean up and leave"
    static let fallbackValue =
        "catch-all returns a fallback value when the task is cancelled, so cancellation looks like success or 'not found'; fix: \(rethrowFirst), or check `Task.isCancelled` before returning a fallback"
    static let fallThrough =
        "catch-all swallows CancellationError and execution falls through to more awaits as if nothing had happened; fix: \(rethrowFirst), or leave the scope when `Task.isCancelled`"
    static let remapped =
        "catch-all throws a different error in place of CancellationError, so callers can no longer recognise cancellation; fix: \(rethrowFirst) before wrapping other errors"
    static let continuedThenReturns =
        "catch-all answers CancellationError with `continue`, so once the task is cancelled every remaining element fails at once and the code after the loop returns a value as if all had been processed; fix: \(rethrowFirst), or `try Task.checkCancellation()` after the loop"
    static let continuedThenAwaits =
        "catch-all answers CancellationError with `continue`, so once the task is cancelled every remaining element fails at once and the code after the loop goes on to more awaits; fix: \(rethrowFirst), or `try Task.checkCancellation()` after the loop"
    static let uncancellableLoop =
        "endless loop in async code has no throwing await and no cancellation check, so cancelling its task cannot stop it; fix: add `try Task.checkCancellation()` to the body or loop `while !Task.isCancelled`"
    static let unownedTask =
        "the handle of this Task is discarded and its body loops forever, so nobody can ever cancel it; fix: keep the Task in a property and cancel it on shutdown, or run the loop in structured concurrency (a task group or the caller's own task)"
}

/// One pass over a file that evaluates every enabled rule.
final class RuleVisitor: SyntaxVisitor {
    let enabled: Set<RuleID>
    /// What the file's own declarations say (its quiet functions, its teardown functions).
    let facts: FileFacts
    /// The file's bytes when fixes are wanted (they need the indentation of lines), else `nil`.
    let sourceForFixes: [UInt8]?
    var wantsFixes: Bool { sourceForFixes != nil }
    var findings: [RawFinding] = []

    init(enabled: Set<RuleID>, facts: FileFacts = FileFacts(), sourceForFixes: [UInt8]? = nil) {
        self.enabled = enabled
        self.facts = facts
        self.sourceForFixes = sourceForFixes
        super.init(viewMode: .sourceAccurate)
    }

    private func catchFix(_ clause: CatchClauseSyntax) -> Fix? {
        sourceForFixes.flatMap { Fix.rethrowingCancellation(before: clause, source: $0) }
    }

    private func report(_ rule: RuleID, at position: AbsolutePosition, _ message: String, fix: @autoclosure () -> Fix? = nil) {
        guard enabled.contains(rule) else { return }
        findings.append(RawFinding(rule: rule, position: position, message: message, fix: wantsFixes ? fix() : nil))
    }

    // MARK: Rules 1, 4, 5 — catch-alls

    override func visit(_ node: DoStmtSyntax) -> SyntaxVisitorContinueKind {
        guard !node.catchClauses.isEmpty,
            enabled.contains(.swallowedCancellationLoop) || enabled.contains(.catchAllFallback)
                || enabled.contains(.cancellationRemapped)
        else { return .visitChildren }
        guard SyntaxFacts.containsCancellableThrowingAwait(node.body, facts: facts) else { return .visitChildren }
        for (index, clause) in node.catchClauses.enumerated() {
            guard let catchAll = CatchAnalysis.catchAll(clause) else { continue }
            checkCatchAll(clause, catchAll, index: index, in: node)
            break
        }
        return .visitChildren
    }

    private func checkCatchAll(_ clause: CatchClauseSyntax, _ catchAll: CatchAllClause, index: Int, in doStmt: DoStmtSyntax) {
        if CatchAnalysis.earlierClauseHandlesCancellation(doStmt.catchClauses, before: index) { return }
        if SyntaxFacts.isInTeardown(doStmt, facts: facts) { return }
        let facts = CatchAnalysis.analyze(handler: clause.body, errorName: catchAll.errorName)
        if facts.checksCancellation || facts.errorEscapes || facts.reportsTestFailure { return }
        // `do { try await f(); XCTFail("expected an error") } catch {}`: a test that expects an error.
        if SyntaxFacts.endsWithTestFailure(doStmt.body) { return }
        let position = clause.catchKeyword.positionAfterSkippingLeadingTrivia
        if facts.throwsDifferentError && !facts.rethrowsOriginal {
            report(.cancellationRemapped, at: position, Messages.remapped, fix: catchFix(clause))
            return
        }
        if facts.canThrow { return }
        // `do { try await Task.sleep(…) } catch { return }`: only the sleep can throw, so the catch-all
        // catches exactly the cancellation, and leaving the scope is the right reaction to it.
        if facts.leavesScope && SyntaxFacts.onlySleepsThrow(doStmt.body) { return }
        // `AsyncIteratorProtocol.next()` ends the sequence with `nil` on cancellation by convention.
        if facts.returnsFallbackValue && isInIteratorNext(doStmt) && returnsOnlyNil(clause.body) { return }

        if let loop = endlessLoop(around: doStmt), !facts.leavesScope {
            // `while running { … } catch { running = false }`: the handler ends the loop through its condition.
            if !handlerEndsLoop(clause.body, loop: loop) {
                report(.swallowedCancellationLoop, at: position, Messages.swallowedLoop, fix: catchFix(clause))
            }
            return
        }
        // Outside a loop: cancellation cannot reach a task nobody holds (`Task { … }` whose handle is
        // discarded), so the catch-all never sees one.
        if SyntaxFacts.isInDiscardedTask(doStmt) { return }
        if facts.returnsFallbackValue {
            report(.catchAllFallback, at: position, Messages.fallbackValue, fix: catchFix(clause))
            return
        }
        // `for x in xs { do { … } catch { continue } }` and then a value: on cancellation every remaining
        // element fails at once, and the function returns as if it had gone through them all.
        if facts.continues && !facts.leavesScope, let loop = continuedForLoop(from: doStmt),
            let loopItem = loop.parent?.as(CodeBlockItemSyntax.self)
        {
            switch continuation(after: loopItem) {
            case .awaits:
                report(.catchAllFallback, at: position, Messages.continuedThenAwaits, fix: catchFix(clause))
            case .returnsValue:
                report(.catchAllFallback, at: position, Messages.continuedThenReturns, fix: catchFix(clause))
            case .nothing:
                break
            }
            return
        }
        if !facts.leavesScope && !facts.continues, let item = doStmt.parent?.as(CodeBlockItemSyntax.self) {
            switch continuation(after: item) {
            case .awaits:
                // `do { try await client.run() } catch { log }; try await client.shutdown()`: what follows only
                // releases what the block used, once each, to the end of the function — a `finally`.
                if !isReleaseTail(after: item, of: doStmt) {
                    report(.catchAllFallback, at: position, Messages.fallThrough, fix: catchFix(clause))
                }
            case .returnsValue:
                report(.catchAllFallback, at: position, Messages.fallbackValue, fix: catchFix(clause))
            case .nothing:
                break
            }
        }
    }

    /// The `for`-`in` loop (not `for await`) that a `continue` in `doStmt`'s handler goes on with: the
    /// nearest enclosing loop of the same function or closure, when it is one.
    private func continuedForLoop(from doStmt: DoStmtSyntax) -> ForStmtSyntax? {
        guard let loop = enclosingLoop(of: doStmt), let forStmt = loop.as(ForStmtSyntax.self), forStmt.awaitKeyword == nil else {
            return nil
        }
        return forStmt
    }

    /// Whether `handler` assigns a variable that the condition of `loop` (a `while` loop) reads, so the loop
    /// ends by its condition.
    private func handlerEndsLoop(_ handler: CodeBlockSyntax, loop: Syntax) -> Bool {
        // The condition is one flag, `running` or `!stopped`; the handler sets it to the literal that ends
        // the loop (`running = false`, `stopped = true`).
        guard let whileStmt = loop.as(WhileStmtSyntax.self), whileStmt.conditions.count == 1,
            case .expression(let condition) = whileStmt.conditions.first!.condition
        else { return false }
        let flag: String
        let ending: Bool
        if let reference = condition.as(DeclReferenceExprSyntax.self) {
            (flag, ending) = (reference.baseName.text, false)
        } else if let member = condition.as(MemberAccessExprSyntax.self), member.base?.trimmedDescription == "self" {
            (flag, ending) = (member.declName.baseName.text, false)
        } else if let prefix = condition.as(PrefixOperatorExprSyntax.self), prefix.operator.text == "!",
            let name = SyntaxFacts.name(of: prefix.expression)
        {
            (flag, ending) = (name, true)
        } else {
            return false
        }
        return SyntaxFacts.literalAssignments(in: handler)[flag] == ending
    }

    /// Whether every statement after `item`, to the end of its function or closure, is a call (perhaps
    /// awaited or tried) whose value is discarded, on a receiver that `doStmt`'s block used, with no
    /// receiver called twice: the resources the block worked with, released.
    private func isReleaseTail(after item: CodeBlockItemSyntax, of doStmt: DoStmtSyntax) -> Bool {
        // Only the end of a function or closure body: no enclosing block whose code would run afterwards.
        guard let list = item.parent?.as(CodeBlockItemListSyntax.self) else { return false }
        let owner = list.parent
        guard owner?.is(ClosureExprSyntax.self) == true
            || owner?.as(CodeBlockSyntax.self)?.parent.map({ SyntaxFacts.isCodeBoundary($0) }) == true
        else { return false }
        // Receivers declared in the same body before the `do` (locals and parameters of closures are not
        // counted: only `let`/`var` declarations), never `self`, which stands for everything.
        let locals = SyntaxFacts.localNames(declaredBefore: item)
        let used = SyntaxFacts.referencedNames(in: doStmt.body).intersection(locals)
        var released: Set<String> = []
        let tail = SyntaxFacts.statementsAfter(item)
        guard !tail.isEmpty else { return false }
        for statement in tail {
            guard var expression = statement.item.as(ExprSyntax.self) else { return false }
            if let tryExpr = expression.as(TryExprSyntax.self) { expression = tryExpr.expression }
            if let awaitExpr = expression.as(AwaitExprSyntax.self) { expression = awaitExpr.expression }
            if let tryExpr = expression.as(TryExprSyntax.self) { expression = tryExpr.expression }
            guard let call = expression.as(FunctionCallExprSyntax.self) else { return false }
            if CatchAnalysis.isLoggingCall(call) { continue }
            guard let member = call.calledExpression.as(MemberAccessExprSyntax.self),
                let receiver = member.base?.trimmedDescription, used.contains(receiver),
                released.insert(receiver).inserted
            else { return false }
        }
        return true
    }

    private func isInIteratorNext(_ node: some SyntaxProtocol) -> Bool {
        var current = node.parent
        while let candidate = current {
            if let function = candidate.as(FunctionDeclSyntax.self) { return function.name.text == "next" }
            if candidate.is(ClosureExprSyntax.self) { return false }
            current = candidate.parent
        }
        return false
    }

    private func returnsOnlyNil(_ body: CodeBlockSyntax) -> Bool {
        !SyntaxFacts.contains(body) { node in
            guard let returnStmt = node.as(ReturnStmtSyntax.self), let value = returnStmt.expression else {
                return false
            }
            return !value.is(NilLiteralExprSyntax.self)
        }
    }

    /// The nearest enclosing `while`/`repeat` loop (in the same function or closure) that would keep running
    /// after cancellation: it neither awaits in its condition nor mentions cancellation.
    private func endlessLoop(around node: some SyntaxProtocol) -> Syntax? {
        var child = Syntax(node)
        var current = node.parent
        while let candidate = current {
            if SyntaxFacts.isCodeBoundary(candidate) { return nil }
            switch candidate.kind {
            case .whileStmt:
                let loop = candidate.as(WhileStmtSyntax.self)!
                if loop.body.id == child.id {
                    return SyntaxFacts.loopNoticesCancellation(candidate) ? nil : candidate
                }
            case .repeatStmt:
                let loop = candidate.as(RepeatStmtSyntax.self)!
                if loop.body.id == child.id {
                    return SyntaxFacts.loopNoticesCancellation(candidate) ? nil : candidate
                }
            case .forStmt:
                if candidate.as(ForStmtSyntax.self)!.awaitKeyword != nil { return nil }
            default:
                break
            }
            child = candidate
            current = candidate.parent
        }
        return nil
    }

    private enum Continuation {
        case awaits, returnsValue, nothing
    }

    /// What runs after `item` when it completes normally, up to the end of the enclosing function, closure or
    /// loop body.
    private func continuation(after item: CodeBlockItemSyntax) -> Continuation {
        var item = item
        while true {
            for statement in SyntaxFacts.statementsAfter(item) {
                if containsWorkAwait(statement) {
                    return .awaits
                }
                if let returnStmt = statement.item.as(ReturnStmtSyntax.self) {
                    return returnStmt.expression == nil ? .nothing : .returnsValue
                }
                if statement.item.is(ThrowStmtSyntax.self) { return .nothing }
            }
            // Climb out of `if`/`do`/`guard` blocks, but not out of loops, closures or functions.
            guard let list = item.parent?.as(CodeBlockItemListSyntax.self),
                let block = list.parent?.as(CodeBlockSyntax.self),
                SyntaxFacts.loopOwning(list) == nil
            else { return .nothing }
            var ancestor = block.parent
            var enclosingItem: CodeBlockItemSyntax?
            while let node = ancestor {
                if SyntaxFacts.isCodeBoundary(node) { return .nothing }
                if let found = node.as(CodeBlockItemSyntax.self) {
                    enclosingItem = found
                    break
                }
                ancestor = node.parent
            }
            guard let next = enclosingItem else { return .nothing }
            item = next
        }
    }

    /// Whether a statement awaits more work: any await but that of a logging call (`await logger.debug(…)`),
    /// which reports what happened rather than carrying on. (What a called function is named says nothing:
    /// `await close()` after a swallowed cancellation is more work like any other; code that must run
    /// whatever happened belongs in a `defer` or a shield, where no rule looks.)
    private func containsWorkAwait(_ statement: CodeBlockItemSyntax) -> Bool {
        SyntaxFacts.contains(statement) { node in
            if let forStmt = node.as(ForStmtSyntax.self) { return forStmt.awaitKeyword != nil }
            guard let awaitExpr = node.as(AwaitExprSyntax.self) else { return false }
            var expression = awaitExpr.expression
            if let tryExpr = expression.as(TryExprSyntax.self) { expression = tryExpr.expression }
            guard let call = expression.as(FunctionCallExprSyntax.self) else { return true }
            return !CatchAnalysis.isLoggingCall(call)
        }
    }

    // MARK: Rules 2 and 3 — try?

    override func visit(_ node: TryExprSyntax) -> SyntaxVisitorContinueKind {
        guard let mark = node.questionOrExclamationMark, mark.tokenKind == .postfixQuestionMark else {
            return .visitChildren
        }
        var expression = node.expression
        var awaited = false
        if let awaitExpr = expression.as(AwaitExprSyntax.self) {
            expression = awaitExpr.expression
            awaited = true
        }
        guard let call = expression.as(FunctionCallExprSyntax.self), let name = SyntaxFacts.calleeName(call) else {
            return .visitChildren
        }
        if name == "checkCancellation" {
            // Only as a statement: `if (try? Task.checkCancellation()) == nil { … }` is a check.
            guard SyntaxFacts.discardedStatement(node) != nil else { return .visitChildren }
            report(.tryCheckCancellation, at: node.positionAfterSkippingLeadingTrivia, Messages.tryCheckCancellation, fix: Fix.removingQuestionMark(node))
        } else if awaited && name == "sleep" && enabled.contains(.trySleep) {
            checkTrySleep(node)
        }
        return .visitChildren
    }

    private func checkTrySleep(_ node: TryExprSyntax) {
        guard let item = SyntaxFacts.discardedStatement(node) else { return }
        if SyntaxFacts.isInTeardown(node, facts: facts) { return }
        // Cancellation cannot reach a task nobody holds: `Task { … }` whose handle is discarded.
        if SyntaxFacts.isInDiscardedTask(node) { return }
        // In a loop that goes on after cancellation, the swallowed sleep makes it spin, whatever comes next
        // in the loop.
        if let loop = enclosingLoop(of: item), loop.kind != .forStmt, !SyntaxFacts.loopNoticesCancellation(loop),
            !leavesLoop(after: item, loop: loop)
        {
            report(.trySleep, at: node.positionAfterSkippingLeadingTrivia, Messages.trySleep, fix: Fix.removingQuestionMark(node))
            return
        }
        let following = SyntaxFacts.statementsAfter(item)
        guard let next = following.first else { return }
        switch next.item.kind {
        case .returnStmt, .throwStmt, .breakStmt, .continueStmt:
            return
        case .forStmt where next.item.as(ForStmtSyntax.self)?.awaitKeyword != nil:
            // `for await x in sequence`: the loop ends as soon as it sees the cancellation.
            return
        default:
            break
        }
        // The next statement checks cancellation (`guard !Task.isCancelled`, `try Task.checkCancellation()`)
        // or cancels the work the sleep was timing (`task.cancel()`, a watchdog).
        if SyntaxFacts.mentionsCancellationCheck(next) || cancelsSomething(next) { return }
        report(.trySleep, at: node.positionAfterSkippingLeadingTrivia, Messages.trySleep, fix: Fix.removingQuestionMark(node))
    }

    /// Whether the code after `item`, up to the end of `loop`'s body, leaves the loop (`return`, `throw`,
    /// `break`) before the next iteration.
    private func leavesLoop(after item: CodeBlockItemSyntax, loop: Syntax) -> Bool {
        var item = item
        while true {
            for statement in SyntaxFacts.statementsAfter(item) {
                switch statement.item.kind {
                case .returnStmt, .throwStmt, .breakStmt:
                    return true
                default:
                    break
                }
            }
            guard let list = item.parent?.as(CodeBlockItemListSyntax.self) else { return false }
            if let owner = SyntaxFacts.loopOwning(list), owner.id == loop.id { return false }
            var ancestor = list.parent
            var enclosing: CodeBlockItemSyntax?
            while let node = ancestor, node.id != loop.id {
                if let found = node.as(CodeBlockItemSyntax.self) {
                    enclosing = found
                    break
                }
                ancestor = node.parent
            }
            guard let next = enclosing else { return false }
            item = next
        }
    }

    /// Whether `statement` is a call of `cancel()` or `cancelAll()` on something.
    private func cancelsSomething(_ statement: CodeBlockItemSyntax) -> Bool {
        var expression = statement.item.as(ExprSyntax.self)
        if let tryExpr = expression?.as(TryExprSyntax.self) { expression = tryExpr.expression }
        if let awaitExpr = expression?.as(AwaitExprSyntax.self) { expression = awaitExpr.expression }
        guard let call = expression?.as(FunctionCallExprSyntax.self), call.calledExpression.is(MemberAccessExprSyntax.self),
            let name = SyntaxFacts.calleeName(call)
        else { return false }
        return name == "cancel" || name == "cancelAll"
    }

    private func enclosingLoop(of node: some SyntaxProtocol) -> Syntax? {
        var current = node.parent
        while let candidate = current {
            if SyntaxFacts.isCodeBoundary(candidate) { return nil }
            switch candidate.kind {
            case .whileStmt, .repeatStmt, .forStmt: return candidate
            default: current = candidate.parent
            }
        }
        return nil
    }

    // MARK: Rule 6 — uncancellable endless loops

    override func visit(_ node: WhileStmtSyntax) -> SyntaxVisitorContinueKind {
        checkEndlessLoop(Syntax(node), body: node.body, keyword: node.whileKeyword)
        return .visitChildren
    }

    override func visit(_ node: RepeatStmtSyntax) -> SyntaxVisitorContinueKind {
        checkEndlessLoop(Syntax(node), body: node.body, keyword: node.repeatKeyword)
        return .visitChildren
    }

    private func checkEndlessLoop(_ loop: Syntax, body: CodeBlockSyntax, keyword: TokenSyntax) {
        guard enabled.contains(.uncancellableLoop), SyntaxFacts.isLiterallyEndless(loop) else { return }
        guard SyntaxFacts.isInAsyncContext(loop) else { return }
        if SyntaxFacts.containsThrowingAwait(body) { return }
        if SyntaxFacts.mentionsCancellationCheck(loop) { return }
        if SyntaxFacts.canLeaveLoop(body, countTry: true) { return }
        if SyntaxFacts.isInTeardown(loop, facts: facts) { return }
        report(.uncancellableLoop, at: keyword.positionAfterSkippingLeadingTrivia, Messages.uncancellableLoop)
    }

    // MARK: Rule 7 — discarded Task with an endless loop

    override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
        guard enabled.contains(.unownedEndlessTask) else { return .visitChildren }
        let callee = node.calledExpression
        let isTask: Bool
        if let reference = callee.as(DeclReferenceExprSyntax.self) {
            isTask = reference.baseName.text == "Task"
        } else if let member = callee.as(MemberAccessExprSyntax.self),
            let base = member.base?.as(DeclReferenceExprSyntax.self)
        {
            isTask = base.baseName.text == "Task" && member.declName.baseName.text == "detached"
        } else if let specialized = callee.as(GenericSpecializationExprSyntax.self) {
            isTask = specialized.expression.as(DeclReferenceExprSyntax.self)?.baseName.text == "Task"
        } else {
            isTask = false
        }
        guard isTask, SyntaxFacts.discardedStatement(node) != nil, !SyntaxFacts.isInTeardown(node, facts: facts) else {
            return .visitChildren
        }
        let closure = node.trailingClosure ?? node.arguments.last?.expression.as(ClosureExprSyntax.self)
        guard let closure else { return .visitChildren }
        if closure.statements.contains(where: { isForeverLoop(Syntax($0.item)) }) {
            report(.unownedEndlessTask, at: node.positionAfterSkippingLeadingTrivia, Messages.unownedTask)
        }
        return .visitChildren
    }

    /// A loop that only ends through cancellation or never: `while true`, `while !Task.isCancelled`,
    /// `repeat { } while true`, with no `return`/`break`/`throw` out of it.
    private func isForeverLoop(_ statement: Syntax) -> Bool {
        if let doStmt = statement.as(DoStmtSyntax.self) {
            return doStmt.body.statements.contains(where: { isForeverLoop(Syntax($0.item)) })
        }
        let body: CodeBlockSyntax
        if let whileStmt = statement.as(WhileStmtSyntax.self) {
            guard SyntaxFacts.isLiterallyEndless(statement) || isOnlyCancellationCondition(whileStmt.conditions)
            else { return false }
            body = whileStmt.body
        } else if let repeatStmt = statement.as(RepeatStmtSyntax.self) {
            guard SyntaxFacts.isLiterallyEndless(statement) else { return false }
            body = repeatStmt.body
        } else {
            return false
        }
        return !SyntaxFacts.canLeaveLoop(body, countTry: false)
    }

    private func isOnlyCancellationCondition(_ conditions: ConditionElementListSyntax) -> Bool {
        let text = conditions.trimmedDescription.filter { !$0.isWhitespace }
        return text == "!Task.isCancelled"
    }
}
