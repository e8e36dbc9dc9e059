/// What the task-local chain of scopes needs to know about one scope, whatever its clock.
@usableFromInline
protocol ScopeRecord: AnyObject, Sendable {
    /// Where the scope was opened.
    var location: ScopeLocation { get }
    /// The scope's own cancellation (deadline or explicit), and whether the cancellation of the task that
    /// opened the scope had reached the scope's operation before it.
    var ownCancellation: (reason: CancellationReason, callerCancelledFirst: Bool)? { get }
    /// The scope's deadline, if it has one that can expire.
    var deadlinePoint: (any DeadlinePoint)? { get }
}

/// One link in the task-local chain of enclosing scopes, innermost first: a scope (its ``ScopeCore`` is
/// its own link, so entering a scope allocates nothing more) or a shield (`ShieldLink`).
///
/// A shield link is a barrier: nothing outside a shield can cancel the code inside it, so walks over the
/// chain (effective deadline, cancellation reason) stop there.
@usableFromInline
protocol ScopeLink: AnyObject, Sendable {
    /// The next link out.
    var parentLink: (any ScopeLink)? { get }
    /// The scope this link is, or `nil` for a shield.
    var scopeRecord: (any ScopeRecord)? { get }
}

/// The task-local chain of scopes.
@usableFromInline
enum ScopeChain {
    /// The task-local innermost link, bound by each scope for its child task and by each shield.
    @usableFromInline
    static let storage = TaskLocal<(any ScopeLink)?>(wrappedValue: nil)

    /// The innermost link of the current task.
    static var current: (any ScopeLink)? { storage.get() }
}

extension ScopeLink {
    /// The scopes that can cancel the current task, innermost first, up to the nearest shield.
    var activeRecords: [any ScopeRecord] {
        var records: [any ScopeRecord] = []
        var link: (any ScopeLink)? = self
        while let current = link, let record = current.scopeRecord {
            records.append(record)
            link = current.parentLink
        }
        return records
    }

    /// The first cause, in time, that reached the innermost task of the chain; `nil` when it came from
    /// outside every scope.
    ///
    /// Walks from the outermost active scope inwards. A scope's own cancellation that reached its operation
    /// before any cancellation of its caller is the first cause for everything inside the scope, replacing
    /// a cause found further out; one that came after its caller's cancellation is that cancellation's
    /// echo, and the cause found further out stands.
    func cancellationReason() -> CancellationReason? {
        var cause: CancellationReason?
        for record in activeRecords.reversed() {
            if let own = record.ownCancellation, !own.callerCancelledFirst {
                cause = own.reason
            }
        }
        return cause
    }

    /// The deadline that expires first among the active scopes, measured now.
    func earliestDeadline() -> EffectiveDeadline? {
        var best: (deadline: EffectiveDeadline, remaining: Duration)?
        for record in activeRecords {
            guard let point = record.deadlinePoint else { continue }
            let remaining = point.remaining()
            if best == nil || remaining < best!.remaining {
                best = (EffectiveDeadline(point: point, location: record.location), remaining)
            }
        }
        return best?.deadline
    }
}

extension EffectiveDeadline {
    /// The effective deadline of the current task, or `nil` when no enclosing scope has a deadline.
    public static var current: EffectiveDeadline? {
        ScopeChain.current?.earliestDeadline()
    }
}

extension CancellationReason {
    /// The reason the current task is cancelled, or `nil` when it is not cancelled.
    ///
    /// Inside ``withCancellationShield(operation:)`` this is `nil`, since the shielded code is not
    /// cancelled, whatever happens outside it.
    public static var current: CancellationReason? {
        guard Task.isCancelled else { return nil }
        return ScopeChain.current?.cancellationReason() ?? .taskCancelled
    }
}
