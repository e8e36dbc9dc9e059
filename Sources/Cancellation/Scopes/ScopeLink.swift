/// What the task-local chain of scopes needs to know about one scope, whatever its clock.
protocol ScopeRecord: AnyObject, Sendable {
    /// Where the scope was opened.
    var location: ScopeLocation { get }
    /// The scope's own cancellation (deadline or explicit) and when it happened, in cancellation order.
    var ownCancellation: (reason: CancellationReason, sequence: UInt64)? { get }
    /// When the task that opened the scope was cancelled, in cancellation order, if it was.
    var callerCancellationSequence: UInt64? { get }
    /// The scope's deadline, if it has one that can expire.
    var deadlinePoint: (any DeadlinePoint)? { get }
}

/// One link in the task-local chain of enclosing scopes, innermost first: a scope (its ``ScopeCore`` is
/// its own link, so entering a scope allocates nothing more) or a shield.
///
/// A shield link is a barrier: nothing outside a shield can cancel the code inside it, so walks over the
/// chain (effective deadline, cancellation reason) stop there.
protocol ScopeLink: AnyObject, Sendable {
    /// The next link out.
    var parentLink: (any ScopeLink)? { get }
    /// The scope this link is, or `nil` for a shield.
    var scopeRecord: (any ScopeRecord)? { get }
}

/// The link a shield puts in the chain.
final class ShieldLink: ScopeLink {
    let parentLink: (any ScopeLink)?
    var scopeRecord: (any ScopeRecord)? { nil }

    init(parent: (any ScopeLink)?) {
        self.parentLink = parent
    }
}

/// The task-local chain of scopes.
enum ScopeChain {
    /// The task-local innermost link, bound by each scope for its child task and by each shield.
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

    /// The first cause, in time, that reached the innermost task of the chain.
    ///
    /// Walks from the outermost active scope inwards. A caller's cancellation that happened after an
    /// enclosing scope's own cancellation is that cancellation propagating, not a cause of its own.
    func cancellationReason() -> CancellationReason? {
        var cause: (reason: CancellationReason, sequence: UInt64)?
        for record in activeRecords.reversed() {
            if let callerSequence = record.callerCancellationSequence,
                cause == nil || callerSequence < cause!.sequence
            {
                cause = (.taskCancelled, callerSequence)
            }
            if let own = record.ownCancellation, cause == nil || own.sequence < cause!.sequence {
                cause = own
            }
        }
        return cause?.reason
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

/// A global order of cancellations, so that the first of several causes can be told apart.
enum CancellationSequence {
    private static let counter = AtomicCounter()

    static func next() -> UInt64 { counter.increment() }
}
