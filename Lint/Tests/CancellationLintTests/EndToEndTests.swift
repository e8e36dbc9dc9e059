import Foundation
import Testing

/// Runs the built `cancellation-lint` binary.
enum Binary {
    /// Next to the test bundle (works for `swift test` and `swift test --sanitize=thread`, whose build folders
    /// differ), else `$CANCELLATION_LINT_PATH`, else `.build/debug`.
    static let url: URL? = {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["CANCELLATION_LINT_PATH"] {
            candidates.append(URL(fileURLWithPath: override))
        }
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("cancellation-lint"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("cancellation-lint"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("cancellation-lint"))
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("cancellation-lint"))
        candidates.append(TestSupport.packageRoot.appendingPathComponent(".build/debug/cancellation-lint"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], in directory: URL, input: String? = nil) throws -> Output {
        let binary = try #require(url, "cancellation-lint binary not found; build it first")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        inputPipe.fileHandleForWriting.write(Data((input ?? "").utf8))
        try inputPipe.fileHandleForWriting.close()
        // Read before waiting so a large output cannot fill the pipe and block the child.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
    }
}

/// A scratch copy of `Fixtures/Tree` with build folders added.
final class ScratchTree {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cancellation-lint-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TestSupport.fixtures.appendingPathComponent("Tree"), to: root)
        let bad = "func f() {\n    try? Task.checkCancellation()\n}\n"
        for folder in [".build/checkouts/dep", "build/gen", ".swiftpm/x", "DerivedData/y"] {
            let directory = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try bad.write(to: directory.appendingPathComponent("Bad.swift"), atomically: true, encoding: .utf8)
        }
    }

    func write(_ text: String, to relativePath: String) throws {
        let url = root.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }
}

@Suite("End to end: the built binary")
struct EndToEndTests {
    @Test("Text output matches the golden file; build folders are skipped; exit status 1")
    func textOutput() throws {
        let tree = try ScratchTree()
        let result = try Binary.run(["--quiet"], in: tree.root)
        let expected = try TestSupport.readFixture("Tree.expected.txt")
        #expect(result.stdout == expected)
        #expect(result.status == 1)
        #expect(!result.stdout.contains("Bad.swift"))
        #expect(result.stderr.isEmpty)
    }

    @Test("Explicit paths; warnings alone exit 0 unless --strict")
    func strict() throws {
        let tree = try ScratchTree()
        try tree.write("func f() async {\n    try? await Task.sleep(for: .seconds(1))\n    await g()\n}\n", to: "Only/W.swift")
        let lenient = try Binary.run(["Only"], in: tree.root)
        #expect(lenient.status == 0)
        #expect(lenient.stdout == "Only/W.swift:2:5: warning: \(lenient.stdout.split(separator: " ", maxSplits: 2).last ?? "")")
        #expect(lenient.stdout.hasSuffix("[try-sleep]\n"))
        #expect(lenient.stderr.contains("1 finding"))
        let strict = try Binary.run(["Only", "--strict"], in: tree.root)
        #expect(strict.status == 1)
        let clean = try Binary.run(["Sources/App/Clean.swift"], in: tree.root)
        #expect(clean.status == 0)
        #expect(clean.stdout.isEmpty)
    }

    @Test("--write-baseline accepts today's findings; --baseline then reports only new ones, moved code included")
    func baseline() throws {
        let tree = try ScratchTree()
        let old = "func f() async {\n    try? await Task.sleep(for: .seconds(1))\n    await g()\n}\n"
        try tree.write(old, to: "Only/W.swift")
        let written = try Binary.run(["Only", "--write-baseline", "baseline.json"], in: tree.root)
        #expect(written.status == 0)
        #expect(written.stderr.contains("baseline of 1 written to baseline.json"))
        let file = try String(contentsOf: tree.root.appendingPathComponent("baseline.json"), encoding: .utf8)
        #expect(file.contains("\"source\" : \"try? await Task.sleep(for: .seconds(1))\""))

        // Nothing new: clean, even with --strict.
        let unchanged = try Binary.run(["Only", "--baseline", "baseline.json", "--strict"], in: tree.root)
        #expect(unchanged.status == 0)
        #expect(unchanged.stdout.isEmpty)
        #expect(unchanged.stderr.contains("0 findings (0 errors) in 1 file; 1 accepted by the baseline"))

        // The accepted line moved down; a new finding was added below it: only the new one is reported.
        try tree.write("// moved\n" + old + "func h() async {\n    try? await Task.sleep(for: .seconds(2))\n    await g()\n}\n", to: "Only/W.swift")
        let grown = try Binary.run(["Only", "--baseline", "baseline.json", "--strict"], in: tree.root)
        #expect(grown.status == 1)
        #expect(grown.stdout.hasPrefix("Only/W.swift:7:5: warning:"))
        #expect(grown.stdout.split(separator: "\n").count == 1)
    }

