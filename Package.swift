// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Waypoint",
    products: [
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "Journeys", targets: ["Journeys"]),
        .library(name: "Markov", targets: ["Markov"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Logistic", targets: ["Logistic"]),
        .library(name: "Features", targets: ["Features"]),
        .library(name: "Decisioning", targets: ["Decisioning"]),
        .library(name: "WaypointScoring", targets: ["WaypointScoring"]),
        .executable(name: "waypoint", targets: ["waypoint"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 for bundle checksums and training-data fingerprints (BoringSSL's, hardware-accelerated).
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // C interfaces. Only Linalg imports them.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),

        .target(name: "Linalg", dependencies: ["CBLAS", "CLAPACKE"]),
        // printf's "%.6g" without a Swift variadic call, for the CLI's output (see its header).
        .target(name: "CNumberFormat"),
        .target(name: "Journeys"),
        .target(name: "Markov", dependencies: ["Journeys", "Linalg", "Evaluation"]),
        .target(name: "Simulation", dependencies: ["Journeys"]),
        .target(name: "Evaluation"),
        .target(name: "Logistic", dependencies: ["Linalg"]),
        .target(name: "Features", dependencies: ["Journeys"]),
        .target(name: "Decisioning", dependencies: ["Logistic", "Linalg", "Evaluation"]),
        .target(
            name: "WaypointScoring",
            dependencies: [
                "Features", "Logistic", "Markov", "Decisioning", "Journeys",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "waypoint",
            dependencies: [
                "CNumberFormat",
                "Journeys",
                "Linalg",
                "Logistic",
                "Markov",
                "Simulation",
                "Features",
                "Decisioning",
                "WaypointScoring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "JourneysTests", dependencies: ["Journeys"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MarkovTests", dependencies: ["Markov", "Journeys"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Journeys", "Markov"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"], exclude: ["make_reference.py"]),
        .testTarget(
            name: "LogisticTests", dependencies: ["Logistic", "Linalg"], exclude: ["make_reference.py"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "Journeys", "Simulation"]),
        .testTarget(name: "DecisioningTests", dependencies: ["Decisioning", "Logistic", "Linalg", "Simulation", "Journeys"]),
        .testTarget(name: "WaypointScoringTests", dependencies: ["WaypointScoring", "Features", "Logistic", "Markov", "Decisioning", "Journeys", "Simulation"]),
        .testTarget(name: "WaypointCLITests", dependencies: ["waypoint"]),
    ]
)
