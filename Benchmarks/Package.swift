// swift-tools-version: 6.1
import PackageDescription

// `cancellation-benchmarks` measures the core library (B*, S*, L* figures) and builds in seconds.
// `wire-benchmarks` measures the per-hop cost of the gRPC and HTTP deadline integrations (W* figures); it
// needs the integration traits and builds gRPC, Hummingbird and AsyncHTTPClient, so build it on its own:
// `swift run -c release --package-path Benchmarks wire-benchmarks`.
let package = Package(
    name: "swift-cancellation-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-cancellation", path: "../", traits: ["GRPC", "Hummingbird", "AsyncHTTPClient"]),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
    ],
    targets: [
        // What both executables use to count jobs and context switches for their accounts.
        .target(
            name: "BenchmarkSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "cancellation-benchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Cancellation", package: "swift-cancellation"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "wire-benchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Cancellation", package: "swift-cancellation"),
                .product(name: "CancellationWire", package: "swift-cancellation"),
                .product(name: "CancellationGRPC", package: "swift-cancellation"),
                .product(name: "CancellationHummingbird", package: "swift-cancellation"),
                .product(name: "CancellationAsyncHTTPClient", package: "swift-cancellation"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
