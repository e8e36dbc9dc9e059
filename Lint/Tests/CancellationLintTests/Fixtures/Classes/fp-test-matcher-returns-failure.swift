// False-positive class: a test-framework matcher reports a failure by returning a value built from the
// caught error; the error is handed on, not hidden.

func throwError() -> Matcher<Void> {
    Matcher { expression in
        do {
            try await expression.evaluate()
            return MatcherResult(status: .fail, message: .fail("expected an error"))
        } catch {
            return MatcherResult(status: .matches, message: .expectedActualValueTo("throw \(error)"))
        }
    }
}

func succeed() -> Matcher<Void> {
    Matcher { expression in
        do {
            try await expression.evaluate()
            return MatcherResult(bool: true, message: .expectedTo("succeed"))
        } catch {
            return MatcherResult(bool: false, message: .expectedTo("succeed, got \(error)"))
        }
    }
}
