/// Which rules run, with which severity, on which files, and which paths are skipped.
///
/// Usually read from a `.cancellation-lint.yml` file with ``LintConfiguration/parse(_:)``:
///
/// ```yaml
/// disabled_rules:
///   - try-sleep
/// opt_in_rules: [cancellation-remapped, unowned-endless-task]
/// excluded:
///   - Lint/Tests/CancellationLintTests/Fixtures
///   - "**/Generated"
/// warning_rules: [try-check-cancellation]     # report as warnings (fail only with --strict)
/// error_rules: [catch-all-fallback]           # report as errors (always fail)
/// test_code:                                  # the profile of test code (replaces the default one)
///   disabled_rules: [try-sleep, catch-all-fallback]
/// rules:                                      # per path (relative to this file's folder), in order
///   "Sources/Legacy/**":
///     disabled_rules: [catch-all-fallback]
///   "Sources/Server/**":
///     error_rules: [swallowed-cancellation-loop]
/// ```
///
/// A file's rules are decided in layers, each on top of the one before: the top-level keys; then, for
/// test code, the ``testCode`` profile; then every entry of ``pathRules`` whose pattern matches the file,
/// in order; then ``overrides`` (the command line's `--enable` and `--disable`). ``forFile(relativePath:isTestCode:)``
/// flattens them for one file.
///
/// A configuration applies to the files below its folder (the nearest one above each file wins), so a
/// folder with different needs — a test target, generated code — can also get rules of its own from a
/// `.cancellation-lint.yml` of its own.
public struct LintConfiguration: Sendable, Hashable {
    /// Rules that never run.
    public var disabledRules: Set<RuleID>
    /// Opt-in rules that are switched on.
    public var optInRules: Set<RuleID>
    /// Path patterns (relative to the configuration's directory) whose files are skipped.
    ///
    /// A pattern matches a path when it matches the path's leading components, so a folder pattern
    /// excludes everything below it. `*` matches within one component, `?` one character and `**` any number
    /// of components.
    public var excluded: [String]
    /// Severities that replace the rules' own (`warning_rules`, `error_rules`).
    public var severities: [RuleID: Severity]
    /// What changes for test code (`test_code:`); by default ``RuleOverrides/defaultTestProfile``.
    public var testCode: RuleOverrides
    /// What changes for the files whose path matches a pattern (`rules:`), applied in order.
    public var pathRules: [PathRule]
    /// What changes last, for every file: the command line's `--enable` and `--disable`.
    public var overrides: [RuleOverrides]

    /// The file name looked up in the directory `cancellation-lint` runs in.
    public static let defaultFileName = ".cancellation-lint.yml"

    /// Creates a configuration; the default runs every rule that is not opt-in, excludes nothing, and gives
    /// test code the default test profile.
    public init(
        disabledRules: Set<RuleID> = [],
        optInRules: Set<RuleID> = [],
        excluded: [String] = [],
        severities: [RuleID: Severity] = [:],
        testCode: RuleOverrides = .defaultTestProfile,
        pathRules: [PathRule] = [],
        overrides: [RuleOverrides] = []
    ) {
        self.disabledRules = disabledRules
        self.optInRules = optInRules
        self.excluded = excluded
        self.severities = severities
        self.testCode = testCode
        self.pathRules = pathRules
        self.overrides = overrides
    }

    /// The severity `rule`'s findings are reported with: the configured one, or the rule's own.
    public func severity(of rule: RuleID) -> Severity {
        severities[rule] ?? rule.descriptor.severity
    }

    /// Whether `rule` runs under this configuration's top-level keys.
    public func isEnabled(_ rule: RuleID) -> Bool {
        if disabledRules.contains(rule) { return false }
        return !rule.descriptor.isOptIn || optInRules.contains(rule)
    }

    /// The rules that run under this configuration's top-level keys.
    public var enabledRules: Set<RuleID> {
        Set(RuleID.allCases.filter(isEnabled))
    }

    /// The configuration of one file, flattened: the top-level keys, then the test profile if the file is
    /// test code, then the matching path rules in order, then the overrides.
    ///
    /// - Parameters:
    ///   - relativePath: The file's path relative to the configuration's folder, with `/` separators, for
    ///     the path rules; `nil` when it has none (standard input), so no path rule applies.
    ///   - isTestCode: Whether the file is test code.
    /// - Returns: A configuration with no test profile, path rules or overrides left to apply.
    public func forFile(relativePath: String?, isTestCode: Bool) -> LintConfiguration {
        var flat = LintConfiguration(disabledRules: disabledRules, optInRules: optInRules, excluded: excluded, severities: severities, testCode: RuleOverrides())
        if isTestCode { flat.apply(testCode) }
        if let relativePath {
            let components = Glob.components(relativePath)
            for rule in pathRules where Glob.matchesPrefix(Glob.components(rule.pattern)[...], components[...]) {
                flat.apply(rule.overrides)
            }
        }
        for override in overrides { flat.apply(override) }
        return flat
    }

