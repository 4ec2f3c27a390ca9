import Foundation
import Journeys
import Testing

@testable import Markov

/// The fast counter (flat hash tables, counting straight from parsed rows) against the path-by-path
/// `add(path:)`, and the fused file pass against reading a table and adding it.
@Suite struct PathCounterTests {
    /// Random rows as a path file (with long runs of one channel, to exercise collapsing) and as tuples.
    static func rows(seed: UInt64, count: Int) -> [(String, Double, Double, Double)] {
        var rng = SplitMix64(seed: seed)
        let channels = ["email", "web", "app", "store", "sms", "a-long-channel-name"]
        return (0..<count).map { _ in
            let length = 1 + rng.below(9)
            var path: [String] = []
            while path.count < length {
                let channel = channels[rng.below(channels.count)]
                for _ in 0..<(1 + rng.below(3)) where path.count < length { path.append(channel) }
            }
            let conversions = Double(rng.below(3))
            return (path.joined(separator: " > "), conversions, conversions * Double(rng.below(100)) / 4, Double(rng.below(3)) + (conversions == 0 ? 1 : 0))
        }
    }

    static func file(_ rows: [(String, Double, Double, Double)]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("counter-\(UUID().uuidString).csv").path
        let text = "path;total_conversions;total_conversion_value;total_null\n" + rows.map { "\($0.0);\($0.1);\($0.2);\($0.3)\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The chain as (state, target state, symbol) → weight by names, plus the endings per state.
    static func edges(_ c: TransitionCounts) -> [String: Double] {
        let names = { (s: Int) in c.configuration.semantics.describe(c.states[s], channelNames: c.channelNames) + "#\(c.states[s].count)" }
        var result: [String: Double] = [:]
        for s in c.states.indices {
            for successor in c.successors[s] {
                result["\(names(s)) -> \(names(Int(successor.target))) by \(successor.symbol == 0 ? "-" : c.channelNames[Int(successor.symbol) - 1])"] = successor.weight
            }
            result["\(names(s)) converts"] = c.conversionWeights[s]
            result["\(names(s)) value"] = c.conversionValues[s]
            result["\(names(s)) nulls"] = c.nullWeights[s]
        }
        return result
    }

    @Test(arguments: [(1, StateSemantics.history), (2, .history), (4, .history), (1, .channelAttribution), (2, .channelAttribution), (3, .channelAttribution), (4, .channelAttribution)])
    func fastCountsEqualPathByPathCounts(order: Int, semantics: StateSemantics) throws {
        let rows = Self.rows(seed: 5, count: 3_000)
        let slow = try counts(rows, order: order, semantics: semantics)
        var fast = try TransitionCounts(configuration: MarkovConfiguration(order: order, semantics: semantics))
        fast.add(try PathTable.read(path: try Self.file(rows)))
        #expect(fast.stateCount == slow.stateCount)
        #expect(fast.channelNames == slow.channelNames)
        #expect(Self.edges(fast) == Self.edges(slow))
        #expect(fast.totalConversions == slow.totalConversions)
        #expect(fast.totalConversionValue == slow.totalConversionValue)
        #expect(fast.totalNulls == slow.totalNulls)
    }

    /// 60,000 rows: above the size at which files are cut into parts and tables into shards.
    @Test(arguments: [(1, StateSemantics.history), (3, .channelAttribution), (4, .channelAttribution)])
    func fusedFilePassEqualsTableAndAdd(order: Int, semantics: StateSemantics) throws {
        let rows = Self.rows(seed: 9, count: 60_000)
        let file = try Self.file(rows)
        let configuration = MarkovConfiguration(order: order, semantics: semantics)
        let table = try PathTable.read(path: file)
        var viaTable = try TransitionCounts(configuration: configuration)
        viaTable.add(table)
        var heuristicsViaTable = HeuristicAttribution(halfLife: 2)
        heuristicsViaTable.add(table)
        var fused = try TransitionCounts(configuration: configuration)
        var heuristics = HeuristicAttribution(halfLife: 2)
        try fused.add(pathsFile: file, heuristics: &heuristics, threads: 3)
        #expect(Self.edges(fused) == Self.edges(viaTable))
        #expect(heuristics.channelNames == heuristicsViaTable.channelNames)
        for (a, b) in zip(heuristics.conversions + heuristics.conversionValues, heuristicsViaTable.conversions + heuristicsViaTable.conversionValues) {
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-9 * max(1, abs(y))) }
        }
        let x = try fused.removalAttribution()
        let y = try viaTable.removalAttribution()
        #expect(abs(x.conversionProbability - y.conversionProbability) < 1e-13)
        // Adding into counts that already hold data merges by name.
        var twice = fused
        try twice.add(pathsFile: file)
        #expect(twice.totalConversions == 2 * fused.totalConversions)
        #expect(Self.edges(twice).count == Self.edges(fused).count)
    }

    /// Block Gauss–Seidel against LU on a chain with self-loops (history semantics keeps repeats) and
    /// one strongly connected block of several states next to single-state blocks.
    @Test func blockSolveMatchesDenseWithSelfLoops() throws {
        let c = try counts([("a > a > b", 1, 5, 2), ("b > b > b", 0, 0, 3), ("a > b > a", 2, 1, 0), ("c", 1, 1, 1), ("c > a", 0, 0, 2)], order: 1)
        let chain = AbsorbingChain(c)
        #expect(chain.blockStarts.count - 1 < c.stateCount)  // a and b share a block
        let dense = try chain.solve([chain.conversion, chain.conversionValue], method: .dense)
        let iterative = try chain.solve([chain.conversion, chain.conversionValue], method: .iterative)
        for (d, i) in zip(dense, iterative) {
            for (x, y) in zip(d, i) { #expect(abs(x - y) < 1e-12) }
        }
        let removed = c.states.map { $0.contains(channel: 0) }
        let d = try chain.solve([chain.conversion], removing: removed, method: .dense)[0]
        let i = try chain.solve([chain.conversion], removing: removed, method: .iterative)[0]
        for (x, y) in zip(d, i) { #expect(abs(x - y) < 1e-12) }
    }
}
