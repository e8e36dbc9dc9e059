// Fixture for catch-all-fallback.

func positiveReturnNil() async -> User? {
    do {
        return try await loadUser()
    } catch {  // EXPECT: catch-all-fallback
        return nil
    }
}

func positiveReturnEmpty() async -> [Item] {
    do {
        let items = try await fetchItems()
        return items
    } catch let error {  // EXPECT: catch-all-fallback
        logger.warning("fetch failed: \(error.localizedDescription)")
        return []
    }
}

func positiveFallsThroughToAwait() async {
    do {
        try await refreshCache()
    } catch {  // EXPECT: catch-all-fallback
        print("refresh failed: \(error)")
    }
    await render()
}

func positiveFallsThroughToReturnValue() async -> Bool {
    do {
        try await ping()
    } catch _ {  // EXPECT: catch-all-fallback
        failures += 1
    }
    return false
}

func positiveFallsThroughOutOfIf(flag: Bool) async {
    if flag {
        do {
            try await refreshCache()
        } catch {  // EXPECT: catch-all-fallback
            failures += 1
        }
    }
    await render()
}

func positiveInClosure() async {
    let value = await Task {
        do {
            return try await compute()
        } catch {  // EXPECT: catch-all-fallback
            return 0
        }
    }.value
    use(value)
}

// MARK: - Must not flag

func negativeEarlierCancellationClause() async -> User? {
    do {
        return try await loadUser()
    } catch is CancellationError {
        return nil
    } catch {
        return nil
    }
}

func negativeEarlierCancellationBinding() async throws -> User? {
    do {
        return try await loadUser()
    } catch let cancellation as CancellationError {
        throw cancellation
    } catch {
        return nil
    }
}

func negativeThrows() async throws -> User? {
    do {
        return try await loadUser()
    } catch {
        logger.error("load failed")
        throw error
    }
}

func negativeChecksCancellation() async -> User? {
    do {
        return try await loadUser()
    } catch {
        if Task.isCancelled { return nil }
        return cachedUser
    }
}

func negativeTestsError() async -> User? {
    do {
        return try await loadUser()
    } catch {
        guard !(error is CancellationError) else { return nil }
        return cachedUser
    }
}

func negativeCheckCancellationInHandler() async throws -> User? {
    do {
        return try await loadUser()
    } catch {
        try Task.checkCancellation()
        return cachedUser
    }
}

func negativeResultFailure() async -> Result<User, any Error> {
    do {
        return .success(try await loadUser())
    } catch {
        return .failure(error)
    }
}

func negativeResume(continuation: CheckedContinuation<User, any Error>) async {
    do {
        continuation.resume(returning: try await loadUser())
    } catch {
        continuation.resume(throwing: error)
    }
    await cleanup()
}

func negativeFinish(continuation: AsyncThrowingStream<User, any Error>.Continuation) async {
    do {
        continuation.yield(try await loadUser())
    } catch {
        continuation.finish(throwing: error)
    }
    await cleanup()
}

func negativeCallback(completion: @escaping (Result<User, any Error>) -> Void) async {
    do {
        completion(.success(try await loadUser()))
    } catch {
        completion(.failure(error))
    }
    await cleanup()
}

func negativeErrorHandler(handler: ErrorHandler) async {
    do {
        try await refreshCache()
    } catch {
        handler.handle(error)
    }
    await render()
}

func negativeNothingAfter() async {
    do {
        try await refreshCache()
    } catch {
        print("refresh failed: \(error)")
    }
}

func negativeVoidReturnAfter() async {
    do {
        try await refreshCache()
    } catch {
        print("refresh failed: \(error)")
    }
    return
}

func negativeSynchronous() -> Config? {
    do {
        return try parseConfig()
    } catch {
        return nil
    }
}

func negativeNoThrowingAwait() async -> Config? {
    do {
        await prepare()
        return try parseConfig()
    } catch {
        return nil
    }
}

func negativeDefer() async {
    defer {
        Task {
            do { try await flush() } catch { print("flush failed") }
            await notify()
        }
    }
    await work2()
}

func negativeOnCancel() async {
    await withTaskCancellationHandler {
        await work2()
    } onCancel: {
        Task {
            do { try await flush() } catch { print("flush failed") }
            await notify()
        }
    }
}

// A function's name says nothing: cleanup that must run whatever happens belongs in a shield or a defer.
func close() async {
    do { try await channel.close() } catch { print("close failed: \(error)") }  // EXPECT: catch-all-fallback
    await eventLoopGroup.shutdownGracefully()
}

func negativeSpecificCatch() async -> User? {
    do {
        return try await loadUser()
    } catch let error as DecodingError {
        report(error)
        return nil
    }
}

// Tuned after the precision triage (docs/lint/triage.md).

