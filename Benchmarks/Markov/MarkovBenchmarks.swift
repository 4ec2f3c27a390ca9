// Markov attribution: parsing an aggregated-path file, fitting order-k counts, the exact removal-effect
// solve, and the fused file-to-counts pass the CLI uses. The input is generated in setup with the shape
// of Benchmarks/compare/generate_paths.py (12 channels, a planted order-2 chain with a per-history
// chance to end, conversion growing with touches on channels 0-2), written once to a temporary file.
import Benchmark
import Foundation
import Journeys
import Markov

/// Writes `count` path rows (`path;total_conversions;total_conversion_value;total_null`) and returns the path.
func makePaths(_ count: Int) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-bench-paths-\(count).csv").path
    if FileManager.default.fileExists(atPath: path) { return path }
    var state: UInt64 = 7
    func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
    let c = 12
    let names = (0..<c).map { "ch" + ($0 < 10 ? "0" : "") + String($0) }
    // P(next | previous two): skewed rows; chance to end per history between 0.15 and 0.35.
    let table = (0..<(c * c)).map { _ -> [Double] in
        let w = (0..<c).map { _ in pow(uniform(), 2.0) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }
    let end = (0..<(c * c)).map { _ in 0.15 + 0.2 * uniform() }
    func draw(_ p: [Double]) -> Int {
        var u = uniform()
        for (i, x) in p.enumerated() {
            u -= x
            if u < 0 { return i }
        }
        return p.count - 1
    }
    var text = "path;total_conversions;total_conversion_value;total_null\n"
    text.reserveCapacity(count * 34)
    for _ in 0..<count {
        let first = draw(Array(repeating: 1.0 / Double(c), count: c))
        var (previous2, previous1) = (first, first)
        var steps = [previous1]
        while steps.count < 30 && uniform() > end[previous2 * c + previous1] {
            let next = draw(table[previous2 * c + previous1])
            steps.append(next)
            (previous2, previous1) = (previous1, next)
        }
        let strong = steps.filter { $0 < 3 }.count
        let converted = uniform() < 1 - exp(-0.15 * Double(1 + strong))
        let value = converted ? (20 + 40 * uniform() * 100).rounded() / 100 : 0
        text += steps.map { names[$0] }.joined(separator: " > ")
        text += converted ? ";1;\(value);0\n" : ";0;0;1\n"
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

let rows = 250_000

/// Counts of the generated paths, for the attribution benchmarks.
func fitted(_ configuration: MarkovConfiguration) throws -> TransitionCounts {
    var counts = try TransitionCounts(configuration: configuration)
    counts.add(try PathTable.read(path: makePaths(rows)))
    return counts
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
        maxDuration: .seconds(10), maxIterations: 10)

    Benchmark("parse 250k paths (PathTable.read)", configuration: .init(scalingFactor: .one)) { benchmark, path in
        for _ in benchmark.scaledIterations {
            blackHole(try PathTable.read(path: path).count)
        }
    } setup: {
        makePaths(rows)
    }

    for order in 1...4 {
        let configuration = MarkovConfiguration(order: order, semantics: .channelAttribution)
        Benchmark("fit order \(order), 250k paths (TransitionCounts.add)", configuration: .init(scalingFactor: .one)) { benchmark, table in
            for _ in benchmark.scaledIterations {
                var counts = try TransitionCounts(configuration: configuration)
                counts.add(table)
                blackHole(counts.stateCount)
            }
        } setup: {
            try PathTable.read(path: makePaths(rows))
        }

        Benchmark("attribution order \(order), 250k paths (removalAttribution)", configuration: .init(scalingFactor: .one)) { benchmark, counts in
            for _ in benchmark.scaledIterations {
                blackHole(try counts.removalAttribution().conversionProbability)
            }
        } setup: {
            try fitted(configuration)
        }

        Benchmark("file to attribution order \(order), 250k paths (add(pathsFile:heuristics:) + solve)", configuration: .init(scalingFactor: .one)) { benchmark, path in
            for _ in benchmark.scaledIterations {
                var counts = try TransitionCounts(configuration: configuration)
                var heuristics = HeuristicAttribution(halfLife: 1)
                try counts.add(pathsFile: path, heuristics: &heuristics)
                blackHole(try counts.removalAttribution().conversionProbability)
            }
        } setup: {
            makePaths(rows)
        }
    }
}
