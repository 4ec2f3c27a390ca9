// A bundle and a log to score, made in-process: the scoring benchmarks' shared setup.
import Decisioning
import Features
import Foundation
import Journeys
import Simulation
import WaypointScoring

/// A trained scorer, the log it scores and the customers' prepared states.
public struct ScoringFixture: Sendable {
    /// The simulated log (CSV) on disk.
    public let path: String
    public let store: EventStore
    public let attributes: CustomerAttributes
    public let scorer: Scorer
    /// Every customer's state after all its events (what a service holds in memory).
    public let states: [CustomerState]
    /// Just after the last event.
    public let time: Int64

    /// Ten actions: the simulator's five logged ones and five variants never logged (their arms fall back
    /// to the pooled model), so arbitration ranks ten.
    public static let catalogJSON = """
        {
          "contactPolicy": {"channelLimit": {"maxContacts": 2, "windowDays": 7}, "cooldownDays": 2, "weeklyCap": 3},
          "actions": [
            {"id": "email_discount10", "channel": "email", "cost": 4.0, "value": 80},
            {"id": "email_discount20", "channel": "email", "cost": 8.0, "value": 80},
            {"id": "sms_offer", "channel": "sms", "cost": 1.5, "value": 80, "limit": {"maxContacts": 1, "windowDays": 14}},
            {"id": "sms_reminder", "channel": "sms", "cost": 0.5, "value": 80},
            {"id": "push_reminder", "channel": "push", "cost": 0.2, "value": 80, "eligibility": "count_app_90d >= 1"},
            {"id": "push_offer", "channel": "push", "cost": 0.4, "value": 80},
            {"id": "app_coupon", "channel": "app", "cost": 3.0, "value": 80},
            {"id": "app_banner", "channel": "app", "cost": 0.1, "value": 80},
            {"id": "call_retention", "channel": "call_center", "cost": 6.0, "value": 80, "eligibility": "churn_probability > 0.25"},
            {"id": "social_ad", "channel": "social", "cost": 1.0, "value": 80}
          ]
        }
        """

    /// Simulates `customers` customers (seed 7) and trains an order-3 Markov model, churn, conversion and
    /// next-best-action on them.
    public static func make(customers: Int) throws -> ScoringFixture {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-scoring-\(customers).csv").path
        if !FileManager.default.fileExists(atPath: path) {
            var simulation = SimulationConfiguration()
            simulation.customers = customers
            simulation.seed = 7
            let (csv, _) = try Simulator.csv(simulation)
            try Data(csv).write(to: URL(fileURLWithPath: path))
        }
        let store = try EventReader.read(path: path).store
        var configuration = TrainingConfiguration()
        configuration.journeyTimeoutDays = 7
        configuration.markov.order = 3
        configuration.features.categoricalAttributes = ["segment", "region"]
        configuration.features.numericAttributes = ["tenure_days", "customer_value"]
        var nba = TrainingConfiguration.NBASection(catalog: "in memory")
        nba.features = ["segment=", "region=", "tenure_days", "customer_value"]
        configuration.nba = nba
        let attributes = try CustomerAttributes.read(
            path: path, customers: store.customerIDs, numeric: configuration.features.numericAttributes,
            categorical: configuration.features.categoricalAttributes
        ).attributes
        let catalog = try ActionCatalog(json: Data(catalogJSON.utf8))
        let (models, _) = try BundleTrainer.train(store: store, attributes: attributes, configuration: configuration, catalog: catalog)
        let scorer = try Scorer(models: models)
        let time = store.timeRange!.upperBound + 1
        var states: [CustomerState] = []
        states.reserveCapacity(store.customerCount)
        for c in 0..<store.customerCount {
            var state = scorer.newCustomer(store.customerIDs[c], attributes: try attributeStrings(attributes, c, configuration.features))
            for e in store.events(of: c) {
                let action = store.actions.flatMap { $0[e] == 0 ? nil : store.actionNames[Int($0[e]) - 1] }
                try scorer.record(
                    TouchEvent(
                        time: store.timestamps[e], channel: store.channelNames[Int(store.channels[e])],
                        event: store.eventTypeNames[Int(store.eventTypes[e])], value: store.values?[e] ?? 0, action: action),
                    into: &state)
            }
            states.append(state)
        }
        return ScoringFixture(path: path, store: store, attributes: attributes, scorer: scorer, states: states, time: time)
    }

    static func attributeStrings(_ table: CustomerAttributes, _ c: Int, _ configuration: FeatureConfiguration) throws -> [String: String] {
        let values = try table.values(of: c, for: configuration)
        var out: [String: String] = [:]
        for (name, v) in zip(configuration.numericAttributes, values.numeric) where !v.isNaN { out[name] = "\(v)" }
        for (name, v) in zip(configuration.categoricalAttributes, values.categorical) { if let v { out[name] = v } }
        return out
    }
}
