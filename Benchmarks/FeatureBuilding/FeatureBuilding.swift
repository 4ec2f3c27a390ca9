// Feature building: fitting the feature schema on rolling snapshots (3 cutoffs) and building held-out
// rows with it, from a simulated log of 20,000 customers (about 560k events) held in memory.
import Benchmark
import Features
import Foundation
import Journeys
import Simulation

struct FeatureInput: Sendable {
    let store: EventStore
    let attributes: CustomerAttributes
    let configuration: FeatureConfiguration
    let cutoffs: [Int64]
}

func makeFeatureInput() throws -> FeatureInput {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-features-20000.csv").path
    if !FileManager.default.fileExists(atPath: path) {
        var simulation = SimulationConfiguration()
        simulation.customers = 20_000
        simulation.seed = 7
        try Data(try Simulator.csv(simulation).csv).write(to: URL(fileURLWithPath: path))
    }
    let store = try EventReader.read(path: path).store
    var configuration = FeatureConfiguration()
    configuration.categoricalAttributes = ["segment", "region"]
    configuration.numericAttributes = ["tenure_days", "customer_value"]
    let attributes = try CustomerAttributes.read(
        path: path, customers: store.customerIDs, numeric: configuration.numericAttributes,
        categorical: configuration.categoricalAttributes
    ).attributes
    let day: Int64 = 86_400_000_000
    let last = (store.timeRange!.upperBound - 30 * day) / day * day
    return FeatureInput(store: store, attributes: attributes, configuration: configuration, cutoffs: [last - 28 * day, last - 14 * day, last])
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 10)

    Benchmark("fit the feature schema on 3 cutoffs, 20k customers (churn label)") { benchmark, input in
        for _ in benchmark.scaledIterations {
            let (schema, snapshot) = try FeatureSchema.fit(
                store: input.store, attributes: input.attributes, configuration: input.configuration,
                cutoffs: input.cutoffs, label: .churn(horizon: 30 * 86_400_000_000, lookback: 60 * 86_400_000_000, churnEvent: nil))
            blackHole((schema.featureCount, snapshot.rows.count))
        }
    } setup: {
        try makeFeatureInput()
    }

    Benchmark("build rows with a fitted schema at 1 cutoff, 20k customers") { benchmark, input in
        let label = LabelDefinition.conversion(horizon: 14 * 86_400_000_000)
        let (schema, _) = try FeatureSchema.fit(
            store: input.store, attributes: input.attributes, configuration: input.configuration,
            cutoffs: Array(input.cutoffs.prefix(2)), label: label)
        for _ in benchmark.scaledIterations {
            let rows = try Snapshot.build(store: input.store, attributes: input.attributes, schema: schema, cutoffs: [input.cutoffs[2]], label: label)
            blackHole(rows.features.count)
        }
    } setup: {
        try makeFeatureInput()
    }
}
