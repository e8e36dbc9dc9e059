// swift-tools-version: 6.2
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
    // The call-site matrix: every scoped function called from every kind of caller. The app-style callers
    // live in a target of their own with an app's "approachable concurrency" settings (main actor by
    // default, nonisolated async functions running on their caller's actor); the tests drive them.
    .target(
        name: "ApproachableCallSites",
        dependencies: ["Cancellation", "CancellationTesting"],
        path: "Tests/ApproachableCallSites",
        swiftSettings: [
            .defaultIsolation(MainActor.self),
            .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
            .enableUpcomingFeature("InferIsolatedConformances"),
        ]
    ),
    .testTarget(
        name: "CancellationCallSiteTests",
        dependencies: ["Cancellation", "CancellationTesting", "ApproachableCallSites"]
    ),
]

let coreProducts: [Product] = [
    .library(name: "Cancellation", targets: ["Cancellation"]),
    .library(name: "CancellationTesting", targets: ["CancellationTesting"]),
    .executable(name: "asyncio-tour", targets: ["asyncio-tour"]),
]

// MARK: - Deadlines across the wire
//
// `CancellationWire` (header codecs, server policy, outgoing budget) is always built: it needs nothing but
// the core. Each integration is its own product behind a package trait, so users of the core never build
// gRPC, Hummingbird or AsyncHTTPClient: enable the trait of the integration you use, e.g.
// `.package(url: …, from: …, traits: ["GRPC"])`, or `swift build --traits GRPC,Hummingbird,AsyncHTTPClient`
// here.

let wireTraits: Set<Trait> = [
    .trait(name: "GRPC", description: "CancellationGRPC: deadline interceptors for grpc-swift 2."),
    .trait(name: "Hummingbird", description: "CancellationHummingbird: a request-deadline middleware for Hummingbird 2."),
    .trait(name: "AsyncHTTPClient", description: "CancellationAsyncHTTPClient: AsyncHTTPClient requests under the effective deadline."),
    .default(enabledTraits: []),
]

let wireDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
]

let whenGRPC: TargetDependencyCondition? = .when(traits: ["GRPC"])
let whenHummingbird: TargetDependencyCondition? = .when(traits: ["Hummingbird"])
let whenAsyncHTTPClient: TargetDependencyCondition? = .when(traits: ["AsyncHTTPClient"])

let wireTargets: [Target] = [
    .target(
        name: "CancellationWire",
        dependencies: ["Cancellation"]
    ),
    .target(
        name: "CancellationGRPC",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            .product(name: "GRPCCore", package: "grpc-swift-2", condition: whenGRPC),
        ]
    ),
    .target(
        name: "CancellationHummingbird",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            .product(name: "Hummingbird", package: "hummingbird", condition: whenHummingbird),
            .product(name: "HTTPTypes", package: "swift-http-types", condition: whenHummingbird),
        ]
    ),
    .target(
        name: "CancellationAsyncHTTPClient",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            .product(name: "AsyncHTTPClient", package: "async-http-client", condition: whenAsyncHTTPClient),
            .product(name: "NIOCore", package: "swift-nio", condition: whenAsyncHTTPClient),
            .product(name: "NIOHTTP1", package: "swift-nio", condition: whenAsyncHTTPClient),
        ]
    ),
    .testTarget(
        name: "CancellationWireTests",
        dependencies: ["Cancellation", "CancellationTesting", "CancellationWire"]
    ),
    .testTarget(
        name: "CancellationGRPCTests",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            "CancellationGRPC",
            .product(name: "GRPCCore", package: "grpc-swift-2", condition: whenGRPC),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport", condition: whenGRPC),
        ]
    ),
    .testTarget(
        name: "CancellationHTTPTests",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            "CancellationHummingbird",
            "CancellationAsyncHTTPClient",
            .product(name: "Hummingbird", package: "hummingbird", condition: whenHummingbird),
            .product(name: "AsyncHTTPClient", package: "async-http-client", condition: whenAsyncHTTPClient),
            .product(name: "NIOCore", package: "swift-nio", condition: whenAsyncHTTPClient),
            .product(name: "HTTPTypes", package: "swift-http-types", condition: whenHummingbird),
            // With the Tracing trait too, the HTTP tests check a request's span end to end.
            "CancellationTracing",
            .product(name: "Tracing", package: "swift-distributed-tracing", condition: .when(traits: ["Tracing"])),
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing", condition: .when(traits: ["Tracing"])),
        ]
    ),
]

let wireProducts: [Product] = [
    .library(name: "CancellationWire", targets: ["CancellationWire"]),
    .library(name: "CancellationGRPC", targets: ["CancellationGRPC"]),
    .library(name: "CancellationHummingbird", targets: ["CancellationHummingbird"]),
    .library(name: "CancellationAsyncHTTPClient", targets: ["CancellationAsyncHTTPClient"]),
]

// MARK: - Metrics
//
// `CancellationMetrics` counts the core's `CancellationEvent`s with swift-metrics. Like the integrations it is
// behind a package trait, so users of the core alone never resolve swift-metrics.

let metricsTraits: Set<Trait> = [
    .trait(name: "Metrics", description: "CancellationMetrics: swift-metrics counters for timeouts, late results, uncooperative and abandoned operations."),
]

let whenMetrics: TargetDependencyCondition? = .when(traits: ["Metrics"])

let metricsTargets: [Target] = [
    .target(
        name: "CancellationMetrics",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            .product(name: "CoreMetrics", package: "swift-metrics", condition: whenMetrics),
        ]
    ),
    .testTarget(
        name: "CancellationMetricsTests",
        dependencies: [
            "Cancellation",
            "CancellationTesting",
            "CancellationMetrics",
            "CancellationWire",
            .product(name: "CoreMetrics", package: "swift-metrics", condition: whenMetrics),
            .product(name: "MetricsTestKit", package: "swift-metrics", condition: whenMetrics),
        ]
    ),
]

// MARK: - Tracing
//
// `CancellationTracing` records request deadlines on trace spans with swift-distributed-tracing, behind the
// `Tracing` trait.

let tracingTraits: Set<Trait> = [
    .trait(name: "Tracing", description: "CancellationTracing: request deadlines on swift-distributed-tracing spans."),
]

let whenTracing: TargetDependencyCondition? = .when(traits: ["Tracing"])

let tracingTargets: [Target] = [
    .target(
        name: "CancellationTracing",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            .product(name: "Tracing", package: "swift-distributed-tracing", condition: whenTracing),
        ]
    ),
    .testTarget(
        name: "CancellationTracingTests",
        dependencies: [
            "Cancellation",
            "CancellationWire",
            "CancellationTracing",
            .product(name: "Tracing", package: "swift-distributed-tracing", condition: whenTracing),
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing", condition: whenTracing),
        ]
    ),
]

// MARK: - Package
//
// The linter, cancellation-lint, is a package of its own in `Lint/`, so that nothing here depends on
// swift-syntax or swift-argument-parser.

let package = Package(
    name: "swift-cancellation",
    platforms: [.macOS(.v13), .iOS(.v16), .tvOS(.v16), .watchOS(.v9), .visionOS(.v1)],
    products: coreProducts + wireProducts + [
        .library(name: "CancellationMetrics", targets: ["CancellationMetrics"]),
        .library(name: "CancellationTracing", targets: ["CancellationTracing"]),
    ],
    traits: wireTraits.union(metricsTraits).union(tracingTraits),
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ] + wireDependencies,
    targets: coreTargets + wireTargets + metricsTargets + tracingTargets
)

for target in package.targets where target.type != .plugin {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
