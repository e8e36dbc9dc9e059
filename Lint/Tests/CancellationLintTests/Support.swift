import CancellationLintRules
import Foundation

/// Paths and helpers shared by the tests.
enum TestSupport {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    /// The linter's package, `Lint/`.
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    /// The repository the linter's package sits in; the rule pages are in its `docs/lint/`.
    static let repositoryRoot = packageRoot.deletingLastPathComponent()

    /// Every rule, including the opt-in ones.
    /// Every rule on, for test code too (a fixture may declare an `XCTestCase` to show a teardown).
    static let allRules = LintConfiguration(optInRules: Set(RuleID.allCases), testCode: RuleOverrides())

    static func lint(_ source: String, configuration: LintConfiguration = allRules) -> [Finding] {
        SourceLinter(configuration: configuration).lint(source: source, path: "test.swift")
    }

    static func readFixture(_ relativePath: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// `line → rules` from `// EXPECT: rule-a, rule-b` markers.
    static func expectations(in source: String) -> [Int: Set<String>] {
        var result: [Int: Set<String>] = [:]
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let range = line.range(of: "// EXPECT:") else { continue }
            let rules = line[range.upperBound...].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            result[index + 1, default: []].formUnion(rules)
        }
        return result
    }
}
