// Fixture for uncancellable-loop.

func positiveBusyLoop() async {
    while true {  // EXPECT: uncancellable-loop
        await Task.yield()
        counter += 1
    }
}

func positiveRepeat() async {
    repeat {  // EXPECT: uncancellable-loop
        let message = await mailbox.receive()
        handle(message)
    } while true
}

func positiveTrySleepOnly() async {
    while true {  // EXPECT: uncancellable-loop
        await poll()
        try? await Task.sleep(for: .seconds(1))  // EXPECT: try-sleep
    }
}

func positiveInTaskClosure() {
    let task = Task {
        while true {  // EXPECT: uncancellable-loop
            tick()
        }
    }
    tasks.append(task)
}

// MARK: - Must not flag

func negativeThrowingAwait() async throws {
    while true {
        try await Task.sleep(for: .seconds(1))
        await poll()
    }
}

func negativeGuardedLoop() async {
    while !Task.isCancelled {
        await poll()
    }
}

func negativeCheckInBody() async throws {
    while true {
        try Task.checkCancellation()
        await poll()
    }
}

func negativeIsCancelledInBody() async {
    while true {
        if Task.isCancelled { break }
        await poll()
    }
}

func negativeExits() async {
    while true {
        guard let message = await mailbox.receive() else { return }
        handle(message)
    }
}

func negativeBreaks() async {
    while true {
        let done = await step()
        if done { break }
    }
}

func negativeSynchronous() {
    while true {
        runLoopIteration()
    }
}

func negativeConditionLoop() async {
    while counter < 10 {
        await poll()
        counter += 1
    }
}

// A function's name says nothing: `stop()` loops forever.
func stop() async {
    while true {  // EXPECT: uncancellable-loop
        await drainOne()
    }
}

func negativeDefer() async {
    defer {
        Task {
            while true { await poll() }
        }
    }
}
