import CancellationWire
import Testing

/// A small deterministic generator, so a failing fuzz case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Whether `value`, stripped of surrounding spaces and tabs, is 1...`digits` ASCII digits followed by
/// one of `units` (or nothing, when `units` is empty): the grammar, written independently of the parser.
private func matchesGrammar(_ value: String, digits: Int, units: Set<Character>) -> Bool {
    let bytes = Array(value.utf8)
    var start = 0
    var end = bytes.count
    while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
    while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
    var body = Array(bytes[start..<end])
    if !units.isEmpty {
        guard let last = body.popLast(), units.contains(Character(Unicode.Scalar(last))) else { return false }
    }
    return !body.isEmpty && body.count <= digits && body.allSatisfy { (0x30...0x39).contains($0) }
}

@Suite("grpc-timeout header")
struct GRPCTimeoutHeaderTests {
    @Test("every unit of the grammar", arguments: [
        ("1H", Duration.seconds(3_600)), ("2M", .seconds(120)), ("3S", .seconds(3)),
        ("250m", .milliseconds(250)), ("7u", .microseconds(7)), ("9n", .nanoseconds(9)),
        ("0n", .zero), ("0S", .zero), ("00000001m", .milliseconds(1)),
        ("99999999H", .seconds(99_999_999 * 3_600)), (" 5S\t", .seconds(5)),
    ])
    func parsesValid(value: String, expected: Duration) {
        #expect(GRPCTimeoutHeader.parse(value) == expected)
    }

    @Test("anything outside the grammar is rejected, never trapped on", arguments: [
        "", " ", "m", "5", "5s", "5h", "-1m", "+1m", "1.5S", "1e3m", "5 S", "5SS", "S5",
        "100000000H", "123456789n", "99999999999999999999999999H", "0x10m", "١٢m", "５S", "5\u{0}m",
        "9223372036854775807n", "5m ,3m",
    ])
    func rejectsMalformed(value: String) {
        #expect(GRPCTimeoutHeader.parse(value) == nil)
    }

    @Test("several values: the shortest valid one wins, malformed ones are ignored")
    func severalValues() {
        #expect(GRPCTimeoutHeader.parse(values: ["5S", "junk", "200m", "1H"]) == .milliseconds(200))
        #expect(GRPCTimeoutHeader.parse(values: ["junk", "-3S"]) == nil)
        #expect(GRPCTimeoutHeader.parse(values: [String]()) == nil)
    }

    @Test("formatting picks the finest unit that fits eight digits and rounds up", arguments: [
        (Duration.nanoseconds(1), "1n"), (.milliseconds(50), "50000000n"), (.milliseconds(100), "100000u"),
        (.seconds(5), "5000000u"), (.seconds(100), "100000m"), (.seconds(3_600), "3600000m"),
        (.seconds(100_000), "100000S"), (.seconds(100_000_000), "1666667M"),
        (.seconds(10_000_000_000), "2777778H"), (.nanoseconds(100_000_001), "100001u"),
        (Duration(secondsComponent: 0, attosecondsComponent: 1), "1n"),
    ])
    func formats(timeout: Duration, expected: String) {
        #expect(GRPCTimeoutHeader.format(timeout) == expected)
    }

    @Test("zero, negative and enormous budgets are clamped")
    func clamps() {
        #expect(GRPCTimeoutHeader.format(.zero) == "0n")
        #expect(GRPCTimeoutHeader.format(.seconds(-5)) == "0n")
        #expect(GRPCTimeoutHeader.format(.seconds(Int64.max)) == "99999999H")
        #expect(GRPCTimeoutHeader.format(GRPCTimeoutHeader.maximumTimeout) == "99999999H")
    }

    @Test("format then parse gives back the budget, at most one unit longer")
    func roundTrip() {
        var generator = SplitMix64(state: 7)
        for _ in 0..<20_000 {
            let magnitude = Int64.random(in: 0...18, using: &generator)
            var limit: Int64 = 1
            for _ in 0..<magnitude { limit *= 10 }
            let timeout = Duration.nanoseconds(Int64.random(in: 1...limit, using: &generator))
            let text = GRPCTimeoutHeader.format(timeout)
            let parsed = GRPCTimeoutHeader.parse(text)
            #expect(parsed != nil, "\(timeout) → \(text)")
            guard let parsed else { continue }
            #expect(parsed >= timeout, "\(timeout) → \(text) → \(parsed)")
            // A unit is chosen only when the next finer one overflows eight digits, and units grow at most a
            // thousandfold, so the rounding (less than one unit) is below a hundred-thousandth of the value.
            #expect(parsed - timeout <= max(.nanoseconds(1), timeout / 100_000), "\(timeout) → \(text)")
        }
    }

