import Cancellation
public import CancellationTesting

// An app target as Xcode 26 sets one up ("approachable concurrency"): everything is on the main actor
// unless it says otherwise, and a nonisolated async function runs on its caller's actor
// (`NonisolatedNonsendingByDefault`). The library's scoped functions must read and return the app's state
// here with no annotations at all. `CancellationCallSiteTests` drives this code.

/// A photo the app owns; not `Sendable`, and main-actor isolated by the target's default.
public final class Photo {
    /// The photo's caption.
    public var caption: String

    /// Creates a photo.
    public init(caption: String) {
        self.caption = caption
    }
}

/// A view model, main-actor isolated by the target's default.
public final class GalleryModel {
    /// The photos the model owns.
    public var photos: [Photo] = [Photo(caption: "first")]
    /// The selected photo, if any.
    public var selected: Photo?
    let lock = AsyncLock()
    let clock: ManualClock

    /// Creates a model whose time limits run on `clock`.
    public init(clock: ManualClock) {
        self.clock = clock
    }

    /// Reads the model's own state under a time limit.
    public func firstPhoto() async throws -> Photo? {
        try await withTimeout(.seconds(1), clock: clock) { photos.first }
    }

    /// Reads under a time limit, or moves on with `nil`.
    public func selection() async -> Photo? {
        await withTimeoutOrNil(.seconds(1), clock: clock) { selected }.flatMap { $0 }
    }

    /// Get-or-create under a lock.
    public func photo(captioned caption: String) async throws -> Photo {
        try await lock.withLock {
            if let existing = photos.first(where: { $0.caption == caption }) { return existing }
            let created = Photo(caption: caption)
            photos.append(created)
            return created
        }
    }

    /// Saving under a limit that a test lets expire: reports whether the save finished.
    public func save() async throws -> Bool {
        try await withTimeoutOrNil(.seconds(2), clock: clock) {
            try await clock.sleep(for: .seconds(10))  // stands for a slow write that honours cancellation
        }
    }

    /// Work the model keeps even if the screen goes away.
    public func flush() async -> Int {
        await withCancellationShield { photos.count }
    }
}

/// A helper that is nonisolated in name only: with `NonisolatedNonsendingByDefault` it runs on its caller's
/// actor, so it may take and return the caller's state.
public nonisolated func unchanged(_ photo: Photo) async throws -> Photo {
    try await withTimeout(.seconds(60)) {
        await Task.yield()
        return photo
    }
}
