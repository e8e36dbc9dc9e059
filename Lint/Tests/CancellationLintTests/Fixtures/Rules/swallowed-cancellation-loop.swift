// Fixture for swallowed-cancellation-loop. Lines with an EXPECT marker must be reported; nothing else.

func positiveWhileTrue() async {
    while true {
        do {
            try await work()
        } catch {  // EXPECT: swallowed-cancellation-loop
            log(error)
        }
    }
}

func positiveCatchLet() async {
    while running {
        do {
            try await work()
        } catch let failure {  // EXPECT: swallowed-cancellation-loop
            logger.error("work failed: \(failure)")
        }
    }
}

func positiveCatchWildcard() async {
    repeat {
        do {
            let value = try await fetch()
            consume(value)
        } catch _ {  // EXPECT: swallowed-cancellation-loop
            counter += 1
        }
    } while true
}

func positiveNestedForInsideWhile(items: [Int]) async {
    while true {
        for item in items {
            do {
                try await process(item)
            } catch {  // EXPECT: swallowed-cancellation-loop
                print("skipping \(item): \(error)")
                continue
            }
        }
    }
}

func positiveTryQuestionSleepInHandler() async {
    while true {
        do {
            try await work()
        } catch let error as any Error {  // EXPECT: swallowed-cancellation-loop
            logger.warning("retrying after \(error)")
            _ = try? await Task.sleep(for: .seconds(1))  // EXPECT: try-sleep
        }
    }
}

// MARK: - Must not flag

func negativeEarlierCancellationClause() async {
    while true {
        do {
            try await work()
        } catch is CancellationError {
            return
        } catch {
            log(error)
        }
    }
}

func negativeEarlierBoundCancellationClause() async throws {
    while true {
        do {
            try await work()
        } catch let error as CancellationError {
            throw error
        } catch {
            log(error)
        }
    }
}

func negativeThrowInHandler() async throws {
    while true {
        do {
            try await work()
        } catch {
            if attempts > 3 { throw error }
            attempts += 1
        }
    }
}

func negativeHandlerChecksIsCancelled() async {
    while true {
        do {
            try await work()
        } catch {
            if Task.isCancelled { return }
            log(error)
        }
    }
}

func negativeHandlerCheckCancellation() async throws {
    while true {
        do {
            try await work()
        } catch {
            try Task.checkCancellation()
            log(error)
        }
    }
}

func negativeHandlerTestsError() async {
    while true {
        do {
            try await work()
        } catch {
            if error is CancellationError { break }
            log(error)
        }
    }
}

func negativeResumeThrowing(continuation: CheckedContinuation<Void, any Error>) async {
    while true {
        do {
            try await work()
        } catch {
            continuation.resume(throwing: error)
        }
    }
}

func negativeFinishThrowing(continuation: AsyncThrowingStream<Int, any Error>.Continuation) async {
    while true {
        do {
            try await work()
        } catch {
            continuation.finish(throwing: error)
        }
    }
}

func negativeFailureValue(results: ResultSink) async {
    while true {
        do {
            try await work()
        } catch {
            results.send(.failure(error))
        }
    }
}

func negativeCallback(onError: (any Error) -> Void) async {
    while true {
        do {
            try await work()
        } catch {
            onError(error)
        }
    }
}

func negativeLoopGuardedByIsCancelled() async {
    while !Task.isCancelled {
        do {
            try await work()
        } catch {
            log(error)
        }
    }
}

func negativeLoopChecksInBody() async {
    while true {
        guard !Task.isCancelled else { return }
        do {
            try await work()
        } catch {
            log(error)
        }
    }
}

func negativeHandlerLeavesLoop() async {
    while true {
        do {
            try await work()
        } catch {
            log(error)
            break
        }
    }
}

func negativeForAwaitLoop(stream: AsyncStream<Int>) async {
    for await value in stream {
        do {
            try await process(value)
        } catch {
            log(error)
        }
    }
}

func negativeWhileLetAwait(iterator: inout AsyncStream<Int>.Iterator) async {
    while let value = await iterator.next() {
        do {
            try await process(value)
        } catch {
            log(error)
        }
    }
}

func negativeSynchronous() {
    while true {
        do {
            try parse()
        } catch {
            log(error)
        }
    }
}

func negativeNoThrowingAwaitInDoBody() async {
    while true {
        do {
            try parse()
            await flush()
        } catch {
            log(error)
        }
    }
}

func negativeDefer() async {
    defer {
        Task {
            while true {
                do { try await work() } catch { log(error) }
            }
        }
    }
}

func negativeOnCancel() async {
    await withTaskCancellationHandler {
        await work2()
    } onCancel: {
        Task {
            while true {
                do { try await work() } catch { log(error) }
            }
        }
    }
}

// Miss class "teardown-named function": a name says nothing; the loop still spins once cancelled.
func shutdown() async {
    while true {
        do { try await closeNextConnection() } catch { log(error) }  // EXPECT: swallowed-cancellation-loop
    }
}

func negativeTryInsideClosureOnly() async {
    while true {  // EXPECT: uncancellable-loop
        do {
            let operation = { try await work() }
            register(operation)
        } catch {
            log(error)
        }
    }
}

func positiveBoundedLoop() async -> Int {
    var iterations = 0
    while iterations < 5 {
        do {
            try await Task.sleep(for: .milliseconds(50))
        } catch {  // EXPECT: swallowed-cancellation-loop
            // swallows CancellationError; the loop carries on
        }
        iterations += 1
    }
    return iterations
}

// The handler sets the loop's flag, but not to the value that ends it: the loop goes on.
func positiveFlagNotEnding() async {
    var connected = false
    while !connected {
        do {
            try await connect()
            connected = true
        } catch {  // EXPECT: swallowed-cancellation-loop
            connected = false
        }
    }
}

// The handler sets the flag that ends the loop.
func negativeFlagEnds() async {
    var stopped = false
    while !stopped {
        do {
            try await connect()
        } catch {
            stopped = true
        }
    }
}

// A task nobody holds still spins in this loop if it is ever cancelled through its parent: reported.
func positiveLoopInDiscardedTask() {
    Task {  // EXPECT: unowned-endless-task
        while true {
            do { try await poll() } catch { print(error) }  // EXPECT: swallowed-cancellation-loop
        }
    }
}
