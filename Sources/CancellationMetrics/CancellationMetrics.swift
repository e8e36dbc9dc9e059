#if Metrics
public import Cancellation
import CancellationWire
public import CoreMetrics

/// Counts what cancel scopes and timeouts do with swift-metrics: install its ``observer(factory:scopeDimension:)``
/// as the ``Cancellation/CancellationDiagnostics/observer`` of the code you want counted.
///
/// ```swift
/// var diagnostics = CancellationDiagnostics()
/// diagnostics.observer = CancellationMetrics.observer()
/// try await CancellationDiagnostics.$current.withValue(diagnostics) {
///     try await server.run()
/// }
/// ```
///
/// | Metric | Kind | Counts |
/// | --- | --- | --- |
/// | `cancellation.deadline.expired` | counter | deadlines that passed and cancelled their operation (timeouts fired) |
/// | `cancellation.result.late` | counter | values returned after their scope was cancelled (kept, but late) |
/// | `cancellation.operation.uncooperative` | counter | operations still running a grace period after their cancellation |
/// | `cancellation.operation.ignored_cancellation` | timer | how long each of those had ignored it when reported |
/// | `cancellation.operation.abandoned` | counter | operations the abandoning `withTimeout` stopped waiting for |
/// | `cancellation.shield.expired` | counter | bounded shields whose operation ran out of time and ended by it |
///
/// With `scopeDimension` set, each metric carries the scope's source location (`code.location`, for
/// example `App/Handler.swift:12`) as a dimension: the number of values is the number of scopes in the
/// code, which stays small, but check your backend's limits before you turn it on.
///
/// The metrics are made when an event is counted, from the factory given (by default the one
/// `MetricsSystem` was bootstrapped with by then).
public enum CancellationMetrics {
    /// The metric labels.
    public enum Label {
        /// Deadlines that passed and cancelled their operation.
        public static let deadlineExpired = "cancellation.deadline.expired"
        /// Values returned after their scope was cancelled.
        public static let lateResult = "cancellation.result.late"
        /// Operations still running a grace period after their cancellation.
        public static let uncooperative = "cancellation.operation.uncooperative"
        /// How long an uncooperative operation had ignored its cancellation when it was reported.
        public static let ignoredCancellation = "cancellation.operation.ignored_cancellation"
        /// Operations the abandoning `withTimeout` stopped waiting for.
        public static let abandoned = "cancellation.operation.abandoned"
        /// Bounded shields whose operation ran out of time.
        public static let shieldExpired = "cancellation.shield.expired"
    }

    /// An observer that counts every ``Cancellation/CancellationEvent``.
    ///
    /// Cancellation of the code it observes is not affected: counting is synchronous and quick.
    ///
    /// - Parameters:
    ///   - factory: Where the metrics are made; by default the bootstrapped `MetricsSystem`'s factory,
    ///     read when each event is counted.
    ///   - scopeDimension: Whether each metric carries the scope's source location as the `code.location`
    ///     dimension.
    /// - Returns: The observer, for ``Cancellation/CancellationDiagnostics/observer``.
    public static func observer(
        factory: (any MetricsFactory)? = nil,
        scopeDimension: Bool = false
    ) -> @Sendable (CancellationEvent) -> Void {
        { event in
            let factory = factory ?? MetricsSystem.factory
            let dimensions = scopeDimension ? [("code.location", "\(event.scope)")] : []
            switch event {
            case .deadlineExpired:
                Counter(label: Label.deadlineExpired, dimensions: dimensions, factory: factory).increment()
            case .lateResult:
                Counter(label: Label.lateResult, dimensions: dimensions, factory: factory).increment()
            case .uncooperative(_, let ignoredFor):
                Counter(label: Label.uncooperative, dimensions: dimensions, factory: factory).increment()
                Timer(label: Label.ignoredCancellation, dimensions: dimensions, factory: factory)
                    .recordNanoseconds(ignoredFor.saturatingNanoseconds)
            case .abandoned:
                Counter(label: Label.abandoned, dimensions: dimensions, factory: factory).increment()
            case .shieldExpired:
                Counter(label: Label.shieldExpired, dimensions: dimensions, factory: factory).increment()
            }
        }
    }
}
#endif
