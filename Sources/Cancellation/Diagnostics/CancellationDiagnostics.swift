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
        set { settings = Settings(gracePeriod: newValue, logger: settings.logger) }
    }

    /// Where reports go.
    public var logger: Logger {
        get { settings.logger }
        set { settings = Settings(gracePeriod: settings.gracePeriod, logger: newValue) }
    }

    /// The configuration, shared between copies: every scope keeps the configuration it was opened under,
    /// and copying one reference is cheaper than copying a `Logger` (which holds several).
    private var settings: Settings

    private final class Settings: Sendable {
        let gracePeriod: Duration?
        let logger: Logger

        init(gracePeriod: Duration?, logger: Logger) {
            self.gracePeriod = gracePeriod
            self.logger = logger
        }
    }

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - gracePeriod: How long an operation may ignore its scope's cancellation before it is reported;
    ///     `nil`, zero or a negative duration turns reporting off. Measured on the scope's clock.
    ///   - logger: Where reports go.
    public init(gracePeriod: Duration? = .seconds(5), logger: Logger = Logger(label: "swift-cancellation")) {
        settings = Settings(gracePeriod: gracePeriod, logger: logger)
    }

    /// The configuration for scopes opened by the current task; by default a five-second grace period and
    /// a logger labelled `swift-cancellation`.
    @TaskLocal public static var current = CancellationDiagnostics()
}
