/// Wakes an engine with a task that sleeps on the engine's clock: how a scope on any clock without an engine
/// of its own — a third-party test clock, say — gets its deadlines served, through the clock's
/// `sleep(until:tolerance:)`.
///
/// Each such scope has an engine of its own with one of these. A wake-up earlier than the planned one
/// replaces the sleeping task (the replaced one is cancelled); ``stop()`` cancels every task it started and
/// waits for them, so that nothing a scope started outlives it.
final class SleepingTaskWakeup<C: Clock>: TimerEngineWakeup where C.Duration == Duration {
    private struct State {
        /// The tasks still running, by number.
        var tasks: [UInt64: Task<Void, Never>] = [:]
        /// The number and wake-up of the task that sleeps until the planned wake-up.
        var planned: (id: UInt64, offset: Duration)?
        var nextID: UInt64 = 0
        var isStopped = false
    }

    private let clock: C
    /// The instant the engine's offsets start from.
    private let reference: C.Instant
    private let state = LockedValue(State())

    init(clock: C, reference: C.Instant) {
        self.clock = clock
        self.reference = reference
    }

    func wake(at offset: Duration, of engine: TimerEngine) {
        let replaced = state.withLock { state -> Task<Void, Never>? in
            if state.isStopped {
                return nil
            }
            if let planned = state.planned, !offset.isShorter(than: planned.offset) {
                return nil
            }
            let id = state.nextID
            state.nextID += 1
            let replaced = state.planned.flatMap { state.tasks[$0.id] }
            state.planned = (id, offset)
            state.tasks[id] = Task { [self] in
                await sleep(id: id, until: offset, thenRun: engine)
            }
            return replaced
        }
        replaced?.cancel()
    }

    private func sleep(id: UInt64, until offset: Duration, thenRun engine: TimerEngine) async {
        let slept: Bool
        do {
            try await clock.sleep(until: reference.advanced(by: offset), tolerance: nil)
            slept = true
        } catch {
            slept = false
        }
        state.withLock { state in
            state.tasks[id] = nil
            if state.planned?.id == id {
                state.planned = nil
            }
        }
        if slept, let next = engine.runDueTimers() {
            wake(at: next, of: engine)
        }
    }

    /// Cancels every sleeping task and waits until none is running; no task is started afterwards.
    func stop() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.isStopped = true
            state.planned = nil
            return Array(state.tasks.values)
        }
        for task in tasks {
            task.cancel()
        }
        for task in tasks {
            await task.value
        }
    }
}