    @Test("A missing or malformed baseline is a usage error (exit 2) with a clear message")
    func badBaseline() throws {
        let tree = try ScratchTree()
        let missing = try Binary.run(["Sources", "--baseline", "nope.json"], in: tree.root)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the baseline nope.json"))
        try tree.write("{\"findings\": 3}", to: "bad.json")
        let malformed = try Binary.run(["Sources", "--baseline", "bad.json"], in: tree.root)
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("is not a cancellation-lint baseline"))
        try tree.write("{\"version\": 7, \"findings\": []}", to: "future.json")
        let future = try Binary.run(["Sources", "--baseline", "future.json"], in: tree.root)
        #expect(future.status == 2)
        #expect(future.stderr.contains("version 7 is not supported"))
    }

    @Test("Per-path rules and the test profile from the configuration file; test-code findings are counted")
    func perPathRules() throws {
        let tree = try ScratchTree()
        let sleepy = "func f() async {\n    try? await Task.sleep(for: .seconds(1))\n    await g()\n}\n"
        try tree.write(sleepy, to: "Pkg/Sources/Legacy/Old.swift")
        try tree.write(sleepy, to: "Pkg/Sources/App/New.swift")
        try tree.write(sleepy, to: "Pkg/Tests/AppTests/T.swift")
        try tree.write("func h() {\n    try? Task.checkCancellation()\n}\n", to: "Pkg/Tests/AppTests/U.swift")
        try tree.write("rules:\n  Sources/Legacy:\n    disabled_rules: [try-sleep]\n  \"**/App\":\n    error_rules: [try-sleep]\n", to: "Pkg/.cancellation-lint.yml")
        let result = try Binary.run(["--format", "json", "Pkg"], in: tree.root)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try #require(object["findings"] as? [[String: Any]])
        // Legacy: off by its path rule. App: an error by the other one. Tests: try-sleep off by the default test
        // profile, but the test file's other finding is reported, and marked.
        #expect(findings.map { $0["path"] as? String } == ["Pkg/Sources/App/New.swift", "Pkg/Tests/AppTests/U.swift"])
        #expect(findings.map { $0["severity"] as? String } == ["error", "error"])
        #expect(findings.map { $0["inTestCode"] as? Bool } == [false, true])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["testCode"] as? Int == 1)

        // A configuration's own test profile replaces the default one.
        try tree.write("test_code:\n  disabled_rules: [try-check-cancellation]\n", to: "Pkg/.cancellation-lint.yml")
        let profiled = try Binary.run(["Pkg"], in: tree.root)
        #expect(profiled.stdout.contains("Pkg/Tests/AppTests/T.swift:2:5: warning:"))
        #expect(!profiled.stdout.contains("U.swift"))
    }

    @Test("JSON output")
    func json() throws {
        let tree = try ScratchTree()
        let result = try Binary.run(["--format", "json", "Sources", "Tests"], in: tree.root)
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.count == 5)
        let first = try #require(findings.first)
        #expect(first["path"] as? String == "Sources/App/Broken.swift")
        #expect(first["rule"] as? String == "unparsable-file")
        #expect(first["severity"] as? String == "error")
        #expect(first["line"] as? Int == 1)
        #expect(first["column"] as? Int == 14)
        #expect((first["message"] as? String)?.isEmpty == false)
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["files"] as? Int == 4)
        #expect(summary["errors"] as? Int == 3)
        #expect(summary["warnings"] as? Int == 2)
    }

    @Test("SARIF 2.1.0 output")
    func sarif() throws {
        let tree = try ScratchTree()
        let result = try Binary.run(["--format", "sarif"], in: tree.root)
        #expect(result.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        #expect((log["$schema"] as? String)?.contains("sarif-2.1.0") == true)
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "cancellation-lint")
        #expect((driver["informationUri"] as? String)?.hasPrefix("https://") == true)
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.count == 9)
        for rule in rules {
            #expect(rule["id"] is String)
            #expect((rule["shortDescription"] as? [String: Any])?["text"] is String)
            #expect((rule["helpUri"] as? String)?.hasSuffix(".md") == true)
        }
        let results = try #require(runs[0]["results"] as? [[String: Any]])
        #expect(results.count == 5)
        let loop = try #require(results.first { $0["ruleId"] as? String == "swallowed-cancellation-loop" })
        #expect(loop["level"] as? String == "error")
        #expect((loop["message"] as? [String: Any])?["text"] is String)
        let location = try #require((loop["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        #expect((location["artifactLocation"] as? [String: Any])?["uri"] as? String == "Sources/App/Worker.swift")
        let region = try #require(location["region"] as? [String: Any])
        #expect(region["startLine"] as? Int == 6)
        #expect(region["startColumn"] as? Int == 15)
        let index = try #require(loop["ruleIndex"] as? Int)
        #expect(rules[index]["id"] as? String == "swallowed-cancellation-loop")
    }

    @Test("Configuration file disables rules and excludes paths")
    func configuration() throws {
        let tree = try ScratchTree()
        try tree.write(
            "disabled_rules:\n  - try-sleep\nexcluded:\n  - Sources/App/Broken.swift\n  - Tests\n",
            to: ".cancellation-lint.yml"
        )
        let result = try Binary.run(["--quiet"], in: tree.root)
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n").count == 1)
        #expect(result.stdout.contains("[swallowed-cancellation-loop]"))
        let viaOption = try Binary.run(["--config", ".cancellation-lint.yml", "--disable", "swallowed-cancellation-loop"], in: tree.root)
        #expect(viaOption.status == 0)
        #expect(viaOption.stdout.isEmpty)
    }

    @Test("The configuration nearest above each file applies, wherever the command is run from")
    func configurationDiscovery() throws {
        let tree = try ScratchTree()
        try tree.write(
            "disabled_rules:\n  - try-sleep\nexcluded:\n  - Sources/App/Broken.swift\n  - Tests\n",
            to: ".cancellation-lint.yml"
        )
        let fromRoot = try Binary.run(["--quiet"], in: tree.root)
        let app = tree.root.appendingPathComponent("Sources/App")
        let fromFolder = try Binary.run(["--quiet"], in: app)
        let namedFiles = try Binary.run(["--quiet", "Worker.swift", "Broken.swift", "Clean.swift"], in: app)
        // The same one finding each time; Broken.swift stays excluded and try-sleep stays off.
        #expect(fromRoot.stdout.split(separator: "\n").count == 1)
        #expect(fromRoot.stdout.contains("[swallowed-cancellation-loop]"))
        for result in [fromFolder, namedFiles] {
            #expect(result.status == fromRoot.status)
            #expect(result.stdout.split(separator: "\n").count == 1)
            #expect(result.stdout.contains("[swallowed-cancellation-loop]"))
            #expect(!result.stdout.contains("[unparsable-file]"))
        }
    }

    @Test("A rule made a warning fails the run only with --strict")
    func warningRules() throws {
        let tree = try ScratchTree()
        try tree.write("warning_rules: [try-check-cancellation]\n", to: ".cancellation-lint.yml")
        let source = "func f() async {\n    try? Task.checkCancellation()\n}\n"
        let relaxed = try Binary.run(["-"], in: tree.root, input: source)
        #expect(relaxed.status == 0)
        #expect(relaxed.stdout.hasPrefix("<stdin>:2:5: warning:"))
        let strict = try Binary.run(["--strict", "-"], in: tree.root, input: source)
        #expect(strict.status == 1)
    }

    @Test("A nearer configuration replaces a farther one for the files below it")
    func nestedConfiguration() throws {
        let tree = try ScratchTree()
        try tree.write("excluded:\n  - Tests\n  - Sources/App/Broken.swift\n", to: ".cancellation-lint.yml")
        try tree.write("disabled_rules:\n  - swallowed-cancellation-loop\nexcluded:\n  - App/Broken.swift\n", to: "Sources/.cancellation-lint.yml")
        let result = try Binary.run(["--quiet"], in: tree.root)
        #expect(!result.stdout.contains("[swallowed-cancellation-loop]"), "Sources/ has its own configuration")
        let rootOnly = try Binary.run(["--quiet", "--config", ".cancellation-lint.yml"], in: tree.root)
        #expect(rootOnly.stdout.contains("[swallowed-cancellation-loop]"), "--config names one configuration for all")
    }

    @Test("- lints standard input as <stdin>, with the configuration found from the current directory")
    func standardInput() throws {
        let tree = try ScratchTree()
        let source = "func f() async {\n    try? Task.checkCancellation()\n}\n"
        let result = try Binary.run(["-"], in: tree.root, input: source)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("<stdin>:2:5: error:"))
        #expect(result.stderr.contains("in 1 file"))
        try tree.write("disabled_rules:\n  - try-check-cancellation\n", to: ".cancellation-lint.yml")
        let configured = try Binary.run(["-"], in: tree.root.appendingPathComponent("Sources"), input: source)
        #expect(configured.status == 0)
        #expect(configured.stdout.isEmpty)
    }

    @Test("Syntax newer than the parser inside '#if compiler(…)' is a note that never fails a run; elsewhere an error")
    func newerSyntaxIsANote() throws {
        let tree = try ScratchTree()
        let gated = "#if compiler(>=9.0)\nfunc f() {\n    let x = if c { 1 } else { 2 } + 3 then\n}\n#endif\n"
        let note = try Binary.run(["--strict", "--format", "json", "-"], in: tree.root, input: gated)
        #expect(note.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(note.stdout.utf8)) as? [String: Any])
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.count == 1)
        #expect(findings.first?["severity"] as? String == "note")
        #expect(findings.first?["rule"] as? String == "unparsable-file")
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["notes"] as? Int == 1 && summary["warnings"] as? Int == 0 && summary["errors"] as? Int == 0)
        for condition in ["swift(>=7)", "hasFeature(SomeFutureFeature)"] {
            let other = try Binary.run(["--strict", "-"], in: tree.root, input: "#if \(condition)\n@@@ new syntax\n#endif\n")
            #expect(other.status == 0, "#if \(condition)")
            #expect(other.stdout.contains(": note: "))
        }
        // Not gated on the compiler: a real syntax error, which fails the run.
        let broken = try Binary.run(["-"], in: tree.root, input: "#if os(Linux)\n@@@\n#endif\n")
        #expect(broken.status == 1)
        #expect(broken.stdout.contains(": error: file could not be parsed"))
    }

    @Test("A configuration file found above a file that does not parse fails the run with status 2")
    func invalidDiscoveredConfiguration() throws {
        let tree = try ScratchTree()
        try tree.write("oops: [\n", to: "Sources/.cancellation-lint.yml")
        let result = try Binary.run(["Sources/App/Clean.swift"], in: tree.root)
        #expect(result.status == 2)
        #expect(result.stderr.contains("invalid configuration file"))
        #expect(result.stderr.contains("Sources/.cancellation-lint.yml"))
    }

    @Test("Opt-in rules run with --enable")
    func enableOptIn() throws {
        let tree = try ScratchTree()
        try tree.write(
            "func f() {\n    Task {\n        while true { try await Task.sleep(for: .seconds(1)) }\n    }\n}\n",
            to: "T/A.swift"
        )
        let off = try Binary.run(["T", "--strict"], in: tree.root)
        #expect(off.status == 0)
        let on = try Binary.run(["T", "--strict", "--enable", "unowned-endless-task"], in: tree.root)
        #expect(on.status == 1)
        #expect(on.stdout.contains("[unowned-endless-task]"))
    }

    @Test("Usage, configuration and I/O errors exit with status 2")
    func errors() throws {
        let tree = try ScratchTree()
        let missing = try Binary.run(["does-not-exist"], in: tree.root)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does-not-exist"))
        let badFormat = try Binary.run(["--format", "xml"], in: tree.root)
        #expect(badFormat.status == 2)
        let badRule = try Binary.run(["--enable", "no-such-rule"], in: tree.root)
        #expect(badRule.status == 2)
        try tree.write("disabled_rules: nope\n", to: "bad.yml")
        let badConfig = try Binary.run(["--config", "bad.yml"], in: tree.root)
        #expect(badConfig.status == 2)
        #expect(badConfig.stderr.contains("line 1"))
        let missingConfig = try Binary.run(["--config", "missing.yml"], in: tree.root)
        #expect(missingConfig.status == 2)
        let help = try Binary.run(["--help"], in: tree.root)
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE"))
    }

    @Test("An I/O error wins over findings: findings are still printed, exit status 2")
    func ioErrorWithFindings() throws {
        let tree = try ScratchTree()
        let result = try Binary.run(["Tests", "missing-folder", "--quiet"], in: tree.root)
        #expect(result.status == 2)
        #expect(result.stdout.contains("Tests/WorkerTests.swift:2:5: error:"))
        #expect(result.stderr.contains("error: no such file or directory: 'missing-folder'"))
    }

    @Test("Clean input gives an empty JSON finding list and exit status 0")
    func cleanJSON() throws {
        let tree = try ScratchTree()
        let result = try Binary.run(["--format", "json", "Sources/App/Clean.swift"], in: tree.root)
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["findings"] as? [Any])?.isEmpty == true)
        #expect((object["summary"] as? [String: Any])?["files"] as? Int == 1)
    }

    @Test("--list-rules lists every rule")
    func listRules() throws {
        let tree = try ScratchTree()
        let result = try Binary.run(["--list-rules"], in: tree.root)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").count == 9)
        #expect(result.stdout.contains("cancellation-remapped [warning] (opt-in)"))
    }
}
