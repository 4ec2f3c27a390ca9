import Foundation
import Journeys
import Testing

@testable import Markov

@Suite struct PoissonTests {
    /// Mean and variance of many draws are within 5 standard errors of the Poisson mean (= variance),
    /// on both sides of the switch between the two samplers.
    @Test(arguments: [0.3, 1.0, 4.5, 29.9, 30.1, 75.0, 1234.5, 4197.0, 20000.0])
    func momentsMatch(mean: Double) {
        var rng = SplitMix64(seed: 42)
        let n = 200_000
        var sum = 0.0
        var sumSquares = 0.0
        for _ in 0..<n {
            let k = Double(rng.poisson(mean))
            sum += k
            sumSquares += k * k
        }
        let sampleMean = sum / Double(n)
        let sampleVariance = sumSquares / Double(n) - sampleMean * sampleMean
        let standardError = (mean / Double(n)).squareRoot()
        #expect(abs(sampleMean - mean) < 5 * standardError, "mean \(sampleMean) for \(mean), seed 42")
        #expect(abs(sampleVariance / mean - 1) < 0.03, "variance \(sampleVariance) for \(mean), seed 42")
    }
}

@Suite struct BootstrapTests {
    static func paths() -> WeightedPaths {
        var paths = WeightedPaths()
        paths.appendForTesting([0, 0, 0], conversions: 400, value: 4000, nulls: 1400)
        paths.appendForTesting([1, 0], conversions: 100, value: 500, nulls: 300)
        paths.appendForTesting([1], conversions: 50, value: 50, nulls: 500)
        paths.appendForTesting([2, 1], conversions: 1, value: 1, nulls: 3)
        return paths
    }

    /// The intervals hold the point estimates, and their width matches the Poisson noise of the
    /// counts: channel c0's credit moves with the 550 conversions, sd ≈ √550 ≈ 23 at least.
    @Test func intervalsHoldTheEstimateAndHaveTheRightWidth() throws {
        let paths = Self.paths()
        let configuration = MarkovConfiguration(order: 1)
        let point = try paths.counts(configuration).removalAttribution()
        let intervals = try paths.bootstrapRemovalAttribution(configuration: configuration, replicates: 400, seed: 3)
        for channel in point.channels {
            let ci = try #require(intervals.conversions[channel.channel])
            #expect(ci.lower <= channel.conversions && channel.conversions <= ci.upper, "\(channel.channel), seed 3")
            let re = try #require(intervals.removalEffect[channel.channel])
            #expect(re.lower <= channel.removalEffect && channel.removalEffect <= re.upper, "\(channel.channel), seed 3")
        }
        let c0 = try #require(intervals.conversions["c0"])
        #expect(c0.upper - c0.lower > 40, "interval too narrow, seed 3")
        #expect(c0.upper - c0.lower < 150, "interval too wide, seed 3")
    }

    /// Replicates draw from unrelated streams: no shared outputs in their first 10,000 draws.
    @Test func replicateStreamsDoNotOverlap() {
        var a = SplitMix64.replicate(0, of: 1)
        var b = SplitMix64.replicate(1, of: 1)
        let first = Set((0..<10_000).map { _ in a.next() })
        #expect((0..<10_000).allSatisfy { _ in !first.contains(b.next()) })
    }

    @Test func sameSeedSameIntervalsWhateverTheThreads() throws {
        let configuration = MarkovConfiguration(order: 2)
        let one = try Self.paths().bootstrapRemovalAttribution(configuration: configuration, replicates: 50, seed: 9, threads: 1)
        let two = try Self.paths().bootstrapRemovalAttribution(configuration: configuration, replicates: 50, seed: 9, threads: 2)
        #expect(one.conversions == two.conversions)
        #expect(one.removalEffect == two.removalEffect)
    }

    @Test func tooFewReplicatesIsAnError() {
        #expect(throws: MarkovError.self) {
            try Self.paths().bootstrapRemovalAttribution(configuration: MarkovConfiguration(), replicates: 1)
        }
    }
}

@Suite struct BootstrapSmallDataTests {
    /// Two journeys: some replicate draws none; the error says the data are too small.
    @Test func tooSmallForABootstrap() throws {
        var paths = WeightedPaths()
        paths.appendForTesting([0], conversions: 1, value: 0, nulls: 0)
        paths.appendForTesting([1], conversions: 0, value: 0, nulls: 1)
        let error = try #require(throws: MarkovError.self) {
            try paths.bootstrapRemovalAttribution(configuration: MarkovConfiguration(), replicates: 200, seed: 1)
        }
        #expect(error.message.contains("too small for a bootstrap"))
    }
}
