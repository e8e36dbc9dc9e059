import Testing
@testable import Cancellation

@Test func packageBuilds() { #expect(Bool(true)) }
