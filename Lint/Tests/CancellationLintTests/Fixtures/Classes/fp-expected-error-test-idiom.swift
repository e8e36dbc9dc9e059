// False-positive class: the expected-error test idiom. The catch-all is the point of the test: the call
// must throw, and a `XCTFail` / `Issue.record` after it fails the test when it does not.

func testRejectsBadInput() async {
    do {
        try await parser.parse("bad")
        XCTFail("expected an error")
    } catch {}
    await parser.reset()
}

func rejectsBadInput() async {
    do {
        try await parser.parse("bad")
        Issue.record("expected an error")
    } catch {
    }
    await parser.reset()
}

func rejectsWithExpect() async {
    do {
        try await parser.parse("bad")
        #expect(Bool(false), "expected an error")
    } catch {}
    await parser.reset()
}

// Not the idiom: nothing fails the test when the call succeeds, and more work follows.
func swallowsInATest() async {
    do {
        try await parser.parse("bad")
    } catch {}  // EXPECT: catch-all-fallback
    await report.send()
}
