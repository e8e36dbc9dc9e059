import Cancellation

// The call-site matrix: every scoped function of the library, called from every kind of caller, with
// operations that return the caller's own non-`Sendable` state, a fresh value, or nothing. That these files
// compile (with warnings as errors, as CI builds them) is most of the test; the tests then check that each
// call returned the very object the caller owns and ran on the caller's isolation.

/// State a caller owns: a non-`Sendable` class, so the compiler tracks where it goes.
final class Document {
    var text: String

    init(_ text: String) {
        self.text = text
    }
}

/// An error type for the typed-throws checks.
struct ParseError: Error, Equatable {
    var line: Int
}

/// A limit no call here comes near: every operation returns at once, so no deadline fires and nothing
/// waits on real time.
let generous: Duration = .seconds(600)

/// The deadline-based forms' deadline: `generous` from now.
func generousDeadline() -> ContinuousClock.Instant {
    ContinuousClock.now.advanced(by: generous)
}

/// Whether every entry is `true`; the tests report which one was not.
func allTrue(_ checks: [String: Bool]) -> [String] {
    checks.filter { !$0.value }.map(\.key).sorted()
}
