/// Findings accepted when a project adopted the linter, so that a run reports only findings added since.
///
/// A baseline records each finding by its file, its rule and the text of its source line (trimmed of
/// surrounding spaces), not by its line number: code added above a finding, or moved around within its
/// file, does not make it new. A finding is new when its file, rule and line text are not in the baseline —
/// or appear there fewer times than in the code (a second copy of a baselined line is new). Entries whose
/// finding has gone (the code was fixed) are simply unused.
///
/// Paths are compared as the linter reports them, relative to where it runs (a leading `./` is ignored):
/// write and use a baseline from the same folder.
///
/// The file is JSON: `{"version": 1, "findings": [{"path": …, "rule": …, "source": …}, …]}`, sorted, so
/// it diffs well under version control.
public struct LintBaseline: Sendable, Hashable, Codable {
    /// One accepted finding.
    public struct Entry: Sendable, Hashable, Codable, Comparable {
        /// The file, as the linter reported it.
        public var path: String
        /// The rule.
        public var rule: RuleID
        /// The finding's source line, trimmed of surrounding spaces and tabs.
        public var source: String

        /// Creates an entry.
        public init(path: String, rule: RuleID, source: String) {
            self.path = LintBaseline.normalized(path)
            self.rule = rule
            self.source = source
        }

        /// Orders entries by path, rule, then source text.
        public static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.path, lhs.rule.rawValue, lhs.source) < (rhs.path, rhs.rule.rawValue, rhs.source)
        }
    }

    /// The format's version; this linter reads and writes 1.
    public var version: Int
    /// The accepted findings, sorted.
    public var findings: [Entry]

    /// The version this linter writes.
    public static let currentVersion = 1

    /// A baseline that accepts `findings`.
    ///
    /// - Parameters:
    ///   - findings: The findings to accept.
    ///   - sourceLine: The text of a finding's line (its file's line `finding.line`), or `nil` when the file
    ///     cannot be read; the entry then records an empty line.
    public init(accepting findings: [Finding], sourceLine: (Finding) -> String?) {
        version = Self.currentVersion
        self.findings = findings.map { Entry(path: $0.path, rule: $0.rule, source: Self.trimmed(sourceLine($0) ?? "")) }.sorted()
    }

    /// Splits `findings` into those the baseline does not accept (the new ones, in their order) and the
    /// number it accepts.
    ///
    /// - Parameters:
    ///   - findings: The findings of a run.
    ///   - sourceLine: The text of a finding's line, as for ``init(accepting:sourceLine:)``.
    /// - Returns: The new findings and how many were accepted.
    public func newFindings(among findings: [Finding], sourceLine: (Finding) -> String?) -> (new: [Finding], accepted: Int) {
        var remaining: [Entry: Int] = [:]
        for entry in self.findings { remaining[Entry(path: entry.path, rule: entry.rule, source: entry.source), default: 0] += 1 }
        var new: [Finding] = []
        var accepted = 0
        for finding in findings {
            let key = Entry(path: finding.path, rule: finding.rule, source: Self.trimmed(sourceLine(finding) ?? ""))
            if let count = remaining[key], count > 0 {
                remaining[key] = count - 1
                accepted += 1
            } else {
                new.append(finding)
            }
        }
        return (new, accepted)
    }

    /// Checks a baseline read from a file.
    ///
    /// - Throws: ``BaselineError`` when its version is not one this linter reads.
    public func validate() throws(BaselineError) {
        guard version == Self.currentVersion else {
            throw BaselineError(message: "version \(version) is not supported; this linter reads version \(Self.currentVersion)")
        }
    }

    static func normalized(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        return String(path)
    }

    static func trimmed(_ line: String) -> String {
        var slice = Substring(line)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice = slice.dropLast() }
        return String(slice)
    }
}

/// A baseline file that could not be read.
public struct BaselineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public let message: String

    /// Creates an error.
    public init(message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
