package import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ThreadSanitizer's annotation hooks, when the process runs with ThreadSanitizer.
///
/// `Synchronization.Mutex` on Linux locks with futexes inside the standard library, which ThreadSanitizer
/// does not instrument, so it cannot see that two critical sections of the same mutex are ordered and
/// reports every access inside them as a race. Telling it about the lock with `__tsan_acquire` and
/// `__tsan_release` makes its reports about this package's code meaningful again. Without ThreadSanitizer
/// the symbols are absent and the hooks cost one predictable branch.
package enum ThreadSanitizerHooks {
    private typealias Annotation = @convention(c) (UnsafeRawPointer?) -> Void

    private static let hooks: (acquire: Annotation, release: Annotation)? = {
        let process = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT: search every loaded image
        guard let acquire = dlsym(process, "__tsan_acquire"), let release = dlsym(process, "__tsan_release") else {
            return nil
        }
        // Sound: both functions have the C signature `void (void *addr)`, which `Annotation` spells.
        return (unsafeBitCast(acquire, to: Annotation.self), unsafeBitCast(release, to: Annotation.self))
    }()

    /// Whether the hooks were looked up: 0 not yet, 1 absent, 2 present.
    ///
    /// Every lock asks ``isActive``. `hooks` is a lazily initialised global, so reading it costs a call to
    /// the runtime's once-check; this atomic byte is initialised statically and costs one load.
    private static let presence = Atomic<UInt8>(0)

    /// Whether ThreadSanitizer is present in this process.
    package static var isActive: Bool {
        switch presence.load(ordering: .relaxed) {
        case 1:
            return false
        case 2:
            return true
        default:
            // Every thread that gets here computes the same answer, so a racing store is harmless.
            let active = hooks != nil
            presence.store(active ? 2 : 1, ordering: .relaxed)
            return active
        }
    }

    @inline(__always)
    static func acquire(_ address: UnsafeRawPointer) {
        hooks?.acquire(address)
    }

    @inline(__always)
    static func release(_ address: UnsafeRawPointer) {
        hooks?.release(address)
    }
}

extension Mutex where Value: Sendable {
    /// `withLock`, made visible to ThreadSanitizer (see ``ThreadSanitizerHooks``). Every lock in this package
    /// goes through it.
    ///
    /// - Parameter body: The critical section.
    /// - Returns: What `body` returns.
    @inline(__always)
    package borrowing func withTrackedLock<Result: Sendable, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard ThreadSanitizerHooks.isActive else {
            return try withLock { (value) throws(Failure) -> Result in try body(&value) }
        }
        // The mutex is never copied (it is `~Copyable`) and is borrowed in place, so its address identifies it
        // for as long as it exists.
        return try withUnsafePointer(to: self) { (address) throws(Failure) -> Result in
            try withLock { (value) throws(Failure) -> Result in
                ThreadSanitizerHooks.acquire(address)
                defer { ThreadSanitizerHooks.release(address) }
                return try body(&value)
            }
        }
    }
}
