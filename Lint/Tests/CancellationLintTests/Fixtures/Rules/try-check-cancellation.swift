// Fixture for try-check-cancellation.

func positiveSync() {
    try? Task.checkCancellation()  // EXPECT: try-check-cancellation
    work()
}

func positiveAsync() async {
    for item in items {
        try? Task.checkCancellation()  // EXPECT: try-check-cancellation
        await process(item)
    }
}

func positiveDiscarded() {
    _ = try? Task.checkCancellation()  // EXPECT: try-check-cancellation
}

// MARK: - Must not flag

func negativeTry() throws {
    try Task.checkCancellation()
}

func negativeIsCancelled() {
    if Task.isCancelled { return }
}

func negativeOtherTryQuestion() {
    try? validate()
}

// Used as a value, it is a check: `nil` means cancelled.
func negativeUsedAsCheck() async -> Int {
    if (try? Task.checkCancellation()) == nil {
        await flush()
        return 0
    }
    guard let _ = try? Task.checkCancellation() else { return 1 }
    return 2
}
