/// Comparison and arithmetic on `Duration` that the optimiser can inline, for the code that runs on every
/// timeout: arming, moving and firing deadlines.
///
/// The standard library's `<`, `+`, `-` and `.zero` on `Duration` are calls into the runtime library that
/// cannot be inlined; on the path that moves a scope's deadline they were about a fifth of the time. A
/// `Duration` is a frozen pair of stored halves of one 128-bit two's-complement count of attoseconds
/// (`_high`, `_low`, both public since the type's first release), so these work on the halves directly — with
/// 64-bit operations rather than `Int128`, which needs macOS 15 / iOS 18. They give the same results as the
/// standard operators, including trapping on overflow.
extension Duration {
    /// `.zero`.
    static var inlinedZero: Duration {
        Duration(_high: 0, low: 0)
    }

    /// Whether this duration is shorter than `other` (`self < other`).
    func isShorter(than other: Duration) -> Bool {
        _high < other._high || (_high == other._high && _low < other._low)
    }

    /// Whether this duration is longer than zero (`self > .zero`).
    var isPositive: Bool {
        _high > 0 || (_high == 0 && _low != 0)
    }

    /// `self + other`.
    func adding(_ other: Duration) -> Duration {
        let (low, carry) = _low.addingReportingOverflow(other._low)
        let (partial, firstOverflow) = _high.addingReportingOverflow(other._high)
        let (high, secondOverflow) = partial.addingReportingOverflow(carry ? 1 : 0)
        // The 128-bit sum overflows exactly when one of the two steps does: when both do, the second undoes
        // the first (the partial sum wrapped past the bottom and the carry brought it back).
        precondition(firstOverflow == secondOverflow, "Duration overflow")
        return Duration(_high: high, low: low)
    }

    /// `self - other`.
    func subtracting(_ other: Duration) -> Duration {
        let (low, borrow) = _low.subtractingReportingOverflow(other._low)
        let (partial, firstOverflow) = _high.subtractingReportingOverflow(other._high)
        let (high, secondOverflow) = partial.subtractingReportingOverflow(borrow ? 1 : 0)
        precondition(firstOverflow == secondOverflow, "Duration overflow")
        return Duration(_high: high, low: low)
    }
}
