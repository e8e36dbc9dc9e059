public import Logging

/// How the library reports operations that ignore cancellation.
///
/// When a scope's own cancellation fires (its deadline expires, or it is cancelled explicitly) and its
/// operation has still not finished ``gracePeriod`` later, the library logs a warning naming the scope's
/// source location and how long the operation has ignored cancellation, and logs again when the operation
/// finally ends. These are the operations that would otherwise leave callers "waiting forever".
///
/// Set the configuration for a block of code with the task-local ``current``:
///
/// ```swift
/// try await CancellationDiagnostics.$current.withValue(.init(gracePeriod: .seconds(1), logger: logger)) {
///     try await server.run()
/// }
/// ```
///
/// The configuration in force when a scope is opened applies to that scope.
public struct CancellationDiagnostics: Sendable {
    /// How long an operation may keep running after its scope cancelled it before it is reported;
    /// `nil`, zero or a negative duration turns reporting off.
    public var gracePeriod: Duration? {
        get { settings.gracePeriod }
        set { settings = Settings(gracePeriod: newValue, logger: settings.logger, observer: settings.observer) }
    }

    /// Where reports go.
    public var logger: Logger {
        get { settings.logger }
        set { settings = Settings(gracePeriod: settings.gracePeriod, logger: newValue, observer: settings.observer) }
    }

    /// Called with every ``CancellationEvent`` of the scopes opened under this configuration — to count
    /// them as metrics (`CancellationMetrics` does, with swift-metrics), or to record them in tests; `nil`
    /// for none.
    ///
    /// It runs synchronously where the event happens, sometimes on the timer engine's thread: it must be
    /// quick and must not block.
    public var observer: (@Sendable (CancellationEvent) -> Void)? {
        get { settings.observer }
        set { settings = Settings(gracePeriod: settings.gracePeriod, logger: settings.logger, observer: newValue) }
    }

    /// The configuration, shared between copies: every scope keeps the configuration it was opened under,
    /// and copying one reference is cheaper than copying a `Logger` (which holds several).
    private var settings: Settings

    private final class Settings: Sendable {
        let gracePeriod: Duration?
        let logger: Logger
        let observer: (@Sendable (CancellationEvent) -> Void)?

        init(gracePeriod: Duration?, logger: Logger, observer: (@Sendable (CancellationEvent) -> Void)?) {
            self.gracePeriod = gracePeriod
            self.logger = logger
            self.observer = observer
        }
    }

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - gracePeriod: How long an operation may ignore its scope's cancellation before it is reported;
    ///     `nil`, zero or a negative duration turns reporting off. Measured on the scope's clock.
    ///   - logger: Where reports go.
    ///   - observer: Called with every ``CancellationEvent``, or `nil`.
    public init(
        gracePeriod: Duration? = .seconds(5),
        logger: Logger = Logger(label: "swift-cancellation"),
        observer: (@Sendable (CancellationEvent) -> Void)? = nil
    ) {
        settings = Settings(gracePeriod: gracePeriod, logger: logger, observer: observer)
    }

    /// The configuration for scopes opened by the current task; by default a five-second grace period and
    /// a logger labelled `swift-cancellation`.
    @TaskLocal public static var current = CancellationDiagnostics()
}
