// swift-tools-version: 6.1
// libFuzzer targets for Waypoint's input parsers: the CSV and NDJSON event readers (whole-file and
// sorted-by-customer reads, with and without a reject budget), the model bundle loader and the rule parser.
// Build and run them with scripts/fuzz (CI runs each for a bounded time):
//   swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address
//   Fuzz/.build/debug/FuzzCSVReader -max_total_time=60 CORPUS_DIR Fuzz/Seeds/FuzzCSVReader
import PackageDescription

let package = Package(
    name: "WaypointFuzz",
    dependencies: [.package(name: "Waypoint", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "Journeys", package: "Waypoint")]),
        .executableTarget(name: "FuzzCSVReader", dependencies: ["FuzzSupport", .product(name: "Journeys", package: "Waypoint")]),
        .executableTarget(name: "FuzzNDJSONReader", dependencies: ["FuzzSupport", .product(name: "Journeys", package: "Waypoint")]),
        .executableTarget(
            name: "FuzzBundleLoader",
            dependencies: ["FuzzSupport", .product(name: "WaypointScoring", package: "Waypoint")]),
        .executableTarget(name: "FuzzRuleParser", dependencies: ["FuzzSupport", .product(name: "Decisioning", package: "Waypoint")]),
    ]
)
