// swift-tools-version: 6.2
import PackageDescription

// The cancellation linter finds Swift code that swallows task cancellation (see ../docs/lint/README.md).
//
// A package of its own, apart from the `Cancellation` library at the repository root, so that depending on
// the library never resolves swift-syntax or swift-argument-parser (and never pins swift-syntax's major
// version). The linter works on syntax alone: it needs nothing from the library.

let package = Package(
    name: "cancellation-lint",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cancellation-lint", targets: ["cancellation-lint"]),
        .library(name: "CancellationLintRules", targets: ["CancellationLintRules"]),
        .plugin(name: "LintCancellationPlugin", targets: ["LintCancellationPlugin"]),
        .plugin(name: "CancellationLintBuildPlugin", targets: ["CancellationLintBuildPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "CancellationLintRules",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftParser", package: "swift-syntax"),
            ]
        ),
        .executableTarget(
            name: "cancellation-lint",
            dependencies: [
                "CancellationLintRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .plugin(
            name: "LintCancellationPlugin",
            capability: .command(
                intent: .custom(
                    verb: "lint-cancellation",
                    description: "Find code that swallows task cancellation with cancellation-lint."
                )
            ),
            dependencies: ["cancellation-lint"]
        ),
        .plugin(
            name: "CancellationLintBuildPlugin",
            capability: .buildTool(),
            dependencies: ["cancellation-lint"]
        ),
        .testTarget(
            name: "CancellationLintTests",
            dependencies: [
                "CancellationLintRules",
                "cancellation-lint",
                .product(name: "SwiftParser", package: "swift-syntax"),
            ],
            exclude: ["Fixtures"]
        ),
    ]
)

for target in package.targets where target.type != .plugin {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
