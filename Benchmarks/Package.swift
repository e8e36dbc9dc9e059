// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-cancellation-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-cancellation", path: "../"),
    ],
    targets: [
        .executableTarget(
            name: "cancellation-benchmarks",
            dependencies: [.product(name: "Cancellation", package: "swift-cancellation")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
