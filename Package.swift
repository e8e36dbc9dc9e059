// swift-tools-version: 6.1
import PackageDescription

// MARK: - Core library (depends on swift-log only)

let coreTargets: [Target] = [
    .target(
        name: "Cancellation",
        dependencies: [.product(name: "Logging", package: "swift-log")]
    ),
    .target(
        name: "CancellationTesting",
        dependencies: ["Cancellation"]
    ),
    .executableTarget(
        name: "asyncio-tour",
        dependencies: ["Cancellation"],
        path: "Examples/AsyncioTour"
    ),
    .testTarget(
        name: "CancellationTests",
        dependencies: [
            "Cancellation",
            "CancellationTesting",
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
]

let coreProducts: [Product] = [
    .library(name: "Cancellation", targets: ["Cancellation"]),
    .library(name: "CancellationTesting", targets: ["CancellationTesting"]),
    .executable(name: "asyncio-tour", targets: ["asyncio-tour"]),
]

// MARK: - cancellation-lint

let lintDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
]

let lintTargets: [Target] = [
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
    .testTarget(
        name: "CancellationLintTests",
        dependencies: ["CancellationLintRules", "cancellation-lint"],
        exclude: ["Fixtures"]
    ),
]

let lintProducts: [Product] = [
    .executable(name: "cancellation-lint", targets: ["cancellation-lint"]),
    .library(name: "CancellationLintRules", targets: ["CancellationLintRules"]),
    .plugin(name: "LintCancellationPlugin", targets: ["LintCancellationPlugin"]),
]

// MARK: - Package

let package = Package(
    name: "swift-cancellation",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: coreProducts + lintProducts,
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ] + lintDependencies,
    targets: coreTargets + lintTargets
)

for target in package.targets where target.type != .plugin {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