    /// Applies `overrides` on top of the top-level keys.
    mutating func apply(_ overrides: RuleOverrides) {
        for rule in overrides.enabledRules {
            disabledRules.remove(rule)
            optInRules.insert(rule)
        }
        disabledRules.formUnion(overrides.disabledRules)
        severities.merge(overrides.severities) { _, new in new }
    }

    /// Whether a path, relative to the configuration's directory and using `/` separators, is excluded.
    public func isExcluded(relativePath: String) -> Bool {
        let pathComponents = Glob.components(relativePath)
        for pattern in excluded {
            let patternComponents = Glob.components(pattern)
            if patternComponents.isEmpty { continue }
            if Glob.matchesPrefix(patternComponents[...], pathComponents[...]) { return true }
        }
        return false
    }

    /// The keys a layer (`test_code:` or a `rules:` entry) may set.
    static let overrideKeys = "disabled_rules, opt_in_rules, warning_rules or error_rules"

    /// Parses the small YAML subset used by `.cancellation-lint.yml`.
    ///
    /// Supported: `#` comments; the keys `disabled_rules`, `opt_in_rules`, `excluded`, `warning_rules` and
    /// `error_rules`, each followed by either a block list (`  - item` lines) or a flow list (`[a, b]`),
    /// items optionally quoted; `test_code:` followed by an indented mapping of `disabled_rules`,
    /// `opt_in_rules`, `warning_rules` and `error_rules`; and `rules:` followed by an indented mapping of
    /// path patterns (quote those that start with `*`) to such mappings. Anything else is rejected with a
    /// ``ConfigurationError`` naming the line.
    public static func parse(_ text: String) throws(ConfigurationError) -> LintConfiguration {
        let entries = try MiniYAML.parse(text)
        var configuration = LintConfiguration()
        var base = RuleOverrides()
        for (key, line, node) in entries {
            switch key {
            case "disabled_rules", "opt_in_rules", "warning_rules", "error_rules":
                try base.read(key, try list(node, key: key, line: line))
            case "excluded":
                configuration.excluded = try list(node, key: key, line: line).items.map(\.value)
            case "test_code":
                configuration.testCode = try overrides(node, key: key, line: line)
            case "rules":
                guard case .mapping(let patterns) = node else {
                    throw ConfigurationError(line: line, message: "'rules' must map path patterns to rules, e.g. \"Tests/**\": then an indented 'disabled_rules: [try-sleep]'")
                }
                for (pattern, patternLine, value) in patterns {
                    configuration.pathRules.append(PathRule(pattern: pattern, overrides: try overrides(value, key: pattern, line: patternLine)))
                }
            default:
                throw ConfigurationError(
                    line: line,
                    message: "unknown key '\(key)'; expected disabled_rules, opt_in_rules, excluded, warning_rules, error_rules, test_code or rules"
                )
            }
        }
        configuration.disabledRules = base.disabledRules
        configuration.optInRules = base.enabledRules
        configuration.severities = base.severities
        return configuration
    }

    private static func list(_ node: MiniYAML.Node, key: String, line: Int) throws(ConfigurationError) -> MiniYAML.Entry {
        switch node {
        case .list(let entry):
            return entry
        case .mapping(let entries):
            throw ConfigurationError(line: entries.first?.line ?? line, message: "unexpected indentation; expected '- item' under '\(key)'")
        }
    }

    private static func overrides(_ node: MiniYAML.Node, key: String, line: Int) throws(ConfigurationError) -> RuleOverrides {
        var result = RuleOverrides()
        switch node {
        case .list(let entry) where entry.items.isEmpty:
            return result
        case .list:
            throw ConfigurationError(line: line, message: "'\(key)' must be followed by indented \(overrideKeys) keys")
        case .mapping(let entries):
            for (inner, innerLine, value) in entries {
                guard ["disabled_rules", "opt_in_rules", "warning_rules", "error_rules"].contains(inner) else {
                    throw ConfigurationError(line: innerLine, message: "unknown key '\(inner)' under '\(key)'; expected \(overrideKeys)")
                }
                try result.read(inner, try list(value, key: inner, line: innerLine))
            }
        }
        return result
    }

