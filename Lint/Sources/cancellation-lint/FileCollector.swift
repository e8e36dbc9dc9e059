import CancellationLintRules
import Foundation

/// Finds the Swift files to lint below the given paths, leaving out what the configuration that applies to
/// each one excludes.
struct FileCollector {
    /// Which configuration applies where.
    var resolver: ConfigurationResolver

    /// Folder names that are never descended into (besides hidden folders).
    static let skippedFolderNames: Set<String> = ["DerivedData", "Pods", "node_modules", "build", "Carthage"]

    struct Result {
        var files: [String] = []
        var errors: [String] = []
    }

    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (joined as NSString).standardizingPath
    }

    /// Whether the configuration that applies at `path` excludes it. A folder is judged by the configuration
    /// of the folder it is in, as a file is.
    func isExcluded(_ path: String) -> Bool {
        let resolved = resolver.resolve(path, isDirectory: false)
        guard !resolved.configuration.excluded.isEmpty else { return false }
        guard let relativePath = resolved.relativePath(of: path) else { return false }
        return resolved.configuration.isExcluded(relativePath: relativePath)
    }

    static func display(_ path: String) -> String {
        var path = path
        while path.hasPrefix("./") { path.removeFirst(2) }
        return path
    }

    func collect(_ roots: [String]) -> Result {
        var result = Result()
        let fileManager = FileManager.default
        for root in roots {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: root, isDirectory: &isDirectory) else {
                result.errors.append("no such file or directory: '\(root)'")
                continue
            }
            if isDirectory.boolValue {
                if isExcluded(root) { continue }
                walk(root, into: &result)
            } else if !isExcluded(root) {
                result.files.append(Self.display(root))
            }
        }
        result.files = Array(Set(result.files)).sorted()
        return result
    }

    private func walk(_ directory: String, into result: inout Result) {
        let fileManager = FileManager.default
        let entries: [String]
        do {
            entries = try fileManager.contentsOfDirectory(atPath: directory)
        } catch {
            result.errors.append("cannot read directory '\(Self.display(directory))'")
            return
        }
        for name in entries.sorted() {
            let path = directory == "." ? name : (directory.hasSuffix("/") ? directory + name : directory + "/" + name)
            guard let attributes = try? fileManager.attributesOfItem(atPath: path),
                let type = attributes[.type] as? FileAttributeType
            else {
                result.errors.append("cannot read '\(Self.display(path))'")
                continue
            }
            if type == .typeDirectory {
                if name.hasPrefix(".") || Self.skippedFolderNames.contains(name) { continue }
                if isExcluded(path) { continue }
                walk(path, into: &result)
            } else if type == .typeRegular, name.hasSuffix(".swift") {
                if isExcluded(path) { continue }
                result.files.append(Self.display(path))
            }
        }
    }
}

/// Reads and lints files in parallel, one child task per file, at most one per core at a time.
enum LintRunner {
    struct Result: Sendable {
        var findings: [Finding] = []
        var errors: [String] = []
    }

    private enum Outcome: Sendable {
        case findings([Finding])
        case failure(String)
    }

    /// Lints each file with its own linter (the one its configuration makes).
    static func lint(files: [(path: String, linter: SourceLinter)]) async -> Result {
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return await withTaskGroup(of: Outcome.self) { group in
            var result = Result()
            var next = 0
            func add() {
                let (path, linter) = files[next]
                next += 1
                group.addTask {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        return .failure("cannot read '\(path)'")
                    }
                    let source = String(decoding: data, as: UTF8.self)
                    return .findings(linter.lint(source: source, path: path))
                }
            }
            while next < files.count && next < width * 2 { add() }
            while let outcome = await group.next() {
                switch outcome {
                case .findings(let findings): result.findings.append(contentsOf: findings)
                case .failure(let message): result.errors.append(message)
                }
                if next < files.count { add() }
            }
            return result
        }
    }
}
