/// Comparison and arithmetic on `Duration` that the optimiser can inline, for the code that runs on every
/// timeout: arming, moving and firing deadlines.
///
/// The standard library's `<`, `+`, `-` and `.zero` on `Duration` are calls into the runtime library that
/// cannot be inlined; on the path that moves a scope's deadline they were about a fifth of the time. A
/// `Duration` is a frozen pair of stored halves of one 128-bit count of attoseconds (`_high`, `_low`, both
/// public), and `Int128` arithmetic inlines, so these read the count and work on it directly. They give the
/// same results as the standard operators, including trapping on overflow.
extension Duration {
    /// The duration as a count of attoseconds.
    var attosecondCount: Int128 {
        Int128(_low: _low, _high: _high)
    }

    /// The duration of `count` attoseconds.
    init(attosecondCount count: Int128) {
        self.init(_high: count._high, low: count._low)
    }

    /// `.zero`.
    static var inlinedZero: Duration {
        Duration(_high: 0, low: 0)
    }

    /// Whether this duration is shorter than `other` (`self < other`).
    func isShorter(than other: Duration) -> Bool {
        attosecondCount < other.attosecondCount
    }

    /// Whether this duration is longer than zero (`self > .zero`).
    var isPositive: Bool {
        attosecondCount > 0
    }

    /// `self + other`.
    func adding(_ other: Duration) -> Duration {
        Duration(attosecondCount: attosecondCount + other.attosecondCount)
    }

    /// `self - other`.
    func subtracting(_ other: Duration) -> Duration {
        Duration(attosecondCount: attosecondCount - other.attosecondCount)
    }
}
