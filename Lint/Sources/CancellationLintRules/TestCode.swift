public import SwiftSyntax

/// Recognises test code, which gets the configuration's test profile (`test_code:`).
///
/// A file is test code when its path has a folder named `Tests` or ending in `Tests` (SwiftPM's test
/// targets, `Tests/AppTests/…`), or when its syntax says so: it imports `XCTest` or `Testing`, declares a
/// type that inherits from `XCTestCase`, or has a `@Test` or `@Suite` attribute.
public enum TestCode {
    /// Whether the file at `path`, parsed as `tree`, is test code.
    ///
    /// - Parameters:
    ///   - tree: The file's syntax.
    ///   - path: The file's path as given to the linter (any separators; only its folders are looked at).
    /// - Returns: `true` for test code.
    public static func isTestCode(_ tree: SourceFileSyntax, path: String) -> Bool {
        isTestPath(path) || Detector.detects(tree)
    }

    /// Whether a folder of `path` is a test folder (`Tests`, or a name ending in `Tests`).
    public static func isTestPath(_ path: String) -> Bool {
        let folders = path.split(separator: "/").dropLast()
        return folders.contains { $0 == "Tests" || $0.hasSuffix("Tests") }
    }

    private final class Detector: SyntaxVisitor {
        var found = false

        static func detects(_ tree: SourceFileSyntax) -> Bool {
            let detector = Detector(viewMode: .sourceAccurate)
            detector.walk(tree)
            return detector.found
        }

        override func visit(_ node: CodeBlockItemListSyntax) -> SyntaxVisitorContinueKind {
            found ? .skipChildren : .visitChildren
        }

        override func visit(_ node: MemberBlockItemListSyntax) -> SyntaxVisitorContinueKind {
            found ? .skipChildren : .visitChildren
        }

        /// Bodies of functions, accessors and the like hold no test declarations.
        override func visit(_ node: CodeBlockSyntax) -> SyntaxVisitorContinueKind {
            .skipChildren
        }

        override func visit(_ node: ImportDeclSyntax) -> SyntaxVisitorContinueKind {
            if let module = node.path.first?.name.text, module == "XCTest" || module == "Testing" { found = true }
            return .skipChildren
        }

        override func visit(_ node: InheritedTypeSyntax) -> SyntaxVisitorContinueKind {
            if node.type.trimmedDescription == "XCTestCase" || node.type.trimmedDescription == "XCTest.XCTestCase" { found = true }
            return .skipChildren
        }

        override func visit(_ node: AttributeSyntax) -> SyntaxVisitorContinueKind {
            let name = node.attributeName.trimmedDescription
            if ["Test", "Suite", "Testing.Test", "Testing.Suite"].contains(name) { found = true }
            return .skipChildren
        }
    }
}
