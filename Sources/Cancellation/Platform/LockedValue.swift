// The one file of the library with platform-specific lines: the C library that provides POSIX mutexes has a
// different module name on each platform. Everything below the imports is the same code everywhere.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Bionic)
import Bionic
#elseif canImport(Darwin)
import Darwin
#else
#error("swift-cancellation needs POSIX mutexes (pthread_mutex_t) on this platform")
#endif

/// A value guarded by a mutual-exclusion lock: every read and write happens inside ``withLock(_:)``.
///
/// Every lock of the library is one of these. It is the same code on every platform — a POSIX mutex, which
/// Linux and the Apple platforms provide with the same API — and needs nothing newer than the platforms'
/// platforms' releases that brought `Clock` (macOS 13, iOS 16; `Synchronization.Mutex` needs macOS 15, iOS 18). ThreadSanitizer
/// intercepts POSIX mutexes, so it sees that two critical sections of one lock are ordered, with no
/// annotation.
///
/// The value and the mutex share one allocation, and the mutex never moves, as a POSIX mutex must not.
/// The lock is not recursive: code inside ``withLock(_:)`` must not take the same lock again, and must not
/// call code it does not know (a continuation's resumption, a task's cancellation, a user's closure).
///
/// `@unchecked Sendable` is sound because the value is `Sendable` and is only reached inside
/// ``withLock(_:)``, with the mutex held, so no two threads reach it at the same time; the mutex itself is
/// made to be used from any thread. (The storage is a `ManagedBuffer`, which is explicitly not `Sendable`.)
package struct LockedValue<Value: Sendable>: @unchecked Sendable {
    private let storage: LockedValueStorage<Value>

    /// Creates a lock around `value`.
    ///
    /// - Parameter value: The initial value.
    package init(_ value: Value) {
        storage = LockedValueStorage.make(value)
    }

    /// Runs `body` with exclusive access to the value.
    ///
    /// - Parameter body: The critical section; it must be short and must not take this lock again.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try storage.withLock(body)
    }
}

/// The allocation behind a ``LockedValue``: the value as the header, one `pthread_mutex_t` as the element.
private final class LockedValueStorage<Value: Sendable>: ManagedBuffer<Value, pthread_mutex_t> {
    static func make(_ value: Value) -> LockedValueStorage<Value> {
        let buffer = create(minimumCapacity: 1) { _ in value }
        // Sound: `create` allocates an instance of the class it is called on, which is this one.
        let storage = unsafeDowncast(buffer, to: LockedValueStorage<Value>.self)
        storage.withUnsafeMutablePointerToElements { mutex in
            mutex.initialize(to: pthread_mutex_t())
            let result = pthread_mutex_init(mutex, nil)
            precondition(result == 0, "pthread_mutex_init failed with error \(result)")
        }
        return storage
    }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        try withUnsafeMutablePointers { (value, mutex) throws(Failure) -> Result in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }

    deinit {
        withUnsafeMutablePointerToElements { mutex in
            _ = pthread_mutex_destroy(mutex)
            mutex.deinitialize(count: 1)
        }
    }
}

/// Two POSIX mutexes in one allocation, for an object that keeps the state they guard in its own stored
/// properties (marked `@exclusivity(unchecked)`, since the mutexes order every access).
///
/// A cancel scope uses one: its state lives in the scope object itself, so the code that runs on every call
/// is concrete — no generic storage whose deinit and header copies would go through value witnesses at run
/// time — and the only allocation the locks add is this one. The owner must call ``destroy()`` in its
/// `deinit`.
struct MutexPair: @unchecked Sendable {
    // Sound (`@unchecked Sendable`): the pointer is allocated once and never reassigned, and POSIX mutexes
    // are made to be used from any thread.
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutexes = .allocate(capacity: 2)
        for index in 0..<2 {
            (mutexes + index).initialize(to: pthread_mutex_t())
            let result = pthread_mutex_init(mutexes + index, nil)
            precondition(result == 0, "pthread_mutex_init failed with error \(result)")
        }
    }

    /// Runs `body` with mutex `index` (0 or 1) held.
    ///
    /// - Parameters:
    ///   - index: Which mutex.
    ///   - body: The critical section; it must be short and must not take the same mutex again.
    /// - Returns: What `body` returns.
    @inline(__always)
    func withLock<Result>(_ index: Int, _ body: () -> Result) -> Result {
        let mutex = mutexes + index
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Destroys the mutexes and frees them; no lock may be taken afterwards.
    func destroy() {
        for index in 0..<2 {
            _ = pthread_mutex_destroy(mutexes + index)
        }
        mutexes.deinitialize(count: 2)
        mutexes.deallocate()
    }
}
