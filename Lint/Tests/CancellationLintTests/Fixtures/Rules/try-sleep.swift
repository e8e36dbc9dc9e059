// Fixture for try-sleep.

func positiveMoreWork() async {
    try? await Task.sleep(for: .seconds(1))  // EXPECT: try-sleep
    await refresh()
}

func positiveClockSleep(clock: ContinuousClock) async {
    try? await clock.sleep(for: .milliseconds(10))  // EXPECT: try-sleep
    counter += 1
}

func positiveDiscardAssignment() async {
    _ = try? await Task.sleep(nanoseconds: 1_000_000)  // EXPECT: try-sleep
    print("woke up")
}

func positiveLastInEndlessLoop() async {
    while true {  // EXPECT: uncancellable-loop
        await poll()
        try? await Task.sleep(for: .seconds(5))  // EXPECT: try-sleep
    }
}

func positiveContinueInLoop() async {
    while true {  // EXPECT: uncancellable-loop
        if await poll() {
            try? await Task.sleep(for: .seconds(5))  // EXPECT: try-sleep
            continue
        }
    }
}

// MARK: - Must not flag

func negativePlainTry() async throws {
    try await Task.sleep(for: .seconds(1))
    await refresh()
}

func negativeWatchdogReturn() async {
    try? await Task.sleep(for: .seconds(1))
    return
}

func negativeWatchdogCancels(task: Task<Void, Never>) async {
    try? await Task.sleep(for: .seconds(10))
    task.cancel()
}

func negativeWatchdogCancelAll() async {
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            try? await Task.sleep(for: .seconds(10))
            group.cancelAll()
        }
    }
}

func negativeLastStatementOfTask() {
    Task {
        await work2()
        try? await Task.sleep(for: .seconds(1))
    }
}

func negativeCheckedAfterwards() async {
    try? await Task.sleep(for: .seconds(1))
    guard !Task.isCancelled else { return }
    await refresh()
}

func negativeLoopGuarded() async {
    while !Task.isCancelled {
        await poll()
        try? await Task.sleep(for: .seconds(5))
    }
}

func negativeResultUsed() async {
    let slept: Void? = try? await Task.sleep(for: .seconds(1))
    if slept == nil { return }
    await refresh()
}

func negativeDefer() async {
    defer {
        Task {
            try? await Task.sleep(for: .seconds(1))
            await refresh()
        }
    }
}

func negativeOnCancel() async {
    await withTaskCancellationHandler {
        await work2()
    } onCancel: {
        Task {
            try? await Task.sleep(for: .seconds(1))
            await refresh()
        }
    }
}

func negativeNotASleep() async {
    try? await fetch()
    await refresh()
}

// A watchdog whose own cancellation (the work finished in time) still reports a timeout: no word in the
// next statement makes the sleep harmless.
func positiveWatchdogFailsOnCancellation(promise: Promise) async {
    try? await Task.sleep(for: .seconds(5))  // EXPECT: try-sleep
    promise.fail(TimeoutError())
}

func positiveWordInsideAnotherWord() async {
    try? await Task.sleep(for: .seconds(5))  // EXPECT: try-sleep
    failures += 1
}

// A flag of the program's own, not the task's cancellation, decides what happens next.
func positiveStateFlagAfterwards() async {
    try? await Task.sleep(for: .milliseconds(500))  // EXPECT: try-sleep
    let currentIsStopping = await isStopping
    if !currentIsStopping { await reconnect() }
}

// The next statement is a `for await` loop, which ends as soon as it sees the cancellation.
func negativeForAwaitNext() async {
    let task = Task {
        try? await Task.sleep(nanoseconds: 1_000_000_000)
        for await _ in merge(first, second) {}
    }
    task.cancel()
}

func negativeInsideCancellationShield() async throws {
    do {
        try await clock.sleep(for: .seconds(100))
    } catch {
        await withCancellationShield {
            try? await clock.sleep(for: .seconds(2))
            steps.record("cleanup finished")
        }
        throw error
    }
}