    static func rule(named name: String, line: Int) throws(ConfigurationError) -> RuleID {
        guard let rule = RuleID(rawValue: name) else {
            throw ConfigurationError(
                line: line,
                message: "unknown rule '\(name)'; known rules: \(RuleID.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return rule
    }
}

/// Changes to which rules run and how severe their findings are, for a set of files: test code, or the
/// files a path pattern matches.
public struct RuleOverrides: Sendable, Hashable {
    /// Rules switched off.
    public var disabledRules: Set<RuleID>
    /// Rules switched on, opt-in or previously disabled ones included (`opt_in_rules`).
    public var enabledRules: Set<RuleID>
    /// Severities that replace the rules' own.
    public var severities: [RuleID: Severity]

    /// Creates a set of changes; the default changes nothing.
    public init(disabledRules: Set<RuleID> = [], enabledRules: Set<RuleID> = [], severities: [RuleID: Severity] = [:]) {
        self.disabledRules = disabledRules
        self.enabledRules = enabledRules
        self.severities = severities
    }

    /// The profile test code gets unless a configuration sets `test_code:`: `try-sleep` off. A test that
    /// sleeps with `try?` ends with its test run; the triage of 18 server packages (docs/lint/triage.md)
    /// found such sleeps in tests harmless and advised switching the rule off there.
    public static let defaultTestProfile = RuleOverrides(disabledRules: [.trySleep])

    /// Reads one list key into the changes.
    mutating func read(_ key: String, _ entry: MiniYAML.Entry) throws(ConfigurationError) {
        for item in entry.items {
            let rule = try LintConfiguration.rule(named: item.value, line: item.line)
            switch key {
            case "disabled_rules":
                disabledRules.insert(rule)
            case "opt_in_rules":
                enabledRules.insert(rule)
            default:
                let severity: Severity = key == "warning_rules" ? .warning : .error
                if let other = severities[rule], other != severity {
                    throw ConfigurationError(line: item.line, message: "rule '\(rule.rawValue)' is in both warning_rules and error_rules")
                }
                severities[rule] = severity
            }
        }
    }
}

/// Rules for the files whose path (relative to the configuration's folder) matches a pattern.
public struct PathRule: Sendable, Hashable {
    /// The pattern, as for ``LintConfiguration/excluded``: matched against a path's leading components.
    public var pattern: String
    /// What changes for the matching files.
    public var overrides: RuleOverrides

    /// Creates a path rule.
    public init(pattern: String, overrides: RuleOverrides) {
        self.pattern = pattern
        self.overrides = overrides
    }
}

/// A configuration file that could not be understood.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line of the problem.
    public let line: Int
    /// What is wrong.
    public let message: String

    /// Creates an error.
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}

enum Glob {
    /// A path's or pattern's components, without empty and `.` ones.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0 != "." }.map(String.init)
    }

