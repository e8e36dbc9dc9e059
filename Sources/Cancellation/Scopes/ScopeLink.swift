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

/// One link in the task-local chain of enclosing scopes, innermost first.
///
/// A shield link is a barrier: nothing outside a shield can cancel the code inside it, so walks over the
/// chain (effective deadline, cancellation reason) stop there.
@usableFromInline
final class ScopeLink: Sendable {
    enum Kind: Sendable {
        case scope(any ScopeRecord)
        case shield
    }

    let kind: Kind
    let parent: ScopeLink?

    init(_ kind: Kind, parent: ScopeLink?) {
        self.kind = kind
        self.parent = parent
    }

    /// The task-local innermost scope, bound by each scope for its child task.
    @usableFromInline
    static let storage = TaskLocal<ScopeLink?>(wrappedValue: nil)

    /// The innermost scope of the current task.
    static var current: ScopeLink? { storage.get() }

    /// The scopes that can cancel the current task, innermost first, up to the nearest shield.
    var activeRecords: [any ScopeRecord] {
        var records: [any ScopeRecord] = []
        var link: ScopeLink? = self
        while let current = link {
            guard case .scope(let record) = current.kind else { break }
            records.append(record)
            link = current.parent
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