func negativeTestFailureRecorded() async -> Int? {
    do {
        return try await compute()
    } catch {
        XCTFail("Expression did throw: \(error)")
    }
    return nil
}

func negativeExpectInHandler() async throws {
    do {
        try await transport.connect()
        #expect(Bool(false), "expected connect to throw")
    } catch {
        #expect(error is TransportError)
    }
    await transport.reconnect()
}

func negativeIssueRecord() async {
    do {
        try await transport.connect()
    } catch {
        Issue.record("unexpected \(error)")
    }
    await transport.reconnect()
}

func positiveCleanupAfterIsMoreWork() async throws {
    do {
        try await client.execute(request)
    } catch {  // EXPECT: catch-all-fallback
        print("request failed:", error)
    }
    try await client.shutdown()
    await transport.disconnect()
}

func negativeOnlyLoggingAfter() async {
    do {
        try await serve()
    } catch {
        print("fatal: \(error)")
    }
    await logger?.debug("server finished")
}

func positiveMoreWorkAfterwards() async {
    do {
        try await client.execute(request)
    } catch {  // EXPECT: catch-all-fallback
        print("request failed:", error)
    }
    await client.shutdown()
    await client.execute(nextRequest)
}

func negativeReturnsFailure(serviceError: any Error) async -> Result<Void, any Error> {
    do {
        try await shutdownServices()
        return .failure(serviceError)
    } catch {
        return .failure(serviceError)
    }
}

struct TimerIterator: AsyncIteratorProtocol {
    mutating func next() async -> Int? {
        do {
            try await clock.sleep(until: deadline)
        } catch {
            return nil
        }
        return tick()
    }
}

func negativeSleepOnlyDoLeaves(outcome: Outcome) async throws -> Outcome {
    while true {
        do {
            try await Task.sleep(nanoseconds: 1_000)
        } catch {
            return outcome
        }
        attempt += 1
    }
}

func negativeFutureGetCannotBeCancelled(channel: Channel) async -> Context {
    var context = Context()
    do {
        context.peer = try await channel.peerCertificate().get()
    } catch {}
    return context
}

func negativeErrorStored() async {
    var clientError: (any Error)?
    do {
        try await handler()
    } catch {
        clientError = error
    }
    await close(with: clientError)
}

// Shutdown paths are recognised by whole camelCase words, not substrings.

func cancellableFetch() async -> Data? {
    do {
        return try await download()
    } catch {  // EXPECT: catch-all-fallback
        return nil
    }
}

func enclosedValue() async -> Int {
    do {
        return try await compute()
    } catch {  // EXPECT: catch-all-fallback
        return 0
    }
}

func gracefulShutdown() async {
    do {
        try await drain()
    } catch {  // EXPECT: catch-all-fallback
        print("drain failed: \(error)")
    }
    await notifyPeers()
}

// A free function named tearDown is judged like any other.
func tearDown() async {
    do {
        try await drain()
    } catch {  // EXPECT: catch-all-fallback
        print("drain failed: \(error)")
    }
    await notifyPeers()
}

// XCTest's own teardown runs after the test whatever happened in it: teardown by structure.
final class DrainTests: XCTestCase {
    override func tearDown() async throws {
        do {
            try await drain()
        } catch {
            print("drain failed: \(error)")
        }
        await notifyPeers()
    }
}

// Releasing what the block used, once each, to the end of the function: a `finally`, not more work.
func negativeReleaseTail() async throws {
    let httpClient = HTTPClient()
    do {
        let response = try await httpClient.execute(request)
        print(response)
    } catch {
        print("request failed:", error)
    }
    try await httpClient.shutdown()
}

// The handler ends the loop through its condition.
func negativeHandlerEndsLoop() async {
    var resolving = true
    while resolving {
        do {
            try await Task.sleep(for: .seconds(1))
            await resolve()
        } catch {
            resolving = false
        }
    }
}

// Nobody holds this task, so nobody can cancel it.
func negativeInDiscardedTask() {
    Task {
        do { try await refreshCache() } catch { print("refresh failed") }
        await render()
    }
}

// A task whose handle is kept can be cancelled.
func positiveInKeptTask() -> Task<Void, Never> {
    Task {
        do { try await refreshCache() } catch { print("refresh failed") }  // EXPECT: catch-all-fallback
        await render()
    }
}

// Not a release tail: `self` stands for everything, and `store` is not a local of this function.
final class Syncer {
    func positiveSelfIsNotAReleaseTail() async throws {
        do {
            try await self.load()
        } catch {  // EXPECT: catch-all-fallback
            print(error)
        }
        await self.render()
    }

    func positiveOtherWorkOnAPropertyIsNotAReleaseTail() async throws {
        do {
            try await store.refresh()
        } catch {  // EXPECT: catch-all-fallback
            print(error)
        }
        try await store.upload(pending)
    }
}
