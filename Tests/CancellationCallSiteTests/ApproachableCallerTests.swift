import ApproachableCallSites
import CancellationTesting
import Testing

@Suite("Call sites: an app target with approachable concurrency")
@MainActor
struct ApproachableCallerTests {
    @Test("a main-actor-by-default model returns its own state from every form")
    func ownState() async throws {
        let model = GalleryModel(clock: ManualClock())
        model.selected = model.photos[0]
        #expect(try await model.firstPhoto() === model.photos[0])
        #expect(await model.selection() === model.photos[0])
        let created = try await model.photo(captioned: "second")
        #expect(try await model.photo(captioned: "second") === created)
        #expect(await model.flush() == 2)
    }

    @Test("a nonisolated helper runs on its caller's actor and hands the caller's object back")
    func nonsendingHelper() async throws {
        let photo = Photo(caption: "a")
        #expect(try await unchanged(photo) === photo)
    }

    @Test("a Void operation under a move-on limit reports false when its deadline expires")
    func expiredSave() async throws {
        let clock = ManualClock()
        let model = GalleryModel(clock: clock)
        async let finished = model.save()
        try await clock.waitForSleepers(count: 1)
        try await clock.waitForTimers(count: 1)
        clock.advance(by: .seconds(2))
        #expect(try await finished == false)
    }
}
