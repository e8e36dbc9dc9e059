/// Something a cancel scope or timeout did that an operator may want to count: passed to the
/// ``CancellationDiagnostics/observer`` in force when the scope was opened.
///
/// Each event names the scope's source location, the place in the code to look at.
public enum CancellationEvent: Sendable, Hashable {
    /// A scope's deadline passed, so its operation was cancelled (or started cancelled, for a deadline
    /// already past): a timeout fired.
    case deadlineExpired(scope: ScopeLocation)
    /// An operation returned a value after its scope had cancelled it; the value was kept, as the contract
    /// says, but it came late.
    case lateResult(scope: ScopeLocation)
    /// An operation has ignored its scope's cancellation for the grace period and its callers are still
    /// waiting (the event that ``CancellationDiagnostics`` also logs).
    case uncooperative(scope: ScopeLocation, ignoredFor: Duration)
    /// The abandoning form of `withTimeout` stopped waiting for an operation that ignored cancellation; the
    /// operation is left running detached.
    case abandoned(scope: ScopeLocation)
    /// A bounded shield (`withCancellationShield(timeout:…)`) ran out of time: its operation was cancelled by
    /// the bound and ended by it, so the shield threw `TimeoutError` — cleanup that did not finish. The
    /// scope is the shield's location; the bound's expiry is also reported as ``deadlineExpired(scope:)``.
    case shieldExpired(scope: ScopeLocation)

    /// The scope the event belongs to.
    public var scope: ScopeLocation {
        switch self {
        case .deadlineExpired(let scope), .lateResult(let scope), .uncooperative(let scope, _), .abandoned(let scope),
            .shieldExpired(let scope):
            scope
        }
    }
}
