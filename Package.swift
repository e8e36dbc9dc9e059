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

// MARK: - Package

let package = Package(
    name: "swift-cancellation",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: coreProducts,
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: coreTargets
)

for target in package.targets where target.type != .plugin {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
