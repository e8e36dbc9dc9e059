/// The link a shield puts in the task-local chain of scopes: a barrier, since nothing outside a shield can
/// cancel the code inside it, so walks over the chain (effective deadline, cancellation reason) stop there.
final class ShieldLink: ScopeLink {
    let parentLink: (any ScopeLink)?
    var scopeRecord: (any ScopeRecord)? { nil }

    init(parent: (any ScopeLink)?) {
        self.parentLink = parent
    }
}
