/// The `Request-Timeout-Ms` HTTP header: how many milliseconds the client gives the server to answer.
///
/// The library's HTTP integrations send and read this header so a request's remaining budget travels
/// from hop to hop, as `grpc-timeout` does for gRPC. The value is one to ten ASCII digits, a whole number
/// of milliseconds (`250`, `30000`) — the same shape as the Connect protocol's `Connect-Timeout-Ms`.
/// Ten digits allow about 115 days, far more than any server should accept; cap it with
/// ``ServerDeadlinePolicy``.
///
/// Values arrive from the network and are untrusted. ``parse(_:)`` accepts exactly that grammar (with
/// optional surrounding spaces or tabs) and returns `nil` for anything else — a sign, a fraction, an
/// eleventh digit, a unit, non-ASCII bytes — so a caller treats a malformed header as absent. It never
/// traps.
public enum RequestTimeoutHeader {
    /// The header's name, `Request-Timeout-Ms` (HTTP field names are case-insensitive).
    public static let name = "Request-Timeout-Ms"

    /// The largest number the grammar allows: ten digits.
    public static let maximumValue: Int64 = 9_999_999_999

    /// The longest timeout the header can express: 9,999,999,999 ms (about 115 days).
    public static let maximumTimeout: Duration = .milliseconds(maximumValue)

    /// Reads a `Request-Timeout-Ms` value.
    ///
    /// - Parameter value: The header value as received, for example `"250"`.
    /// - Returns: The timeout, or `nil` when the value does not follow the grammar. `0` gives `.zero`:
    ///   the client's deadline has already passed.
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
        return HeaderBytes.decimal(bytes, maximumDigits: 10).map { .milliseconds($0) }
    }

    /// Reads the shortest valid timeout among several values of the header (a request should carry one;
    /// if it carries more, the shortest wins so a duplicate can never lengthen the deadline).
    ///
    /// Each field line may hold several values joined by commas, as an intermediary may merge repeated
    /// fields into one line (RFC 9110, section 5.3): `Request-Timeout-Ms: 100, 5000` is read as the two values
    /// `100` and `5000`. Every member is parsed as untrusted input on its own; empty and malformed members
    /// are ignored, and never make a valid one count for more.
    ///
    /// - Parameter values: Every field line of the header, in any order.
    /// - Returns: The shortest timeout among the valid members, or `nil` when none is valid.
    @inlinable
    public static func parse<S: StringProtocol>(values: some Sequence<S>) -> Duration? {
        // Inlined where it is called, so the loop over a sequence type this module does not know is
        // specialized there rather than run through type metadata looked up on every call.
        var shortest: Duration?
        for line in values {
            shortest = Self.shortest(inLine: Substring(line), below: shortest)
        }
        return shortest
    }

    /// The shortest valid timeout among the comma-separated members of one field line and `current`.
    @usableFromInline
    static func shortest(inLine line: Substring, below current: Duration?) -> Duration? {
        var shortest = current
        for member in line.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard let timeout = parse(substring: Substring(member)) else { continue }
            shortest = min(shortest ?? timeout, timeout)
        }
        return shortest
    }

    /// Writes `timeout` as a `Request-Timeout-Ms` value: whole milliseconds, rounded *down* so the next
    /// hop's deadline never falls after the caller's, but at least `1` while any time is left.
    ///
    /// - Parameter timeout: The time the server gets. Zero or negative gives `0` (the deadline has
    ///   passed); anything above ``maximumTimeout`` gives the maximum.
    /// - Returns: The header value.
    public static func format(_ timeout: Duration) -> String {
        guard timeout > .zero else { return "0" }
        guard timeout < maximumTimeout else { return String(maximumValue) }
        let (seconds, attoseconds) = timeout.components
        // Below the maximum (about 115 days) nothing here can overflow.
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return String(max(milliseconds, 1))
    }
}
