// Side-by-side scoring measurements for Benchmarks/compare/scoring.sh (release build):
//   ScoringLatency CUSTOMERS FEATURES_CSV
// prints one JSON object: per-customer latency of Scorer.score on prepared states (p50, p99, ns), fresh and
// into a reused score,
// batch throughput from prepared states (all cores) and from the raw CSV (read + replay + score, in memory
// and streamed by customer), and
// writes the churn model's feature vectors of 2,000 customers to FEATURES_CSV so the peer can be timed
// on the same features.
import BenchmarkFixtures
import Dispatch
import Features
import Foundation
import Journeys
import WaypointScoring

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func measure() throws {
    let arguments = CommandLine.arguments
    guard arguments.count == 3, let customers = Int(arguments[1]) else {
        FileHandle.standardError.write(Data("usage: ScoringLatency CUSTOMERS FEATURES_CSV\n".utf8))
        exit(2)
    }
    let fixture = try ScoringFixture.make(customers: customers)
    let scorer = fixture.scorer

    /// p50 and p99 of `body` timed alone on each prepared customer (3 passes, the first discarded).
    func latency(_ body: (Int) -> Double) -> (UInt64, UInt64) {
        var times: [UInt64] = []
        var sink = 0.0
        for pass in 0..<3 {
            for k in fixture.states.indices {
                let start = now()
                sink += body(k)
                let elapsed = now() - start
                if pass > 0 { times.append(elapsed) }
            }
        }
        if sink.isNaN { print("") }
        times.sort()
        return (times[times.count / 2], times[min(times.count - 1, Int(0.99 * Double(times.count)))])
    }

    // Latency of the whole recommendation, each call timed alone. The fresh score is released after the
    // clock stops (kept alive past it), as before this path had a reusing twin.
    var samples: [UInt64] = []
    for pass in 0..<3 {
        for state in fixture.states {
            let start = now()
            let score = scorer.score(state, at: fixture.time)
            let elapsed = now() - start
            withExtendedLifetime(score) {}
            if pass > 0 { samples.append(elapsed) }
        }
    }
    samples.sort()
    func quantile(_ q: Double) -> UInt64 { samples[min(samples.count - 1, Int(q * Double(samples.count)))] }
    // The service path: the same scores refilled into one reused `CustomerScore` (no allocation once warm).
    var reused = scorer.score(fixture.states[0], at: fixture.time)
    let (reusedP50, reusedP99) = latency {
        scorer.score(fixture.states[$0], at: fixture.time, into: &reused)
        return reused.journeyEndProbability
    }
    // The peer's task: P(churn) of one ready feature vector.
    let churn = scorer.models.churn!
    let vectors = fixture.states.map { scorer.modelFeatures($0, at: fixture.time) }
    let modelOnly = latency { churn.probability(vectors[$0]) }
    // Features built from the customer's state, then the model.
    let featuresAndModel = latency { churn.probability(scorer.modelFeatures(fixture.states[$0], at: fixture.time)) }

    // Batch from prepared states: all cores, deterministic order.
    let threads = ProcessInfo.processInfo.activeProcessorCount
    var best = Double.infinity
    for _ in 0..<3 {
        let start = now()
        let chunk = (fixture.states.count + threads - 1) / threads
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            for k in (w * chunk)..<min(fixture.states.count, (w + 1) * chunk) { withExtendedLifetime(scorer.score(fixture.states[k], at: fixture.time)) {} }
        }
        best = min(best, Double(now() - start) / 1e9)
    }
    let preparedRate = Double(fixture.states.count) / best

    // Reading alone, on the same file: the ingestion rate the end-to-end rate is held against.
    var bestRead = Double.infinity
    for _ in 0..<3 {
        let start = now()
        let store = try EventReader.read(path: fixture.path).store
        withExtendedLifetime(store) {}
        bestRead = min(bestRead, Double(now() - start) / 1e9)
    }

    // End to end from the raw CSV: read (the declared attribute columns along with the events, in one
    // pass), replay every customer, score: what `waypoint score` does, minus writing the output.
    var readOptions = EventReaderOptions()
    readOptions.attributeColumns = scorer.attributeNames.numeric.map { AttributeColumn(name: $0, isNumeric: true) }
        + scorer.attributeNames.categorical.map { AttributeColumn(name: $0, isNumeric: false) }
    var bestRaw = Double.infinity
    var events = 0
    for _ in 0..<3 {
        let start = now()
        let store = try EventReader.read(path: fixture.path, options: readOptions).store
        let table = CustomerAttributes(store.attributes!, customerCount: store.customerCount)
        let (scores, _) = try scorer.scoreAll(store, attributes: table, at: fixture.time)
        withExtendedLifetime(scores) {}
        events = store.count
        bestRaw = min(bestRaw, Double(now() - start) / 1e9)
    }

    // The same, streamed a batch of customers at a time (`waypoint score --sorted`; the simulator writes
    // each customer's rows together, in ascending id order).
    var bestStreamed = Double.infinity
    for _ in 0..<3 {
        let start = now()
        var scored = 0
        _ = try EventReader.readByCustomer(path: fixture.path, options: readOptions) { batch in
            let table = CustomerAttributes(batch.attributes!, customerCount: batch.customerCount)
            scored += try scorer.scoreAll(batch, attributes: table, at: fixture.time).scores.count
        }
        precondition(scored > 0, "nothing scored")
        bestStreamed = min(bestStreamed, Double(now() - start) / 1e9)
    }

    // The same features for the peer: model-ready vectors of the first 2,000 customers.
    var vector: [Double] = []
    var csv = ""
    let schema = scorer.models.features!
    csv += schema.featureNames.map { "\"\($0)\"" }.joined(separator: ",") + "\n"
    for state in fixture.states.prefix(2000) {
        vector = scorer.modelFeatures(state, at: fixture.time)
        csv += vector.map { "\($0)" }.joined(separator: ",") + "\n"
    }
    try csv.write(toFile: arguments[2], atomically: true, encoding: .utf8)

    print("""
        {"customers": \(fixture.states.count), "events": \(events), "features": \(schema.featureCount), "threads": \(threads), \
        "p50_ns": \(quantile(0.5)), "p99_ns": \(quantile(0.99)), "reused_p50_ns": \(reusedP50), "reused_p99_ns": \(reusedP99), "model_p50_ns": \(modelOnly.0), "model_p99_ns": \(modelOnly.1), \
        "features_model_p50_ns": \(featuresAndModel.0), "features_model_p99_ns": \(featuresAndModel.1), "prepared_customers_per_s": \(Int(preparedRate)), \
        "raw_csv_seconds": \(bestRaw), "raw_csv_customers_per_s": \(Int(Double(fixture.states.count) / bestRaw)), \
        "raw_csv_events_per_s": \(Int(Double(events) / bestRaw)), "read_only_seconds": \(bestRead), \
        "read_only_events_per_s": \(Int(Double(events) / bestRead)), "streamed_seconds": \(bestStreamed), \
        "streamed_events_per_s": \(Int(Double(events) / bestStreamed))}
        """)
}

try measure()
