#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// What the process has spent so far: CPU time over every thread, and context switches.
public struct ProcessUsage: Sendable {
    /// CPU nanoseconds, user and system, every thread.
    public var cpu: Double
    /// Voluntary context switches: a thread that blocked (a worker going idle and being woken, or a lock's
    /// sleep).
    public var voluntarySwitches: Double
    /// Involuntary context switches: a thread that was preempted.
    public var involuntarySwitches: Double

    /// Usage from its parts; zero by default.
    public init(cpu: Double = 0, voluntarySwitches: Double = 0, involuntarySwitches: Double = 0) {
        self.cpu = cpu
        self.voluntarySwitches = voluntarySwitches
        self.involuntarySwitches = involuntarySwitches
    }

    /// The process's totals so far (`getrusage`).
    public static func now() -> ProcessUsage {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func ns(_ time: timeval) -> Double { Double(time.tv_sec) * 1e9 + Double(time.tv_usec) * 1e3 }
        return ProcessUsage(
            cpu: ns(usage.ru_utime) + ns(usage.ru_stime),
            voluntarySwitches: Double(usage.ru_nvcsw),
            involuntarySwitches: Double(usage.ru_nivcsw)
        )
    }
}

/// Counts what a piece of async code costs the machine besides its own instructions: jobs the Swift runtime
/// enqueues on the global concurrent executor (a task started, resumed, yielding, or an actor scheduled to
/// run), and the process's voluntary context switches. Used for the accounts of the figures, never for their
/// ratios: the counting passes run after the timed ones.
///
/// The job count comes from the runtime's `swift_task_enqueueGlobal_hook`, a pointer the Swift runtime
/// exports so that a program can see or replace every global enqueue. The counter is installed only for a
/// counting pass and removed after it.
public enum Executions {
    /// Jobs enqueued while the hook is installed.
    static let enqueued = Atomic<Int>(0)

    /// The runtime's default enqueue, as the hook receives it.
    typealias Original = @convention(c) (UnsafeMutableRawPointer) -> Void
    /// The hook's type. The runtime declares both with the Swift calling convention; for a function of one
    /// or two pointers returning nothing it passes them in the same registers as C on x86-64 and arm64,
    /// which is why a C function pointer may stand in for them here.
    typealias Hook = @convention(c) (UnsafeMutableRawPointer, Original) -> Void

    /// The hook's slot in the runtime, or `nil` where the runtime does not export it.
    static var slot: UnsafeMutablePointer<Hook?>? {
        guard let handle = dlopen(nil, RTLD_NOW),
              let symbol = dlsym(handle, "swift_task_enqueueGlobal_hook")
        else { return nil }
        return symbol.assumingMemoryBound(to: Hook?.self)
    }

    /// What one counting pass saw, divided by the operations it ran.
    public struct Counts: Sendable {
        /// Jobs enqueued on the global executor per operation.
        public var jobs: Double
        /// Voluntary context switches of the whole process per operation.
        public var voluntarySwitches: Double
    }

    /// Runs `body`, which performs `operations` operations, and counts its jobs and voluntary context
    /// switches; `nil` when the runtime has no hook. Call it only while nothing else runs: the hook is set
    /// and cleared by plain stores, which is sound only while no other thread enqueues.
    public static func count(operations: Int, _ body: () async throws -> Void) async rethrows -> Counts? {
        guard let slot else { return nil }
        enqueued.store(0, ordering: .relaxed)
        slot.pointee = { job, original in
            Executions.enqueued.add(1, ordering: .relaxed)
            original(job)
        }
        let before = ProcessUsage.now()
        defer { slot.pointee = nil }
        try await body()
        let jobs = enqueued.load(ordering: .relaxed)
        let switches = ProcessUsage.now().voluntarySwitches - before.voluntarySwitches
        return Counts(jobs: Double(jobs) / Double(operations), voluntarySwitches: switches / Double(operations))
    }
}
