/// Which rules run and which paths are skipped.
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
/// ```
///
/// A configuration applies to the files below its folder (the nearest one above each file wins), so a
/// folder with different needs — a test target, generated code — gets rules of its own from a
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

    /// The file name looked up in the directory `cancellation-lint` runs in.
    public static let defaultFileName = ".cancellation-lint.yml"

    /// Creates a configuration; the default runs every rule that is not opt-in and excludes nothing.
    public init(
        disabledRules: Set<RuleID> = [],
        optInRules: Set<RuleID> = [],
        excluded: [String] = [],
        severities: [RuleID: Severity] = [:]
    ) {
        self.disabledRules = disabledRules
        self.optInRules = optInRules
        self.excluded = excluded
        self.severities = severities
    }

    /// The severity `rule`'s findings are reported with: the configured one, or the rule's own.
    public func severity(of rule: RuleID) -> Severity {
        severities[rule] ?? rule.descriptor.severity
    }

    /// Whether `rule` runs under this configuration.
    public func isEnabled(_ rule: RuleID) -> Bool {
        if disabledRules.contains(rule) { return false }
        return !rule.descriptor.isOptIn || optInRules.contains(rule)
    }

    /// The rules that run under this configuration.
    public var enabledRules: Set<RuleID> {
        Set(RuleID.allCases.filter(isEnabled))
    }

    /// Whether a path, relative to the configuration's directory and using `/` separators, is excluded.
    public func isExcluded(relativePath: String) -> Bool {
        let pathComponents = relativePath.split(separator: "/").filter { $0 != "." }.map(String.init)
        for pattern in excluded {
            let patternComponents = pattern.split(separator: "/").filter { $0 != "." }.map(String.init)
            if patternComponents.isEmpty { continue }
            if Glob.matchesPrefix(patternComponents[...], pathComponents[...]) { return true }
        }
        return false
    }

    /// Parses the small YAML subset used by `.cancellation-lint.yml`.
    ///
    /// Supported: `#` comments, the keys `disabled_rules`, `opt_in_rules`, `excluded`, `warning_rules` and
    /// `error_rules`, each followed by
    /// either a block list (`  - item` lines) or a flow list (`[a, b]`); items may be quoted. Anything else is
    /// rejected with a ``ConfigurationError`` naming the line.
    public static func parse(_ text: String) throws(ConfigurationError) -> LintConfiguration {
        let lists = try MiniYAML.parseLists(text)
        var configuration = LintConfiguration()
        for (key, entry) in lists {
            switch key {
            case "disabled_rules":
                for item in entry.items { configuration.disabledRules.insert(try rule(named: item.value, line: item.line)) }
            case "opt_in_rules":
                for item in entry.items { configuration.optInRules.insert(try rule(named: item.value, line: item.line)) }
            case "excluded":
                configuration.excluded = entry.items.map(\.value)
            case "warning_rules", "error_rules":
                let severity: Severity = key == "warning_rules" ? .warning : .error
                for item in entry.items {
                    let rule = try rule(named: item.value, line: item.line)
                    if let other = configuration.severities[rule], other != severity {
                        throw ConfigurationError(
                            line: item.line, message: "rule '\(rule.rawValue)' is in both warning_rules and error_rules"
                        )
                    }
                    configuration.severities[rule] = severity
                }
            default:
                throw ConfigurationError(
                    line: entry.line,
                    message: "unknown key '\(key)'; expected disabled_rules, opt_in_rules, excluded, warning_rules or error_rules"
                )
            }
        }
        return configuration
    }

    private static func rule(named name: String, line: Int) throws(ConfigurationError) -> RuleID {
        guard let rule = RuleID(rawValue: name) else {
            throw ConfigurationError(
                line: line,
                message: "unknown rule '\(name)'; known rules: \(RuleID.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return rule
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

    /// Parses `key:` followed by lists; returns keys in file order.
    static func parseLists(_ text: String) throws(ConfigurationError) -> [(String, Entry)] {
        var result: [(String, Entry)] = []
        var currentKeyIndex: Int?
        var seen: Set<String> = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let number = offset + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.contains("\t") {
                throw ConfigurationError(line: number, message: "tabs are not allowed in YAML indentation")
            }
            let content = stripComment(line)
            let trimmed = content.trimmingSpaces()
            if trimmed.isEmpty || trimmed == "---" { continue }
            let indented = content.first == " "
            if trimmed.hasPrefix("-") {
                guard let index = currentKeyIndex else {
                    throw ConfigurationError(line: number, message: "list item outside of a key")
                }
                let value = trimmed.dropFirst().trimmingSpaces()
                guard trimmed.dropFirst().first == " " || value.isEmpty else {
                    throw ConfigurationError(line: number, message: "expected '- item'")
                }
                if value.isEmpty {
                    throw ConfigurationError(line: number, message: "empty list item")
                }
                result[index].1.items.append(Item(value: try scalar(value, line: number), line: number))
                continue
            }
            if indented {
                throw ConfigurationError(line: number, message: "unexpected indentation; expected '- item'")
            }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw ConfigurationError(line: number, message: "expected 'key:' or '- item', found '\(trimmed)'")
            }
            let key = String(trimmed[..<colon]).trimmingSpaces()
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0 == "_" || $0.isNumber }) else {
                throw ConfigurationError(line: number, message: "invalid key '\(key)'")
            }
            guard seen.insert(key).inserted else {
                throw ConfigurationError(line: number, message: "duplicate key '\(key)'")
            }
            var entry = Entry(line: number)
            let rest = trimmed[trimmed.index(after: colon)...].trimmingSpaces()
            if !rest.isEmpty {
                guard rest.hasPrefix("["), rest.hasSuffix("]") else {
                    throw ConfigurationError(
                        line: number,
                        message: "'\(key)' must be a list ('- item' lines or '[a, b]'), found '\(rest)'"
                    )
                }
                let inner = rest.dropFirst().dropLast().trimmingSpaces()
                if !inner.isEmpty {
                    for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
                        let value = String(part).trimmingSpaces()
                        if value.isEmpty {
                            throw ConfigurationError(line: number, message: "empty item in '[…]' list")
                        }
                        entry.items.append(Item(value: try scalar(value, line: number), line: number))
                    }
                }
                result.append((key, entry))
                currentKeyIndex = nil
            } else {
                result.append((key, entry))
                currentKeyIndex = result.count - 1
            }
        }
        return result
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
