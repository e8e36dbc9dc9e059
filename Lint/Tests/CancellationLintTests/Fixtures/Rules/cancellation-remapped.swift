// Fixture for cancellation-remapped (opt-in).

func positiveWrapped() async throws {
    do {
        try await download()
    } catch {  // EXPECT: cancellation-remapped
        throw DownloadError.failed(underlying: error)
    }
}

func positiveReplaced() async throws {
    do {
        try await download()
    } catch let error {  // EXPECT: cancellation-remapped
        logger.error("download failed: \(error)")
        throw DownloadError.unavailable
    }
}

// MARK: - Must not flag

func negativeRethrowsOriginal() async throws {
    do {
        try await download()
    } catch let error as DownloadError {
        throw error
    } catch {
        throw error
    }
}

func negativeCancellationFirst() async throws {
    do {
        try await download()
    } catch is CancellationError {
        throw CancellationError()
    } catch {
        throw DownloadError.failed(underlying: error)
    }
}

func negativeChecksCancellation() async throws {
    do {
        try await download()
    } catch {
        if error is CancellationError { throw error }
        throw DownloadError.failed(underlying: error)
    }
}

func negativeSynchronous() throws {
    do {
        try parse()
    } catch {
        throw ParseError.invalid(error)
    }
}

func negativeForceCastKeepsTheError() async throws(MyFailure) -> Int? {
    do {
        return try await storage.next()
    } catch {
        throw error as! MyFailure
    }
}

func negativeParenthesizedForceCast() async throws(MyFailure) -> Int {
    do {
        return try await body()
    } catch {
        throw (error as! MyFailure)
    }
}

func positiveEnumWrapping() async throws(EitherError<Never, MyFailure>) -> Int {
    do {
        return try await body()
    } catch {  // EXPECT: cancellation-remapped
        throw .second(error)
    }
}
