import CancellationLintRules
import Testing

@Suite("Suppression comments")
struct SuppressionTests {
    let sleepThenWork = """
        try? await Task.sleep(for: .seconds(1))
        await work()
        """

    @Test("disable:next suppresses the next line only")
    func disableNext() {
        let findings = TestSupport.lint(
            """
            func f() async {
                // cancellation-lint:disable:next try-sleep
                try? await Task.sleep(for: .seconds(1))
                await work()
                try? await Task.sleep(for: .seconds(1))
                await work()
            }
            """
        )
        #expect(findings.map(\.rule) == [.trySleep])
        #expect(findings.map(\.line) == [5])
    }

    @Test("disable:this suppresses its own line")
    func disableThis() {
        let findings = TestSupport.lint(
            """
            func f() {
                try? Task.checkCancellation() // cancellation-lint:disable:this try-check-cancellation
            }
            """
        )
        #expect(findings.isEmpty)
    }

    @Test("disable … enable regions, and 'all'")
    func regions() {
        let findings = TestSupport.lint(
            """
            func f() {
                // cancellation-lint:disable try-check-cancellation
                try? Task.checkCancellation()
                try? Task.checkCancellation()
                // cancellation-lint:enable try-check-cancellation
                try? Task.checkCancellation()
                /* cancellation-lint:disable all */
                try? Task.checkCancellation()
            }
            """
        )
        #expect(findings.map(\.line) == [6])
    }

    @Test("A suppression that suppresses nothing is reported")
    func unused() {
        let findings = TestSupport.lint(
            """
            func f() {
                // cancellation-lint:disable:next try-sleep
                print("hi")
            }
            """
        )
        #expect(findings.map(\.rule) == [.unusedSuppression])
        #expect(findings.first?.line == 2)
        #expect(findings.first?.severity == .warning)
    }

    @Test("A suppression naming the wrong rule does not suppress, and is reported")
    func wrongRule() {
        let findings = TestSupport.lint(
            """
            func f() {
                // cancellation-lint:disable:next try-sleep
                try? Task.checkCancellation()
            }
            """
        )
        #expect(Set(findings.map(\.rule)) == [.tryCheckCancellation, .unusedSuppression])
    }

    @Test("Unknown rules and directives are reported")
    func unknown() {
        let findings = TestSupport.lint(
            """
            // cancellation-lint:disable:next no-such-rule
            // cancellation-lint:silence try-sleep
            // cancellation-lint:enable try-sleep
            let x = 1
            """
        )
        #expect(findings.count == 3)
        #expect(findings.allSatisfy { $0.rule == .unusedSuppression })
        #expect(findings[0].message.contains("no-such-rule"))
        #expect(findings[1].message.contains("silence"))
        #expect(findings[2].message.contains("no matching disable"))
    }

    @Test("Directive-looking text inside string literals is ignored")
    func stringLiteral() {
        let findings = TestSupport.lint(
            """
            let text = "// cancellation-lint:disable:next try-sleep"
            """
        )
        #expect(findings.isEmpty)
    }

    @Test("Suppressions of disabled rules are not reported as unused")
    func disabledRuleSuppression() {
        let findings = TestSupport.lint(
            """
            // cancellation-lint:disable:next try-sleep
            let x = 1
            """,
            configuration: LintConfiguration(disabledRules: [.trySleep])
        )
        #expect(findings.isEmpty)
    }

    @Test("unused-suppression can itself be disabled")
    func unusedSuppressionDisabled() {
        let findings = TestSupport.lint(
            """
            // cancellation-lint:disable:next try-sleep
            let x = 1
            """,
            configuration: LintConfiguration(disabledRules: [.unusedSuppression])
        )
        #expect(findings.isEmpty)
    }
}
