import CancellationLintRules
import SwiftParser
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
            ("excluded:\n    nested: x\n", 2, "must be a list"),
            ("excluded:\n    nested: [x]\n", 2, "unexpected indentation"),
            ("test_code: [try-sleep]\n", 1, "must be followed by indented"),
            ("test_code:\n  excluded: [x]\n", 2, "unknown key 'excluded' under 'test_code'"),
            ("rules: [x]\n", 1, "'rules' must map path patterns"),
            ("rules:\n  \"Tests/**\":\n    disabled_rules: [no-such-rule]\n", 3, "unknown rule"),
            ("rules:\n  \"Tests/**\":\n    colours: [blue]\n", 3, "unknown key 'colours' under 'Tests/**'"),
            ("rules:\n  \"Tests/**:\n", 2, "unterminated quoted key"),
            ("rules:\n  Tests:\n    disabled_rules: [try-sleep]\n  Tests:\n    disabled_rules: [try-sleep]\n", 4, "duplicate key"),
            ("  - try-sleep\ndisabled_rules: []\n", 1, "outside of a key"),
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

    @Test("test_code and rules: per-path layers, applied after the top-level keys and before the command line")
    func layers() throws {
        let configuration = try LintConfiguration.parse(
            """
            opt_in_rules: [cancellation-remapped]
            warning_rules: [catch-all-fallback]
            test_code:
              disabled_rules: [try-check-cancellation]
              opt_in_rules: [try-sleep]
            rules:
              "Sources/Legacy/**":
                disabled_rules: [catch-all-fallback, cancellation-remapped]
              Sources/Server:
                error_rules:
                  - catch-all-fallback
              "**/Generated":
                disabled_rules: [swallowed-cancellation-loop]
            """
        )
        #expect(configuration.pathRules.map(\.pattern) == ["Sources/Legacy/**", "Sources/Server", "**/Generated"])

        let plain = configuration.forFile(relativePath: "Sources/App/A.swift", isTestCode: false)
        #expect(plain.enabledRules.contains(.cancellationRemapped) && plain.enabledRules.contains(.trySleep))
        #expect(plain.severity(of: .catchAllFallback) == .warning)

        let legacy = configuration.forFile(relativePath: "Sources/Legacy/Old/B.swift", isTestCode: false)
        #expect(!legacy.enabledRules.contains(.catchAllFallback) && !legacy.enabledRules.contains(.cancellationRemapped))

        let server = configuration.forFile(relativePath: "Sources/Server/Handler.swift", isTestCode: false)
        #expect(server.severity(of: .catchAllFallback) == .error)

        let generated = configuration.forFile(relativePath: "Sources/Server/Generated/C.swift", isTestCode: false)
        #expect(!generated.enabledRules.contains(.swallowedCancellationLoop))
        #expect(generated.severity(of: .catchAllFallback) == .error, "every matching path rule applies, in order")

        // The configured test profile replaces the default one (which turns try-sleep off).
        let test = configuration.forFile(relativePath: "Tests/AppTests/T.swift", isTestCode: true)
        #expect(!test.enabledRules.contains(.tryCheckCancellation))
        #expect(test.enabledRules.contains(.trySleep))

        // Without a path (standard input) no path rule applies; the overrides (the command line) come last.
        var withCommandLine = configuration
        withCommandLine.overrides = [RuleOverrides(enabledRules: [.catchAllFallback])]
        #expect(withCommandLine.forFile(relativePath: "Sources/Legacy/B.swift", isTestCode: false).enabledRules.contains(.catchAllFallback))
        #expect(configuration.forFile(relativePath: nil, isTestCode: false).enabledRules.contains(.catchAllFallback))
    }

    @Test("Test code gets the default test profile: try-sleep off, everything else as configured")
    func defaultTestProfile() {
        let configuration = LintConfiguration()
        #expect(!configuration.forFile(relativePath: "Tests/A.swift", isTestCode: true).enabledRules.contains(.trySleep))
        #expect(configuration.forFile(relativePath: "Tests/A.swift", isTestCode: true).enabledRules.contains(.catchAllFallback))
        #expect(configuration.forFile(relativePath: "Sources/A.swift", isTestCode: false).enabledRules.contains(.trySleep))
        #expect(throws: Never.self) { try LintConfiguration.parse("test_code:\n") }
        #expect(try! LintConfiguration.parse("test_code:\n").testCode == RuleOverrides(), "an empty test_code: leaves test code like the rest")
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

@Suite("Test code")
struct TestCodeTests {
    @Test("Recognised by folder, imports, XCTestCase subclasses and @Test / @Suite; not otherwise", arguments: [
        ("Tests/AppTests/A.swift", "func f() {}", true),
        ("Sources/AppTests/A.swift", "func f() {}", true),
        ("Sources/App/A.swift", "import XCTest\nfunc f() {}", true),
        ("Sources/App/A.swift", "import Testing", true),
        ("Sources/App/A.swift", "final class T: XCTestCase {}", true),
        ("Sources/App/A.swift", "struct S { @Test func t() {} }", true),
        ("Sources/App/A.swift", "@Suite struct S {}", true),
        ("Sources/App/A.swift", "import Foundation\nstruct Latest { func test() { @Test var x = 1 } }", false),
        ("Sources/App/Tests.swift", "struct Contest {}", false),
        ("Sources/App/A.swift", "let testing = \"import XCTest\"", false),
    ])
    func recognition(path: String, source: String, expected: Bool) {
        #expect(TestCode.isTestCode(Parser.parse(source: source), path: path) == expected)
    }

    @Test("Findings in test code are marked, and the default test profile applies")
    func findingsInTestCode() {
        let source = "import XCTest\nfunc f() async {\n    try? await Task.sleep(for: .seconds(1))\n    await g()\n}\nfunc h() {\n    try? Task.checkCancellation()\n}\n"
        let findings = SourceLinter().lint(source: source, path: "Sources/App/A.swift")
        #expect(findings.map(\.rule) == [.tryCheckCancellation])
        #expect(findings.allSatisfy { $0.inTestCode })
        let plain = SourceLinter().lint(source: String(source.dropFirst("import XCTest\n".count)), path: "Sources/App/A.swift")
        #expect(plain.map(\.rule) == [.trySleep, .tryCheckCancellation])
        #expect(!plain.contains { $0.inTestCode })
    }
}
