import CancellationLintRules
import Foundation
import Testing

@Suite("Baseline")
struct BaselineTests {
    static func finding(_ path: String, line: Int, rule: RuleID = .trySleep) -> Finding {
        Finding(path: path, line: line, column: 5, rule: rule, severity: .warning, message: "m")
    }

    /// Line texts of a pretend file.
    static func lines(_ text: String) -> (Finding) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return { finding in finding.line <= lines.count ? lines[finding.line - 1] : nil }
    }

    @Test("a finding on a line that moved stays accepted; a second copy of the line is new")
    func linesThatMove() {
        let before = "func f() async {\n    try? await Task.sleep(for: .seconds(1))\n}\n"
        let baseline = LintBaseline(accepting: [Self.finding("A.swift", line: 2)], sourceLine: Self.lines(before))
        #expect(baseline.findings == [.init(path: "A.swift", rule: .trySleep, source: "try? await Task.sleep(for: .seconds(1))")])

        let after = "// a comment\n\nfunc f() async {\n    try? await Task.sleep(for: .seconds(1))\n      try? await Task.sleep(for: .seconds(1))\n}\n"
        let run = [Self.finding("A.swift", line: 4), Self.finding("A.swift", line: 5)]
        let (new, accepted) = baseline.newFindings(among: run, sourceLine: Self.lines(after))
        #expect(accepted == 1)
        #expect(new == [Self.finding("A.swift", line: 5)])
    }

    @Test("another rule, another file, or a changed line is new; ./ in paths is ignored")
    func whatCountsAsNew() {
        let text = "x\n    try? await Task.sleep(for: .seconds(1))\n"
        let baseline = LintBaseline(accepting: [Self.finding("./Sources/A.swift", line: 2)], sourceLine: Self.lines(text))
        let same = baseline.newFindings(among: [Self.finding("Sources/A.swift", line: 2)], sourceLine: Self.lines(text))
        #expect(same.new.isEmpty && same.accepted == 1)
        let otherRule = baseline.newFindings(among: [Self.finding("Sources/A.swift", line: 2, rule: .tryCheckCancellation)], sourceLine: Self.lines(text))
        #expect(otherRule.new.count == 1)
        let otherFile = baseline.newFindings(among: [Self.finding("Sources/B.swift", line: 2)], sourceLine: Self.lines(text))
        #expect(otherFile.new.count == 1)
        let changed = baseline.newFindings(among: [Self.finding("Sources/A.swift", line: 2)], sourceLine: Self.lines("x\n    try? await Task.sleep(for: .seconds(2))\n"))
        #expect(changed.new.count == 1 && changed.accepted == 0)
    }

    @Test("a baseline survives a round trip through JSON, and an unknown version is refused")
    func roundTrip() throws {
        let baseline = LintBaseline(accepting: [Self.finding("A.swift", line: 1), Self.finding("B.swift", line: 1)], sourceLine: { _ in "try? \"quoted\" \\ text" })
        let data = try JSONEncoder().encode(baseline)
        let decoded = try JSONDecoder().decode(LintBaseline.self, from: data)
        #expect(decoded == baseline)
        try decoded.validate()
        var future = decoded
        future.version = 2
        #expect(throws: BaselineError.self) { try future.validate() }
    }
}
