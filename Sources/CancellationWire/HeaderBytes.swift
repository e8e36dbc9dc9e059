/// Byte-level helpers shared by the header codecs. Nothing here traps on any input.
enum HeaderBytes {
    /// Drops leading and trailing spaces and horizontal tabs (HTTP's optional whitespace).
    static func trimOptionalWhitespace(_ bytes: inout Substring.UTF8View.SubSequence) {
        func isOWS(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while let first = bytes.first, isOWS(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, isOWS(last) { bytes = bytes.dropLast() }
    }

    /// The value of 1 to `maximumDigits` ASCII digits (at most 18, so it cannot overflow), or `nil` for
    /// anything else.
    static func decimal(_ bytes: Substring.UTF8View.SubSequence, maximumDigits: Int) -> Int64? {
        precondition(maximumDigits <= 18, "more than 18 digits could overflow Int64")
        guard !bytes.isEmpty, bytes.count <= maximumDigits else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `duration ÷ unit` rounded up, for a positive `duration` and a `unit` that is either a whole number
    /// of seconds or divides one second evenly (every gRPC and HTTP timeout unit); saturates at
    /// `Int64.max` instead of overflowing.
    static func ceilingDivide(_ duration: Duration, by unit: Duration) -> Int64 {
        let nanosecondsPerSecond: Int64 = 1_000_000_000
        let (seconds, attoseconds) = duration.components
        // The sub-second part in whole nanoseconds, rounding any attosecond remainder up.
        let nanoseconds = attoseconds / 1_000_000_000 + (attoseconds % 1_000_000_000 > 0 ? 1 : 0)
        let unitNanoseconds = unit.components.seconds * nanosecondsPerSecond + unit.components.attoseconds / 1_000_000_000
        precondition(unitNanoseconds > 0, "unit must be at least one nanosecond")
        if unitNanoseconds % nanosecondsPerSecond == 0 {
            let unitSeconds = unitNanoseconds / nanosecondsPerSecond
            return seconds / unitSeconds + (seconds % unitSeconds > 0 || nanoseconds > 0 ? 1 : 0)
        }
        precondition(nanosecondsPerSecond % unitNanoseconds == 0, "unit must divide a second evenly")
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: nanosecondsPerSecond / unitNanoseconds)
        let part = nanoseconds / unitNanoseconds + (nanoseconds % unitNanoseconds > 0 ? 1 : 0)
        let (total, overflowTotal) = whole.addingReportingOverflow(part)
        return overflow || overflowTotal ? Int64.max : total
    }
}
