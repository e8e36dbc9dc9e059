import CancellationLintRules
import Foundation

/// Which configuration applies to which file.
///
/// With `--config`, that file applies everywhere (its `excluded` patterns relative to its folder). Without
/// it, each file gets the `.cancellation-lint.yml` nearest to it — in its own folder or the closest folder
/// above — as swift-format and SwiftLint find theirs, so running from `Sources/` or naming one file uses the
/// same configuration as running from the package's root. A nearer file replaces a farther one; the two are
/// not merged. A file with none above it gets the defaults. The command line's `--enable` and `--disable`
/// apply on top of whichever configuration a file gets.
final class ConfigurationResolver {
    /// A configuration and the absolute folder its `excluded` patterns are relative to.
    struct Resolved {
        var configuration: LintConfiguration
        var base: String

        /// `path` relative to ``base``, with `/` separators, or `nil` when it is not below it.
        func relativePath(of path: String) -> String? {
            let absolutePath = FileCollector.absolute(path)
            let folder = base.hasSuffix("/") ? base : base + "/"
            guard absolutePath.hasPrefix(folder) else { return nil }
            return String(absolutePath.dropFirst(folder.count))
        }
    }

    private let explicit: Resolved?
    private let overlay: (inout LintConfiguration) -> Void
    /// The configuration found for each folder asked about so far (`nil`: none above it).
    private var cache: [String: Resolved?] = [:]
    /// Configuration files that could not be read or parsed, with the reason.
    private(set) var errors: [String] = []

    /// Creates a resolver.
    ///
    /// - Parameters:
    ///   - explicitPath: The `--config` file, or `nil` to find one per file.
    ///   - overlay: What the command line changes in every configuration.
    /// - Throws: `ToolError` when the `--config` file cannot be read or parsed.
    init(explicitPath: String?, overlay: @escaping (inout LintConfiguration) -> Void) throws(ToolError) {
        self.overlay = overlay
        if let explicitPath {
            var resolved = try Self.load(explicitPath)
            overlay(&resolved.configuration)
            explicit = resolved
        } else {
            explicit = nil
        }
    }

    /// The configuration for a file or folder at `path`: for a file, the one of its folder; for a folder,
    /// its own.
    func resolve(_ path: String, isDirectory: Bool) -> Resolved {
        if let explicit { return explicit }
        let absolute = FileCollector.absolute(path)
        let folder = isDirectory ? absolute : (absolute as NSString).deletingLastPathComponent
        if let found = nearest(from: folder) { return found }
        var defaults = LintConfiguration()
        overlay(&defaults)
        return Resolved(configuration: defaults, base: folder)
    }

    /// The configuration in `folder` or the closest folder above it, if any.
    private func nearest(from folder: String) -> Resolved? {
        if let cached = cache[folder] { return cached }
        let candidate = (folder as NSString).appendingPathComponent(LintConfiguration.defaultFileName)
        let found: Resolved?
        if FileManager.default.fileExists(atPath: candidate) {
            do {
                var resolved = try Self.load(candidate)
                overlay(&resolved.configuration)
                found = resolved
            } catch {
                errors.append(error.message)
                found = nil
            }
        } else {
            let parent = (folder as NSString).deletingLastPathComponent
            found = parent == folder || parent.isEmpty ? nil : nearest(from: parent)
        }
        cache[folder] = found
        return found
    }

    /// Reads and parses the configuration file at `path`.
    static func load(_ path: String) throws(ToolError) -> Resolved {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ToolError(message: "cannot read configuration file '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ToolError(message: "configuration file '\(path)' is not valid UTF-8")
        }
        do {
            let configuration = try LintConfiguration.parse(text)
            let base = (FileCollector.absolute(path) as NSString).deletingLastPathComponent
            return Resolved(configuration: configuration, base: base)
        } catch {
            throw ToolError(message: "invalid configuration file '\(path)': \(error.description)")
        }
    }
}
