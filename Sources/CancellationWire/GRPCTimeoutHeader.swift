/// The `grpc-timeout` request header of the gRPC-over-HTTP/2 protocol: how long the client gives the
/// server to answer.
///
/// The value is one to eight ASCII digits followed by one unit letter: `H` hours, `M` minutes, `S`
/// seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds — for example `200m` or `5S` (the
/// grammar is in gRPC's `PROTOCOL-HTTP2.md`).
///
/// Values arrive from the network and are untrusted. ``parse(_:)`` accepts exactly that grammar (with
/// optional surrounding spaces or tabs) and returns `nil` for anything else — a sign, a fraction, a
/// ninth digit, an unknown unit, non-ASCII bytes — so a caller treats a malformed header as absent. It
/// never traps. A server should still cap what it accepts; see ``ServerDeadlinePolicy``.
public enum GRPCTimeoutHeader {
    /// The header's name, `grpc-timeout`.
    public static let name = "grpc-timeout"

    /// The largest number the grammar allows: eight digits.
    public static let maximumValue = 99_999_999

    /// The longest timeout the header can express: 99,999,999 hours (about 11,400 years).
    public static let maximumTimeout: Duration = .seconds(Int64(maximumValue) * 3_600)

    /// Reads a `grpc-timeout` value.
    ///
    /// - Parameter value: The header value as received, for example `"250m"`.
    /// - Returns: The timeout, or `nil` when the value does not follow the grammar. `0n` (or zero in any
    ///   unit) gives `.zero`: the client's deadline has already passed.
    @inlinable
    public static func parse(_ value: some StringProtocol) -> Duration? {
        parse(substring: Substring(value))
    }

    /// ``parse(_:)`` for one value, compiled once: the generic entry points convert their argument at the
    /// call site, where they are specialized, and call this.
    @usableFromInline
    static func parse(substring value: Substring) -> Duration? {
        var bytes = value.utf8[...]
        HeaderBytes.trimOptionalWhitespace(&bytes)
        guard bytes.count >= 2, let unit = bytes.last else { return nil }
        guard let number = HeaderBytes.decimal(bytes.dropLast(), maximumDigits: 8) else { return nil }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(number * 3_600)
        case UInt8(ascii: "M"): return .seconds(number * 60)
        case UInt8(ascii: "S"): return .seconds(number)
        case UInt8(ascii: "m"): return .milliseconds(number)
        case UInt8(ascii: "u"): return .microseconds(number)
        case UInt8(ascii: "n"): return .nanoseconds(number)
        default: return nil
        }
    }

    /// Reads the shortest valid timeout among several `grpc-timeout` values (a request should carry one;
    /// if it carries more, the shortest wins so a duplicate can never lengthen the deadline).
    ///
    /// - Parameter values: Every value of the header, in any order.
    /// - Returns: The shortest timeout among the valid values, or `nil` when none is valid.
    @inlinable
    public static func parse<S: StringProtocol>(values: some Sequence<S>) -> Duration? {
        // A plain loop, inlined where it is called: lazy adaptors over a sequence type this module does not
        // know are instantiated (their type metadata looked up) at run time on every call, which cost the
        // gRPC client interceptor about 4 µs per call (Benchmarks/README.md, Wire).
        var shortest: Duration?
        for value in values {
            guard let timeout = parse(substring: Substring(value)) else { continue }
            shortest = min(shortest ?? timeout, timeout)
        }
        return shortest
    }

    /// Writes `timeout` as a `grpc-timeout` value in the finest unit that fits eight digits.
    ///
    /// The value is rounded up to that unit, as gRPC's own implementations do, so a positive budget
    /// never becomes `0`; the rounding is at most one unit of the chosen size (below 100 ms it is exact to
    /// the nanosecond, below 100 s to the microsecond).
    ///
    /// - Parameter timeout: The time the server gets. Zero or negative gives `0n` (the deadline has
    ///   passed); anything above ``maximumTimeout`` gives the maximum, `99999999H`.
    /// - Returns: The header value.
    public static func format(_ timeout: Duration) -> String {
        guard timeout > .zero else { return "0n" }
        guard timeout < maximumTimeout else { return "\(maximumValue)H" }
        let units: [(Duration, Character)] = [
            (.nanoseconds(1), "n"), (.microseconds(1), "u"), (.milliseconds(1), "m"),
            (.seconds(1), "S"), (.seconds(60), "M"), (.seconds(3_600), "H"),
        ]
        for (unit, letter) in units {
            let count = HeaderBytes.ceilingDivide(timeout, by: unit)
            if count <= Int64(maximumValue) {
                return "\(count)\(letter)"
            }
        }
        return "\(maximumValue)H"
    }
}
