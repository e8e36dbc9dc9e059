// Miss class: `catch { continue }` inside a `for` loop followed by a fallback `return` was skipped by
// design. Once the task is cancelled every remaining element fails at once, and the function returns as
// if it had processed them all.

func firstReachableMirror(_ mirrors: [URL]) async -> URL? {
    for mirror in mirrors {
        do {
            try await ping(mirror)
            return mirror
        } catch {  // EXPECT: catch-all-fallback
            continue
        }
    }
    return URL(string: "https://fallback.example")
}

func uploadAll(_ files: [File]) async -> Int {
    var uploaded = 0
    for file in files {
        do {
            try await upload(file)
            uploaded += 1
        } catch {  // EXPECT: catch-all-fallback
            print("skipping \(file): \(error)")
            continue
        }
    }
    return uploaded
}

func syncAll(_ items: [Item]) async {
    for item in items {
        do { try await sync(item) } catch { continue }  // EXPECT: catch-all-fallback
    }
    await notifyDone()
}

// Nothing after the loop: the function just ends.
func warmAll(_ keys: [Key]) async {
    for key in keys {
        do { try await warm(key) } catch { continue }
    }
}

// `for await` ends by itself once cancelled.
func consume(_ stream: AsyncStream<Int>) async -> Int {
    var total = 0
    for await value in stream {
        do { try await record(value) } catch { continue }
        total += value
    }
    return total
}
