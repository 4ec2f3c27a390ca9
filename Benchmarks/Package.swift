// swift-tools-version: 6.1
// Benchmarks for Waypoint's hot paths (package-benchmark). Run from this folder:
//   swift package benchmark                      # all suites
//   swift package benchmark --target Ingestion   # one suite
//   swift package benchmark --target LogisticFits --target BLASCeiling   # logistic fits and the dgemm ceiling
// Wall-clock numbers are for people; compare them only within one run (see ../Benchmarks/README.md).
import PackageDescription

let package = Package(
    name: "WaypointBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Waypoint", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Ingestion",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Journeys", package: "Waypoint"),
            ],
            path: "Ingestion",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LogisticFits",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Linalg", package: "Waypoint"),
                .product(name: "Logistic", package: "Waypoint"),
            ],
            path: "Logistic",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "BLASCeiling",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Linalg", package: "Waypoint"),
            ],
            path: "BLASCeiling",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MarkovAttribution",  // not "Markov": that is the library module it benchmarks
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Journeys", package: "Waypoint"),
                .product(name: "Markov", package: "Waypoint"),
            ],
            path: "Markov",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "FeatureBuilding",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Features", package: "Waypoint"),
                .product(name: "Journeys", package: "Waypoint"),
                .product(name: "Simulation", package: "Waypoint"),
            ],
            path: "FeatureBuilding",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "Decisioning", package: "Waypoint"),
                .product(name: "Features", package: "Waypoint"),
                .product(name: "Journeys", package: "Waypoint"),
                .product(name: "Simulation", package: "Waypoint"),
                .product(name: "WaypointScoring", package: "Waypoint"),
            ],
            path: "BenchmarkFixtures"
        ),
        .executableTarget(
            name: "Scoring",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WaypointScoring", package: "Waypoint"),
            ],
            path: "Scoring",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Not package-benchmark suites: ScoringLatency prints JSON for compare/scoring.sh (latency
        // quantiles per call); ScoringProfile loops one phase of scoring for `perf record`.
        scoringTool("ScoringLatency"),
        scoringTool("ScoringProfile"),
    ]
)

/// An executable over the scoring fixture, in the folder of its name.
func scoringTool(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "BenchmarkFixtures",
            .product(name: "Features", package: "Waypoint"),
            .product(name: "Journeys", package: "Waypoint"),
            .product(name: "WaypointScoring", package: "Waypoint"),
        ],
        path: name)
}
