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

    // The service path: one score refilled customer after customer. Allocates nothing once warm; CI holds
    // that with the static threshold in Thresholds/ (mallocCountTotal 0). The name has no spaces because
    // package-benchmark 1.x writes threshold files with spaces turned into underscores but looks them up
    // by the name as it is.
    Benchmark("score_one_prepared_customer_into_a_reused_score", configuration: .init(scalingFactor: .kilo)) { benchmark, fixture in
        var score = fixture.scorer.score(fixture.states[0], at: fixture.time)
        for state in fixture.states.prefix(2_000) { fixture.scorer.score(state, at: fixture.time, into: &score) }  // warm-up
        var k = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            fixture.scorer.score(fixture.states[k], at: fixture.time, into: &score)
            k = k + 1 == fixture.states.count ? 0 : k + 1
        }
        benchmark.stopMeasurement()
        blackHole(score)
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
