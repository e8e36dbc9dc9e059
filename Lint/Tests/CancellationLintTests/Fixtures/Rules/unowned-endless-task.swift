// Fixture for unowned-endless-task (opt-in).

func positiveDiscardedTask() {
    Task {  // EXPECT: unowned-endless-task
        while true {
            try await Task.sleep(for: .seconds(60))
            await refresh()
        }
    }
}

func positiveDiscardAssignment() {
    _ = Task.detached {  // EXPECT: unowned-endless-task
        while !Task.isCancelled {
            await poll()
        }
    }
}

// MARK: - Must not flag

final class Owner {
    var task: Task<Void, Never>?

    func negativeStoredTask() {
        task = Task {
            while !Task.isCancelled {
                await poll()
            }
        }
    }
}

func negativeFiniteBody() {
    Task {
        await refresh()
    }
}

func negativeLoopWithExit() {
    Task {
        while true {
            guard await poll() else { return }
        }
    }
}

func negativeForAwait(stream: AsyncStream<Int>) {
    Task {
        for await value in stream {
            handle(value)
        }
    }
}
