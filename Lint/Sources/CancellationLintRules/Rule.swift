/// How serious a finding is.
///
/// Errors always make `cancellation-lint` exit with status 1; warnings do so only with `--strict`; notes never
/// do.
public enum Severity: String, Sendable, Hashable, Codable, Comparable {
    /// Information that never fails a run, not even with `--strict` (a file skipped because it uses syntax
    /// newer than the linter's parser, inside an `#if compiler(…)` block).
    case note
    /// A likely bug that deserves attention but does not fail a run unless `--strict` is given.
    case warning
    /// A near-certain bug (a hang or a no-op); always fails the run.
    case error

    /// Orders notes before warnings, and warnings before errors.
    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }
}

/// The stable identifier of every check `cancellation-lint` can report.
///
/// The raw value is the id printed in brackets after each message and used in configuration files and
/// suppression comments.
public enum RuleID: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Rule 1: a catch-all inside a loop that never checks cancellation swallows `CancellationError` forever.
    case swallowedCancellationLoop = "swallowed-cancellation-loop"
    /// Rule 2: `try?` on a sleep followed by more work.
    case trySleep = "try-sleep"
    /// Rule 3: `try? Task.checkCancellation()` is a no-op.
    case tryCheckCancellation = "try-check-cancellation"
    /// Rule 4: a catch-all in async code turns cancellation into a fallback value or carries on.
    case catchAllFallback = "catch-all-fallback"
    /// Rule 5 (opt-in): a catch-all rethrows a different error, hiding the cancellation.
    case cancellationRemapped = "cancellation-remapped"
    /// Rule 6: an endless loop in async code that neither awaits anything throwing nor checks cancellation.
    case uncancellableLoop = "uncancellable-loop"
    /// Rule 7 (opt-in): a discarded `Task { … }` whose body loops forever.
    case unownedEndlessTask = "unowned-endless-task"
    /// A suppression comment that suppressed nothing, or names an unknown rule.
    case unusedSuppression = "unused-suppression"
    /// A file that could not be parsed; it is skipped.
    case unparsableFile = "unparsable-file"

    /// Orders rules by their declaration order.
    public static func < (lhs: RuleID, rhs: RuleID) -> Bool {
        let all = RuleID.allCases
        return all.firstIndex(of: lhs)! < all.firstIndex(of: rhs)!
    }

    /// The rule's metadata.
    public var descriptor: RuleDescriptor {
        switch self {
        case .swallowedCancellationLoop:
            RuleDescriptor(
                id: self, severity: .error, isOptIn: false,
                summary: "A catch-all inside a loop that never checks cancellation swallows CancellationError, so the loop spins forever once the task is cancelled."
            )
        case .trySleep:
            RuleDescriptor(
                id: self, severity: .warning, isOptIn: false,
                summary: "`try?` on a sleep discards its CancellationError, and the code after it carries on as if the sleep had finished."
            )
        case .tryCheckCancellation:
            RuleDescriptor(
                id: self, severity: .error, isOptIn: false,
                summary: "`try? Task.checkCancellation()` throws away the only thing it does; it is a no-op."
            )
        case .catchAllFallback:
            RuleDescriptor(
                id: self, severity: .warning, isOptIn: false,
                summary: "A catch-all around a throwing await returns a fallback value or falls through to more awaits, making cancellation look like success or 'not found'."
            )
        case .cancellationRemapped:
            RuleDescriptor(
                id: self, severity: .warning, isOptIn: true,
                summary: "A catch-all rethrows a different error, so callers can no longer recognise cancellation."
            )
        case .uncancellableLoop:
            RuleDescriptor(
                id: self, severity: .error, isOptIn: false,
                summary: "An endless loop in async code contains no throwing await and no cancellation check, so cancelling its task cannot stop it."
            )
        case .unownedEndlessTask:
            RuleDescriptor(
                id: self, severity: .warning, isOptIn: true,
                summary: "A Task whose handle is discarded runs a loop that never ends; nobody can ever cancel it."
            )
        case .unusedSuppression:
            RuleDescriptor(
                id: self, severity: .warning, isOptIn: false,
                summary: "A cancellation-lint suppression comment suppressed nothing or names an unknown rule."
            )
        case .unparsableFile:
            RuleDescriptor(
                id: self, severity: .error, isOptIn: false,
                summary: "The file could not be parsed as Swift and was skipped."
            )
        }
    }
}

/// Static information about a rule: its id, default severity, whether it is opt-in, and a one-line summary.
public struct RuleDescriptor: Sendable, Hashable {
    /// The rule's identifier.
    public let id: RuleID
    /// The severity of the rule's findings.
    public let severity: Severity
    /// Whether the rule only runs when listed under `opt_in_rules`.
    public let isOptIn: Bool
    /// A one-sentence description of what the rule finds.
    public let summary: String

    /// The address of the rule's documentation page.
    public var helpURI: String {
        "\(RuleDescriptor.documentationBase)/\(id.rawValue).md"
    }

    /// Where the rule pages live (`docs/lint/` of the repository); the SARIF output links here.
    public static let documentationBase =
        "https://github.com/swift-cancellation/swift-cancellation/blob/main/docs/lint"
}

/// One problem found in one file.
public struct Finding: Sendable, Hashable, Codable, Comparable {
    /// The path of the file, as it was given to the linter.
    public var path: String
    /// The 1-based line.
    public var line: Int
    /// The 1-based column (in UTF-8 bytes, like the compiler).
    public var column: Int
    /// The rule that produced the finding.
    public var rule: RuleID
    /// The finding's severity.
    public var severity: Severity
    /// A human-readable explanation that ends with a fix suggestion.
    public var message: String
    /// Whether the finding is in test code (see ``TestCode``), which has a profile of its own.
    public var inTestCode: Bool

    /// Creates a finding.
    public init(path: String, line: Int, column: Int, rule: RuleID, severity: Severity, message: String, inTestCode: Bool = false) {
        self.path = path
        self.line = line
        self.column = column
        self.rule = rule
        self.severity = severity
        self.message = message
        self.inTestCode = inTestCode
    }

    /// Orders findings by path, line, column, then rule.
    public static func < (lhs: Finding, rhs: Finding) -> Bool {
        if lhs.path != rhs.path { return lhs.path < rhs.path }
        if lhs.line != rhs.line { return lhs.line < rhs.line }
        if lhs.column != rhs.column { return lhs.column < rhs.column }
        if lhs.rule != rhs.rule { return lhs.rule < rhs.rule }
        return lhs.message < rhs.message
    }
}
