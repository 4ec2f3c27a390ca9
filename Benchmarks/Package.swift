// swift-tools-version: 6.1
// Benchmarks for Waypoint's hot paths (package-benchmark). Run from this folder:
//   swift package benchmark                      # all suites
//   swift package benchmark --target Ingestion   # one suite
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
            name: "BLASCeiling",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Linalg", package: "Waypoint"),
            ],
            path: "BLASCeiling",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
