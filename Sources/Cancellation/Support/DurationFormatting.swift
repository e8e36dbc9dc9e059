extension Duration {
    /// A short human-readable rendering such as `2 seconds`, `50 ms` or `1.5 seconds`.
    var humanReadable: String {
        let (seconds, attoseconds) = components
        if seconds == 0 && attoseconds == 0 { return "0 seconds" }
        let totalMilliseconds = Double(seconds) * 1_000 + Double(attoseconds) / 1e15
        if abs(totalMilliseconds) < 1 {
            let microseconds = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
            return "\(Self.trim(microseconds)) µs"
        }
        if abs(totalMilliseconds) < 1_000 {
            return "\(Self.trim(totalMilliseconds)) ms"
        }
        let totalSeconds = totalMilliseconds / 1_000
        return totalSeconds == 1 ? "1 second" : "\(Self.trim(totalSeconds)) seconds"
    }

    private static func trim(_ value: Double) -> String {
        let rounded = (value * 1_000).rounded() / 1_000
        if rounded == rounded.rounded() && abs(rounded) < 1e15 {
            return String(Int64(rounded))
        }
        return String(rounded)
    }
}

/// The longest time span the library arms a timer for: about 136 years.
///
/// A deadline further away than this (for example `.seconds(Int64.max)`) means "no deadline": no timer is
/// armed, nothing overflows, and the operation runs until it finishes.
///
/// A computed constant rather than a stored global, which would be initialised lazily behind a check on
/// every read: `UInt32.max` seconds, written as the two halves of its attosecond count.
var longestArmableDuration: Duration {
    Duration(_high: 232_830_643, low: 11_061_765_702_005_030_912)
}

extension InstantProtocol where Duration == Swift.Duration {
    /// The deadline `duration` after this instant, without overflow: a zero or negative duration gives this
    /// instant (already expired), and one of ``longestArmableDuration`` or more gives `nil` (no deadline).
    @usableFromInline
    func deadline(after duration: Duration) -> Self? {
        if !duration.isPositive { return self }
        if !duration.isShorter(than: longestArmableDuration) { return nil }
        return advanced(by: duration)
    }
}

extension Duration {
    /// ``InstantProtocol/deadline(after:)`` for times kept as offsets.
    func deadline(after duration: Duration) -> Duration? {
        if !duration.isPositive { return self }
        if !duration.isShorter(than: longestArmableDuration) { return nil }
        return adding(duration)
    }
}
