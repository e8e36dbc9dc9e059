import CancellationLintRules
import Testing

@Suite("Configuration file")
struct ConfigurationTests {
    @Test("Block and flow lists, comments and quotes")
    func parsesSubset() throws {
        let configuration = try LintConfiguration.parse(
            """
            # cancellation-lint settings
            disabled_rules:
              - try-sleep   # too noisy here
              - "catch-all-fallback"
            opt_in_rules: [cancellation-remapped, 'unowned-endless-task']
            excluded:
            - Tests/CancellationLintTests/Fixtures
              - "**/Generated"
            """
        )
        #expect(configuration.disabledRules == [.trySleep, .catchAllFallback])
        #expect(configuration.optInRules == [.cancellationRemapped, .unownedEndlessTask])
        #expect(configuration.excluded == ["Tests/CancellationLintTests/Fixtures", "**/Generated"])
        #expect(!configuration.isEnabled(.trySleep))
        #expect(configuration.isEnabled(.cancellationRemapped))
        #expect(configuration.isEnabled(.swallowedCancellationLoop))
    }

    @Test("warning_rules and error_rules set the severity findings are reported with")
    func severities() throws {
        let configuration = try LintConfiguration.parse(
            "warning_rules: [try-check-cancellation]\nerror_rules:\n  - catch-all-fallback\n"
        )
        #expect(configuration.severity(of: .tryCheckCancellation) == .warning)
        #expect(configuration.severity(of: .catchAllFallback) == .error)
        #expect(configuration.severity(of: .trySleep) == RuleID.trySleep.descriptor.severity)
        let findings = SourceLinter(configuration: configuration)
            .lint(source: "func f() async {\n    try? Task.checkCancellation()\n}\n", path: "F.swift")
        #expect(findings.map(\.severity) == [.warning])
        #expect(findings.map(\.rule) == [.tryCheckCancellation])
        #expect(throws: ConfigurationError.self) {
            try LintConfiguration.parse("warning_rules: [try-sleep]\nerror_rules: [try-sleep]\n")
        }
    }

    @Test("Empty file and empty lists give the defaults")
    func empty() throws {
        #expect(try LintConfiguration.parse("") == LintConfiguration())
        #expect(try LintConfiguration.parse("disabled_rules: []\nexcluded:\n") == LintConfiguration())
    }

    @Test(
        "Malformed input is rejected with the line number",
        arguments: [
            ("disabled_rules:\n  - no-such-rule\n", 2, "unknown rule"),
            ("colour: blue\n", 1, "must be a list"),
            ("colours:\n  - blue\n", 1, "unknown key"),
            ("  - try-sleep\n", 1, "outside of a key"),
            ("disabled_rules:\n\t- try-sleep\n", 2, "tabs"),
            ("disabled_rules: [try-sleep\n", 1, "must be a list"),
            ("excluded:\n  - \"unterminated\n", 2, "unterminated"),
            ("just some words\n", 1, "expected 'key:'"),
            ("excluded: []\nexcluded: []\n", 2, "duplicate key"),
            ("disabled_rules: [a,,b]\n", 1, "empty item"),
            ("excluded:\n  -\n", 2, "empty list item"),
            ("excluded:\n    nested: x\n", 2, "unexpected indentation"),
        ]
    )
    func rejects(text: String, line: Int, fragment: String) {
        do {
            _ = try LintConfiguration.parse(text)
            Issue.record("accepted malformed configuration: \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("Exclusion patterns match leading path components")
    func exclusion() {
        let configuration = LintConfiguration(excluded: ["Tests/Fixtures", "**/Generated", "Sources/*/Legacy*.swift"])
        #expect(configuration.isExcluded(relativePath: "Tests/Fixtures/a.swift"))
        #expect(configuration.isExcluded(relativePath: "./Tests/Fixtures/deep/b.swift"))
        #expect(!configuration.isExcluded(relativePath: "Tests/FixturesExtra/a.swift"))
        #expect(configuration.isExcluded(relativePath: "Sources/App/Generated/Model.swift"))
        #expect(configuration.isExcluded(relativePath: "Generated/Model.swift"))
        #expect(configuration.isExcluded(relativePath: "Sources/App/LegacyClient.swift"))
        #expect(!configuration.isExcluded(relativePath: "Sources/App/Client.swift"))
        #expect(!LintConfiguration().isExcluded(relativePath: "anything.swift"))
    }
}