    @Test("fuzz: random bytes and near-miss strings never trap and are accepted only when grammatical")
    func fuzz() {
        var generator = SplitMix64(state: 42)
        let alphabet = Array("0123456789HMSmunhs -+.\t\u{0}x٣５".unicodeScalars)
        let units: Set<Character> = ["H", "M", "S", "m", "u", "n"]
        var accepted = 0
        for round in 0..<50_000 {
            let length = Int.random(in: 0...12, using: &generator)
            let value: String
            if round.isMultiple(of: 2) {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                value = String(decoding: bytes, as: UTF8.self)
            } else {
                value = String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
            }
            let parsed = GRPCTimeoutHeader.parse(value)
            #expect((parsed != nil) == matchesGrammar(value, digits: 8, units: units), "\(value.debugDescription)")
            if let parsed {
                accepted += 1
                #expect(parsed >= .zero && parsed <= GRPCTimeoutHeader.maximumTimeout)
            }
        }
        #expect(accepted > 100, "the fuzzer should also produce valid values")
    }
}

@Suite("Request-Timeout-Ms header")
struct RequestTimeoutHeaderTests {
    @Test("whole milliseconds, up to ten digits", arguments: [
        ("250", Duration.milliseconds(250)), ("0", .zero), (" 30000 ", .seconds(30)),
        ("9999999999", .milliseconds(9_999_999_999)), ("0000000001", .milliseconds(1)),
    ])
    func parsesValid(value: String, expected: Duration) {
        #expect(RequestTimeoutHeader.parse(value) == expected)
    }

    @Test("anything else is rejected", arguments: [
        "", "-5", "+5", "5ms", "1.5", "1e3", "0x10", "10000000000", "99999999999999999999999", "5 0",
        "٣", "NaN", "inf", "5\r\n", "250,100",
    ])
    func rejectsMalformed(value: String) {
        #expect(RequestTimeoutHeader.parse(value) == nil)
    }

    @Test("formatting rounds down to whole milliseconds, at least 1 while time is left, and clamps")
    func formats() {
        #expect(RequestTimeoutHeader.format(.milliseconds(250)) == "250")
        #expect(RequestTimeoutHeader.format(.microseconds(1)) == "1")
        #expect(RequestTimeoutHeader.format(.microseconds(1_999)) == "1")
        #expect(RequestTimeoutHeader.format(.microseconds(2_000)) == "2")
        #expect(RequestTimeoutHeader.format(.seconds(3) + .nanoseconds(999_999)) == "3000")
        #expect(RequestTimeoutHeader.format(.zero) == "0")
        #expect(RequestTimeoutHeader.format(.seconds(-1)) == "0")
        #expect(RequestTimeoutHeader.format(.seconds(Int64.max)) == "9999999999")
    }

    @Test("several values: the shortest valid one wins")
    func severalValues() {
        #expect(RequestTimeoutHeader.parse(values: ["900", "x", "300"]) == .milliseconds(300))
        #expect(RequestTimeoutHeader.parse(values: ["x"]) == nil)
    }

    @Test("a line merged by a proxy: each comma-separated member counts, the shortest valid one wins", arguments: [
        (["100, 5000"], Duration?.some(.milliseconds(100))),
        (["5000,100"], .milliseconds(100)),
        (["5000 , x, 250"], .milliseconds(250)),
        (["100,,5000", "70"], .milliseconds(70)),
        ([",", " , "], nil),
        (["-5, 1.5, 10000000000"], nil),
        (["300,"], .milliseconds(300)),
    ])
    func mergedLines(lines: [String], expected: Duration?) {
        #expect(RequestTimeoutHeader.parse(values: lines) == expected)
    }

    @Test("fuzz: merged lines give the shortest grammatical member, and never trap")
    func fuzzMergedLines() {
        var generator = SplitMix64(state: 9_001)
        let alphabet = Array("0123456789 -+.\te,".unicodeScalars)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let line = String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
            let expected = line.split(separator: ",", omittingEmptySubsequences: false)
                .compactMap { RequestTimeoutHeader.parse($0) }.min()
            #expect(RequestTimeoutHeader.parse(values: [line]) == expected, "\(line.debugDescription)")
        }
    }

    @Test("fuzz: random bytes never trap and are accepted only when grammatical")
    func fuzz() {
        var generator = SplitMix64(state: 4_242)
        let alphabet = Array("0123456789 -+.\te,".unicodeScalars)
        var accepted = 0
        for round in 0..<50_000 {
            let length = Int.random(in: 0...13, using: &generator)
            let value: String
            if round.isMultiple(of: 2) {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                value = String(decoding: bytes, as: UTF8.self)
            } else {
                value = String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
            }
            let parsed = RequestTimeoutHeader.parse(value)
            #expect((parsed != nil) == matchesGrammar(value, digits: 10, units: []), "\(value.debugDescription)")
            if parsed != nil { accepted += 1 }
        }
        #expect(accepted > 100)
    }
}
