struct Worker {
    func run() async {
        while true {
            do {
                try await step()
            } catch {
                print("step failed: \(error)")
            }
        }
    }

    func pause() async {
        try? await Task.sleep(for: .seconds(1))
        await step2()
    }

    func step() async throws { try await Task.sleep(for: .seconds(1)) }
    func step2() async {}
}
