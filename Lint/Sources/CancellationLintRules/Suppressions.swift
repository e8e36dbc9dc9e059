import SwiftSyntax

/// A `// cancellation-lint:…` comment.
struct SuppressionDirective {
    enum Kind: Equatable {
        case disableNext, disableThis, disable, enable
    }

    var kind: Kind
    /// The rule names as written; `all` stands for every rule.
    var rules: [String]
    var line: Int
    var column: Int
}

/// The suppressions of one file and which of them were used.
struct SuppressionSet {
    struct Scope {
        var rule: String
        var firstLine: Int
        var lastLine: Int
        var directiveLine: Int
        var directiveColumn: Int
        var used = false
    }

    var scopes: [Scope] = []
    var problems: [(line: Int, column: Int, message: String)] = []

    static let prefix = "cancellation-lint:"

    /// Collects directives from comments (never from string literals).
    init(tree: SourceFileSyntax, converter: SourceLocationConverter) {
        var directives: [SuppressionDirective] = []
        for token in tree.tokens(viewMode: .sourceAccurate) {
            var offset = token.position
            for piece in token.leadingTrivia {
                collect(piece, at: offset, converter: converter, into: &directives)
                offset = offset + piece.sourceLength
            }
            offset = token.endPositionBeforeTrailingTrivia
            for piece in token.trailingTrivia {
                collect(piece, at: offset, converter: converter, into: &directives)
                offset = offset + piece.sourceLength
            }
        }
        build(from: directives)
    }

    private mutating func collect(
        _ piece: TriviaPiece,
        at position: AbsolutePosition,
        converter: SourceLocationConverter,
        into directives: inout [SuppressionDirective]
    ) {
        let text: String
        switch piece {
        case .lineComment(let comment): text = String(comment.dropFirst(2))
        case .blockComment(let comment): text = String(comment.dropFirst(2).dropLast(2))
        default: return
        }
        let trimmed = text.trimmingSpaces()
        guard trimmed.hasPrefix(Self.prefix) else { return }
        let location = converter.location(for: position)
        let words = trimmed.dropFirst(Self.prefix.count).split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        guard let command = words.first else {
            problems.append((location.line, location.column, "empty cancellation-lint directive; expected disable, disable:next, disable:this or enable followed by rule ids"))
            return
        }
        let kind: SuppressionDirective.Kind
        switch command {
        case "disable": kind = .disable
        case "disable:next": kind = .disableNext
        case "disable:this": kind = .disableThis
        case "enable": kind = .enable
        default:
            problems.append((location.line, location.column, "unknown cancellation-lint directive '\(command)'; expected disable, disable:next, disable:this or enable"))
            return
        }
        var rules = words.dropFirst().map(String.init)
        // Allow a trailing explanation after ` - ` or ` -- `.
        if let dash = rules.firstIndex(where: { $0 == "-" || $0 == "--" }) { rules = Array(rules[..<dash]) }
        if rules.isEmpty {
            problems.append((location.line, location.column, "cancellation-lint:\(command) names no rule; add a rule id or 'all'"))
            return
        }
        for rule in rules where rule != "all" && RuleID(rawValue: rule) == nil {
            problems.append((location.line, location.column, "unknown rule '\(rule)' in suppression; known rules: \(RuleID.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        rules = rules.filter { $0 == "all" || RuleID(rawValue: $0) != nil }
        if !rules.isEmpty {
            directives.append(SuppressionDirective(kind: kind, rules: rules, line: location.line, column: location.column))
        }
    }

    private mutating func build(from directives: [SuppressionDirective]) {
        var open: [String: SuppressionDirective] = [:]
        var openOrder: [String] = []
        for directive in directives {
            switch directive.kind {
            case .disableNext, .disableThis:
                let line = directive.kind == .disableNext ? directive.line + 1 : directive.line
                for rule in directive.rules {
                    scopes.append(Scope(rule: rule, firstLine: line, lastLine: line, directiveLine: directive.line, directiveColumn: directive.column))
                }
            case .disable:
                for rule in directive.rules where open[rule] == nil {
                    open[rule] = directive
                    openOrder.append(rule)
                }
            case .enable:
                for rule in directive.rules {
                    if rule == "all" {
                        for openRule in openOrder {
                            if let start = open.removeValue(forKey: openRule) {
                                scopes.append(Scope(rule: openRule, firstLine: start.line, lastLine: directive.line, directiveLine: start.line, directiveColumn: start.column))
                            }
                        }
                        openOrder.removeAll()
                    } else if let start = open.removeValue(forKey: rule) {
                        openOrder.removeAll { $0 == rule }
                        scopes.append(Scope(rule: rule, firstLine: start.line, lastLine: directive.line, directiveLine: start.line, directiveColumn: start.column))
                    } else {
                        problems.append((directive.line, directive.column, "cancellation-lint:enable \(rule) has no matching disable; remove it"))
                    }
                }
            }
        }
        for rule in openOrder {
            if let start = open[rule] {
                scopes.append(Scope(rule: rule, firstLine: start.line, lastLine: Int.max, directiveLine: start.line, directiveColumn: start.column))
            }
        }
    }

    /// Whether a finding is suppressed; marks the matching suppressions as used.
    mutating func suppresses(_ rule: RuleID, line: Int) -> Bool {
        var suppressed = false
        for index in scopes.indices
        where (scopes[index].rule == rule.rawValue || scopes[index].rule == "all")
            && scopes[index].firstLine <= line && line <= scopes[index].lastLine
        {
            scopes[index].used = true
            suppressed = true
        }
        return suppressed
    }
}