    static func matchesPrefix(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return true }
        if first == "**" {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if matchesPrefix(rest, remaining) { return true }
                if remaining.isEmpty { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let component = path.first else { return false }
        return matches(Array(first.utf8)[...], Array(component.utf8)[...])
            && matchesPrefix(pattern.dropFirst(), path.dropFirst())
    }

    static func matches(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let p = pattern.first else { return text.isEmpty }
        switch p {
        case UInt8(ascii: "*"):
            var rest = text
            while true {
                if matches(pattern.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        case UInt8(ascii: "?"):
            return !text.isEmpty && matches(pattern.dropFirst(), text.dropFirst())
        default:
            return text.first == p && matches(pattern.dropFirst(), text.dropFirst())
        }
    }
}

enum MiniYAML {
    struct Item {
        var value: String
        var line: Int
    }

    struct Entry {
        var line: Int
        var items: [Item] = []
    }

    /// A value: a list of scalars, or a mapping of keys to values.
    indirect enum Node {
        case list(Entry)
        case mapping([(key: String, line: Int, value: Node)])
    }

    /// One meaningful line: its number, indentation and content without the comment.
    struct Line {
        var number: Int
        var indent: Int
        var text: String
    }

    /// Parses a mapping whose values are lists (`key: [a, b]`, or `key:` then `- item` lines) or further
    /// mappings (`key:` then more-indented `key:` lines); returns the top-level keys in file order.
    static func parse(_ text: String) throws(ConfigurationError) -> [(key: String, line: Int, value: Node)] {
        var lines: [Line] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.contains("\t") {
                throw ConfigurationError(line: number, message: "tabs are not allowed in YAML indentation")
            }
            let content = stripComment(line)
            let trimmed = content.trimmingSpaces()
            if trimmed.isEmpty || trimmed == "---" { continue }
            lines.append(Line(number: number, indent: content.prefix { $0 == " " }.count, text: trimmed))
        }
        var index = 0
        if let first = lines.first, first.indent > 0 {
            throw ConfigurationError(
                line: first.number,
                message: first.text.hasPrefix("-") ? "list item outside of a key" : "unexpected indentation; expected 'key:'"
            )
        }
        let mapping = try parseMapping(lines, &index, indent: 0)
        if index < lines.count {
            let line = lines[index]
            throw ConfigurationError(
                line: line.number,
                message: line.text.hasPrefix("-") ? "list item outside of a key" : "unexpected indentation; expected '- item'"
            )
        }
        return mapping
    }

    private static func parseMapping(_ lines: [Line], _ index: inout Int, indent: Int) throws(ConfigurationError) -> [(key: String, line: Int, value: Node)] {
        var result: [(key: String, line: Int, value: Node)] = []
        var seen: Set<String> = []
        while index < lines.count, lines[index].indent == indent {
            let line = lines[index]
            if line.text.hasPrefix("-") {
                throw ConfigurationError(line: line.number, message: "list item outside of a key")
            }
            let (key, rest) = try splitKey(line)
            guard seen.insert(key).inserted else {
                throw ConfigurationError(line: line.number, message: "duplicate key '\(key)'")
            }
            index += 1
            var entry = Entry(line: line.number)
            if !rest.isEmpty {
                guard rest.hasPrefix("["), rest.hasSuffix("]") else {
                    throw ConfigurationError(
                        line: line.number,
                        message: "'\(key)' must be a list ('- item' lines or '[a, b]'), found '\(rest)'"
                    )
                }
                let inner = rest.dropFirst().dropLast().trimmingSpaces()
                if !inner.isEmpty {
                    for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
                        let value = String(part).trimmingSpaces()
                        if value.isEmpty {
                            throw ConfigurationError(line: line.number, message: "empty item in '[…]' list")
                        }
                        entry.items.append(Item(value: try scalar(value, line: line.number), line: line.number))
                    }
                }
                result.append((key, line.number, .list(entry)))
            } else if index < lines.count, lines[index].text.hasPrefix("-"), lines[index].indent >= indent {
                // Items may be indented or not, even unevenly, as long as they are not left of their key.
                while index < lines.count, lines[index].indent >= indent, lines[index].text.hasPrefix("-") {
                    let item = lines[index]
                    let value = item.text.dropFirst().trimmingSpaces()
                    guard item.text.dropFirst().first == " " || value.isEmpty else {
                        throw ConfigurationError(line: item.number, message: "expected '- item'")
                    }
                    if value.isEmpty {
                        throw ConfigurationError(line: item.number, message: "empty list item")
                    }
                    entry.items.append(Item(value: try scalar(value, line: item.number), line: item.number))
                    index += 1
                }
                result.append((key, line.number, .list(entry)))
            } else if index < lines.count, lines[index].indent > indent {
                result.append((key, line.number, .mapping(try parseMapping(lines, &index, indent: lines[index].indent))))
            } else {
                result.append((key, line.number, .list(entry)))
            }
        }
        if index < lines.count, lines[index].indent > indent {
            throw ConfigurationError(line: lines[index].number, message: "unexpected indentation; expected '- item'")
        }
        return result
    }

    /// Splits `key: rest`; a key may be quoted (a glob such as `"**/Generated"` must be).
    private static func splitKey(_ line: Line) throws(ConfigurationError) -> (key: String, rest: String) {
        let text = line.text
        if let quote = text.first, quote == "\"" || quote == "'" {
            guard let close = text.dropFirst().firstIndex(of: quote) else {
                throw ConfigurationError(line: line.number, message: "unterminated quoted key \(text)")
            }
            let after = text[text.index(after: close)...].trimmingSpaces()
            guard after.hasPrefix(":") else {
                throw ConfigurationError(line: line.number, message: "expected ':' after the quoted key \(text[...close])")
            }
            return (String(text[text.index(after: text.startIndex)..<close]), after.dropFirst().trimmingSpaces())
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw ConfigurationError(line: line.number, message: "expected 'key:' or '- item', found '\(text)'")
        }
        let key = String(text[..<colon]).trimmingSpaces()
        guard !key.isEmpty, !key.contains(" ") else {
            throw ConfigurationError(line: line.number, message: "invalid key '\(key)'")
        }
        return (key, text[text.index(after: colon)...].trimmingSpaces())
    }

    private static func stripComment(_ line: Substring) -> String {
        var output = ""
        var quote: Character?
        var previous: Character = " "
        for character in line {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" && (previous == " " || output.isEmpty) {
                break
            }
            output.append(character)
            previous = character
        }
        return output
    }

    private static func scalar(_ value: String, line: Int) throws(ConfigurationError) -> String {
        if let first = value.first, first == "\"" || first == "'" {
            guard value.count >= 2, value.last == first else {
                throw ConfigurationError(line: line, message: "unterminated quoted string \(value)")
            }
            return String(value.dropFirst().dropLast())
        }
        if value.contains(":") && value.contains(": ") || value.hasPrefix("[") || value.hasPrefix("{") {
            throw ConfigurationError(line: line, message: "unsupported value '\(value)'; quote it")
        }
        return value
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
