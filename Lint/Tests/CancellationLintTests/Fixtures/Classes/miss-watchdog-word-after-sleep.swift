// Miss class: a statement after a sleep that merely mentions "stop" or "cancel" made the sleep a
// "watchdog", while the loop around it still spins once cancelled.

func heartbeat(connection: Connection) async {
    while true {  // EXPECT: uncancellable-loop
        try? await Task.sleep(for: .seconds(5))  // EXPECT: try-sleep
        if connection.isStopped { continue }
        await connection.sendPing()
    }
}

func retryLoop(job: Job) async {
    while true {  // EXPECT: uncancellable-loop
        try? await Task.sleep(for: .seconds(1))  // EXPECT: try-sleep
        job.cancelRequested = false
        await job.attempt()
    }
}

// A real watchdog: the sleep times the work and then cancels it; outside a loop that is harmless.
func watchdog(work: Task<Void, Never>) async {
    try? await Task.sleep(for: .seconds(30))
    work.cancel()
}

// A loop that notices cancellation is not spun by the swallowed sleep, but the poll after it still runs
// once more as if the delay had passed.
func pollUntilCancelled() async {
    while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(5))  // EXPECT: try-sleep
        await poll()
    }
}
