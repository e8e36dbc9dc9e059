import CancellationLintRules
import Foundation
import SwiftParser
import Testing

@Suite("--fix")
struct FixTests {
    static func fixed(_ source: String) -> FixResult {
        SourceLinter(configuration: TestSupport.allRules).fix(source: source, path: "a.swift")
    }

    @Test("try? Task.checkCancellation() becomes try Task.checkCancellation() in a throwing function")
    func tryCheckCancellation() {
        let result = Self.fixed("func f() async throws {\n    try? Task.checkCancellation()\n    await g()\n}\n")
        #expect(result.source == "func f() async throws {\n    try Task.checkCancellation()\n    await g()\n}\n")
        #expect(result.fixed.map(\.rule) == [.tryCheckCancellation])
        #expect(TestSupport.lint(result.source).isEmpty)
    }

    @Test("try? await Task.sleep becomes try await in a throwing function")
    func trySleep() {
        let before = "func f() async throws {\n    try? await Task.sleep(for: .seconds(1))\n    await refresh()\n}\n"
        let result = Self.fixed(before)
        #expect(result.source == "func f() async throws {\n    try await Task.sleep(for: .seconds(1))\n    await refresh()\n}\n")
        #expect(TestSupport.lint(result.source).isEmpty)
    }

    @Test("a rethrowing CancellationError clause goes ahead of the catch-all, indented like it")
    func catchAll() {
        let before = """
            struct S {
                func load() async throws -> [Int] {
                    do {
                        return try await fetch()
                    } catch {
                        return []
                    }
                }
            }

            """
        let result = Self.fixed(before)
        #expect(result.source == """
            struct S {
                func load() async throws -> [Int] {
                    do {
                        return try await fetch()
                    } catch let error as CancellationError {
                        throw error
                    } catch {
                        return []
                    }
                }
            }

            """)
        #expect(result.fixed.map(\.rule) == [.catchAllFallback])
        #expect(!Parser.parse(source: result.source).hasError)
        #expect(TestSupport.lint(result.source).isEmpty)
    }

    @Test("the catch-all of an endless loop is fixed the same way")
    func swallowedLoop() {
        let before = "func run() async throws {\n    while true {\n        do {\n            try await work()\n        } catch {\n            print(error)\n        }\n    }\n}\n"
        let result = Self.fixed(before)
        #expect(result.source.contains("        } catch let error as CancellationError {\n            throw error\n        } catch {\n"))
        #expect(TestSupport.lint(result.source).filter { $0.rule == .swallowedCancellationLoop }.isEmpty)
    }

    @Test("nothing is fixed where the change would not compile: non-throwing, typed-throwing or rethrowing functions, closures", arguments: [
        "func f() async {\n    try? Task.checkCancellation()\n}\n",
        "func f() async throws(MyError) {\n    try? Task.checkCancellation()\n}\n",
        "func f(_ g: () throws -> Void) async rethrows {\n    try? Task.checkCancellation()\n}\n",
        "func f() async throws {\n    let t = Task {\n        try? Task.checkCancellation()\n    }\n    _ = t\n}\n",
        "func f() async -> Int {\n    do {\n        return try await g()\n    } catch {\n        return 0\n    }\n}\n",
        "func f() async throws {\n    defer {\n        try? Task.checkCancellation()\n    }\n    await g()\n}\n",
    ])
    func notFixed(source: String) {
        let result = Self.fixed(source)
        #expect(result.source == source)
        #expect(result.fixed.isEmpty && !result.rejected)
        #expect(!TestSupport.lint(source).isEmpty, "the finding is still reported")
    }

    @Test("a suppressed finding is not fixed")
    func suppressed() {
        let source = "func f() async throws {\n    // cancellation-lint:disable:next try-check-cancellation\n    try? Task.checkCancellation()\n}\n"
        #expect(Self.fixed(source).source == source)
    }

    @Test("--fix rewrites the file, then reports what is left; standard input cannot be fixed")
    func endToEnd() throws {
        let tree = try ScratchTree()
        try tree.write("func f() async throws {\n    try? Task.checkCancellation()\n}\n\nfunc g() async {\n    try? Task.checkCancellation()\n}\n", to: "Fix/A.swift")
        let result = try Binary.run(["--fix", "Fix"], in: tree.root)
        #expect(result.stderr.contains("fixed 1 finding in Fix/A.swift"))
        let text = try String(contentsOf: tree.root.appendingPathComponent("Fix/A.swift"), encoding: .utf8)
        #expect(text == "func f() async throws {\n    try Task.checkCancellation()\n}\n\nfunc g() async {\n    try? Task.checkCancellation()\n}\n")
        #expect(result.stdout.hasPrefix("Fix/A.swift:6:5: error:"))
        #expect(result.status == 1)
        let stdin = try Binary.run(["--fix", "-"], in: tree.root, input: "func f() {}\n")
        #expect(stdin.status == 2)
        #expect(stdin.stderr.contains("cannot fix standard input"))
    }

    @Test("--emit-stamp (the build plugin's output) is written after a run without errors, and not after one with errors")
    func stamp() throws {
        let tree = try ScratchTree()
        try tree.write("func f() async {\n    try? await Task.sleep(for: .seconds(1))\n    await g()\n}\n", to: "Stamp/W.swift")
        let warned = try Binary.run(["--quiet", "--emit-stamp", "stamp.swift", "Stamp/W.swift"], in: tree.root)
        #expect(warned.status == 0)
        #expect(warned.stdout.hasPrefix("Stamp/W.swift:2:5: warning:"))
        let stamp = try String(contentsOf: tree.root.appendingPathComponent("stamp.swift"), encoding: .utf8)
        #expect(stamp.hasPrefix("// Written by cancellation-lint"))
        try FileManager.default.removeItem(at: tree.root.appendingPathComponent("stamp.swift"))
        try tree.write("func f() {\n    try? Task.checkCancellation()\n}\n", to: "Stamp/E.swift")
        let failed = try Binary.run(["--quiet", "--emit-stamp", "stamp.swift", "Stamp/E.swift"], in: tree.root)
        #expect(failed.status == 1)
        #expect(!FileManager.default.fileExists(atPath: tree.root.appendingPathComponent("stamp.swift").path))
    }
}
