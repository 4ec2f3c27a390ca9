// Scoring: one customer from a prepared state (what a service does per request), and a batch of every
// customer of a log held in memory. The bundle: order-3 Markov model, churn, conversion, 10 actions.
import Benchmark
import BenchmarkFixtures
import WaypointScoring

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal], maxDuration: .seconds(10))

    Benchmark("score one prepared customer", configuration: .init(scalingFactor: .kilo)) { benchmark, fixture in
        var k = 0
        for _ in benchmark.scaledIterations {
            blackHole(fixture.scorer.score(fixture.states[k], at: fixture.time))
            k = k + 1 == fixture.states.count ? 0 : k + 1
        }
    } setup: {
        try ScoringFixture.make(customers: 20_000)
    }

    Benchmark("score every customer of a 20k-customer log (batch, all cores)", configuration: .init(maxIterations: 5)) { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.scorer.scoreAll(fixture.store, attributes: fixture.attributes, at: fixture.time).scores.count)
        }
    } setup: {
        try ScoringFixture.make(customers: 20_000)
    }
}
