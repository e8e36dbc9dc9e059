import CancellationLintRules
import Foundation
import Testing

@Suite("Rule fixtures")
struct RuleFixtureTests {
    static let fixtureNames = [
        "swallowed-cancellation-loop", "try-sleep", "try-check-cancellation", "catch-all-fallback",
        "cancellation-remapped", "uncancellable-loop", "unowned-endless-task",
    ]

    @Test("Each fixture reports exactly its EXPECT lines", arguments: fixtureNames)
    func fixture(name: String) throws {
        let source = try TestSupport.readFixture("Rules/\(name).swift")
        let expected = TestSupport.expectations(in: source)
        #expect(!expected.isEmpty, "fixture \(name) has no positive case")
        #expect(expected.values.contains { $0.contains(name) }, "fixture \(name) has no case for its own rule")
        let findings = TestSupport.lint(source)
        var actual: [Int: Set<String>] = [:]
        for finding in findings {
            actual[finding.line, default: []].insert(finding.rule.rawValue)
        }
        for (line, rules) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(actual[line] == rules, "\(name).swift:\(line): expected \(rules.sorted()), got \(actual[line]?.sorted() ?? [])")
        }
        for (line, rules) in actual.sorted(by: { $0.key < $1.key }) where expected[line] == nil {
            Issue.record("\(name).swift:\(line): unexpected \(rules.sorted())")
        }
    }

    /// The classes of misses and false positives found on code the rules were not written for (issue #15),
    /// each with a fixture named after it.
    static let classFixtureNames = [
        "miss-teardown-word-in-function-name", "miss-watchdog-word-after-sleep", "miss-continue-in-for-loop-then-fallback",
        "fp-expected-error-test-idiom", "fp-await-that-cannot-throw-cancellation", "fp-test-matcher-returns-failure",
    ]

    @Test("Each miss and false-positive class reports exactly its EXPECT lines", arguments: classFixtureNames)
    func classFixture(name: String) throws {
        let source = try TestSupport.readFixture("Classes/\(name).swift")
        let expected = TestSupport.expectations(in: source)
        if name.hasPrefix("miss-") {
            #expect(!expected.isEmpty, "a miss class needs the cases it used to miss")
        }
        var actual: [Int: Set<String>] = [:]
        for finding in TestSupport.lint(source) {
            actual[finding.line, default: []].insert(finding.rule.rawValue)
        }
        for (line, rules) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(actual[line] == rules, "\(name).swift:\(line): expected \(rules.sorted()), got \(actual[line]?.sorted() ?? [])")
        }
        for (line, rules) in actual.sorted(by: { $0.key < $1.key }) where expected[line] == nil {
            Issue.record("\(name).swift:\(line): unexpected \(rules.sorted())")
        }
    }

    @Test("Every rule has a fixture and a documentation page")
    func everyRuleIsCovered() {
        let ruleIDs = RuleID.allCases.map(\.rawValue)
        for id in ruleIDs where id != "unused-suppression" && id != "unparsable-file" {
            #expect(Self.fixtureNames.contains(id))
        }
        for id in ruleIDs {
            let page = TestSupport.repositoryRoot.appendingPathComponent("docs/lint/\(id).md")
            #expect(FileManager.default.fileExists(atPath: page.path), "missing docs/lint/\(id).md")
        }
    }

    @Test("Opt-in rules do not run by default")
    func optInRulesAreOff() throws {
        let remapped = try TestSupport.readFixture("Rules/cancellation-remapped.swift")
        let task = try TestSupport.readFixture("Rules/unowned-endless-task.swift")
        let linter = SourceLinter()
        #expect(linter.lint(source: remapped, path: "a.swift").allSatisfy { $0.rule != .cancellationRemapped })
        #expect(linter.lint(source: task, path: "b.swift").allSatisfy { $0.rule != .unownedEndlessTask })
        #expect(!LintConfiguration().isEnabled(.cancellationRemapped))
        #expect(LintConfiguration(optInRules: [.cancellationRemapped]).isEnabled(.cancellationRemapped))
    }

    @Test("Findings carry the rule's severity, position and a fix suggestion")
    func findingShape() throws {
        let findings = TestSupport.lint(
            """
            func f() {
                try? Task.checkCancellation()
            }
            """
        )
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.rule == .tryCheckCancellation)
        #expect(finding.severity == .error)
        #expect(finding.line == 2)
        #expect(finding.column == 5)
        #expect(finding.path == "test.swift")
        #expect(finding.message.contains("fix:"))
    }

    @Test("Every rule message contains a fix suggestion", arguments: fixtureNames)
    func messagesSuggestFixes(name: String) throws {
        let findings = TestSupport.lint(try TestSupport.readFixture("Rules/\(name).swift"))
        #expect(!findings.isEmpty)
        for finding in findings {
            #expect(finding.message.contains("fix:"))
        }
    }

    @Test("Disabled rules report nothing")
    func disabledRule() throws {
        let source = try TestSupport.readFixture("Rules/try-sleep.swift")
        let configuration = LintConfiguration(disabledRules: [.trySleep])
        let findings = SourceLinter(configuration: configuration).lint(source: source, path: "x")
        #expect(!findings.isEmpty)
        #expect(findings.allSatisfy { $0.rule != .trySleep })
    }

    @Test("A file that does not parse yields one unparsable-file finding and no rule findings")
    func unparsable() {
        let findings = TestSupport.lint(
            """
            func f() async {
                try? Task.checkCancellation()
                while true {
            """
        )
        #expect(findings.map(\.rule) == [.unparsableFile])
        #expect(findings.first?.severity == .error)
        #expect(findings.first?.line == 3)
    }

    @Test("Binary garbage is reported as unparsable, not a crash")
    func garbage() {
        let findings = TestSupport.lint("\u{0}\u{1}@@@ }}} {{{ ))) let let let")
        #expect(findings.map(\.rule) == [.unparsableFile])
    }

    @Test("An empty file is clean")
    func emptyFile() {
        #expect(TestSupport.lint("").isEmpty)
    }
}
