struct Clean {
    func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(1))
        }
    }
}
