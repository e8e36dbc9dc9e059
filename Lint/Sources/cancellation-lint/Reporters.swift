import CancellationLintRules
import Foundation

/// `path:line:column: severity: message [rule-id]`, one line per finding.
enum TextReporter {
    static func render(_ findings: [Finding]) -> String {
        var output = ""
        for finding in findings {
            output += "\(finding.path):\(finding.line):\(finding.column): \(finding.severity.rawValue): \(finding.message) [\(finding.rule.rawValue)]\n"
        }
        return output
    }
}

/// `{"findings": [...], "summary": {...}}`.
enum JSONReporter {
    struct Summary: Encodable {
        var files: Int
        var findings: Int
        var errors: Int
        var warnings: Int
        var notes: Int
        /// Findings in test code (also counted above).
        var testCode: Int
    }

    struct Document: Encodable {
        var findings: [Finding]
        var summary: Summary
    }

    static func render(_ findings: [Finding], fileCount: Int) throws -> String {
        let errors = findings.filter { $0.severity == .error }.count
        let notes = findings.filter { $0.severity == .note }.count
        let document = Document(
            findings: findings,
            summary: Summary(
                files: fileCount, findings: findings.count, errors: errors, warnings: findings.count - errors - notes, notes: notes,
                testCode: findings.filter(\.inTestCode).count
            )
        )
        return try encode(document)
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// SARIF 2.1.0, for code-scanning upload.
enum SARIFReporter {
    struct Log: Encodable {
        var schema = "https://json.schemastore.org/sarif-2.1.0.json"
        var version = "2.1.0"
        var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case version, runs
        }
    }

    struct Run: Encodable {
        var tool: Tool
        var results: [Result]
    }

    struct Tool: Encodable {
        var driver: Driver
    }

    struct Driver: Encodable {
        var name = "cancellation-lint"
        var version = CancellationLint.configuration.version
        var informationUri = RuleDescriptor.documentationBase + "/README.md"
        var rules: [Rule]
    }

    struct Text: Encodable {
        var text: String
    }

    struct Rule: Encodable {
        var id: String
        var name: String
        var shortDescription: Text
        var helpUri: String
        var defaultConfiguration: Configuration
    }

    struct Configuration: Encodable {
        var level: String
    }

    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var message: Text
        var locations: [Location]
    }

    struct Location: Encodable {
        var physicalLocation: PhysicalLocation
    }

    struct PhysicalLocation: Encodable {
        var artifactLocation: ArtifactLocation
        var region: Region
    }

    struct ArtifactLocation: Encodable {
        var uri: String
    }

    struct Region: Encodable {
        var startLine: Int
        var startColumn: Int
    }

    static func uri(for path: String) -> String {
        let allowed = CharacterSet.urlPathAllowed
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }

    static func render(_ findings: [Finding]) throws -> String {
        let rules = RuleID.allCases
        let driver = Driver(
            rules: rules.map { rule in
                Rule(
                    id: rule.rawValue, name: rule.rawValue, shortDescription: Text(text: rule.descriptor.summary),
                    helpUri: rule.descriptor.helpURI,
                    defaultConfiguration: Configuration(level: rule.descriptor.severity.rawValue)
                )
            }
        )
        let results = findings.map { finding in
            Result(
                ruleId: finding.rule.rawValue,
                ruleIndex: rules.firstIndex(of: finding.rule) ?? 0,
                level: finding.severity.rawValue,
                message: Text(text: finding.message),
                locations: [
                    Location(
                        physicalLocation: PhysicalLocation(
                            artifactLocation: ArtifactLocation(uri: uri(for: finding.path)),
                            region: Region(startLine: finding.line, startColumn: finding.column)
                        )
                    )
                ]
            )
        }
        return try JSONReporter.encode(Log(runs: [Run(tool: Tool(driver: driver), results: results)]))
    }
}
