import Decisioning
import Features
import Foundation
import Journeys
import Simulation
import Testing

@testable import WaypointScoring

/// Trains once on a simulated log and shares the result between tests.
enum Trained {
    struct Fixture: Sendable {
        var path: String
        var store: EventStore
        var attributes: CustomerAttributes
        var models: TrainedModels
        var report: TrainingReport
    }

    static let configurationJSON = """
        {
          "journeyTimeoutDays": 7,
          "markov": {"order": 2},
          "features": {"categoricalAttributes": ["segment", "region"], "numericAttributes": ["tenure_days", "customer_value"]},
          "snapshots": {"count": 3, "spacingDays": 14},
          "churn": {"horizonDays": 30, "lookbackDays": 60},
          "conversionModel": {"horizonDays": 14},
          "nba": {"catalog": "in memory", "horizonDays": 14, "features": ["segment=", "region=", "tenure_days", "customer_value"]}
        }
        """

    static let catalogJSON = """
        {
          "contactPolicy": {"channelLimit": {"maxContacts": 2, "windowDays": 7}, "cooldownDays": 2, "weeklyCap": 3},
          "actions": [
            {"id": "email_discount10", "channel": "email", "cost": 4.0, "value": 80},
            {"id": "sms_offer", "channel": "sms", "cost": 1.5, "value": 80, "limit": {"maxContacts": 1, "windowDays": 14}},
            {"id": "push_reminder", "channel": "push", "cost": 0.2, "value": 80, "eligibility": "count_app_90d >= 1"},
            {"id": "app_coupon", "channel": "app", "cost": 3.0, "value": 80},
            {"id": "call_retention", "channel": "call_center", "cost": 6.0, "value": 80, "eligibility": "churn_probability > 0.25"}
          ]
        }
        """

    static let fixture: Result<Fixture, any Error> = Result {
        var simulation = SimulationConfiguration()
        simulation.customers = 600
        simulation.seed = 11
        let (csv, _) = try Simulator.csv(simulation, threads: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scorer-\(UUID().uuidString).csv").path
        try Data(csv).write(to: URL(fileURLWithPath: path))
        let store = try EventReader.read(path: path).store
        let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(configurationJSON.utf8))
        let attributes = try CustomerAttributes.read(
            path: path, customers: store.customerIDs, numeric: configuration.features.numericAttributes,
            categorical: configuration.features.categoricalAttributes
        ).attributes
        let catalog = try ActionCatalog(json: Data(catalogJSON.utf8))
        let (models, report) = try BundleTrainer.train(store: store, attributes: attributes, configuration: configuration, catalog: catalog)
        return Fixture(path: path, store: store, attributes: attributes, models: models, report: report)
    }

    static func get() throws -> Fixture { try fixture.get() }

    /// Event `e` of `store` as a service would record it.
    static func touchEvent(_ store: EventStore, _ e: Int) -> TouchEvent {
        TouchEvent(
            time: store.timestamps[e], channel: store.channelNames[Int(store.channels[e])],
            event: store.eventTypeNames[Int(store.eventTypes[e])], value: store.values?[e] ?? 0,
            action: store.actions.flatMap { $0[e] == 0 ? nil : store.actionNames[Int($0[e]) - 1] })
    }

    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)").path
    }
}

@Suite struct ScorerTests {
    /// A rule naming a feature the schema lacks stops training right after the schema, before any model is
    /// fitted, naming the action, the column and the name.
    @Test func aCatalogRuleOnAnUnknownFeatureFailsBeforeAnyFit() throws {
        let fixture = try Trained.get()
        let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(Trained.configurationJSON.utf8))
        let catalog = try ActionCatalog(json: Data(Trained.catalogJSON.replacingOccurrences(of: "count_app_90d >= 1", with: "count_ap_90d >= 1").utf8))
        var steps: [String] = []
        var caught: TrainingError?
        do {
            _ = try BundleTrainer.train(
                store: fixture.store, attributes: fixture.attributes, configuration: configuration, catalog: catalog,
                progress: { steps.append($0) })
        } catch let error as TrainingError {
            caught = error
        }
        let error = try #require(caught, "training with a bad rule must fail")
        #expect(error.message.contains("action 'push_reminder', field 'eligibility', column 1: unknown name 'count_ap_90d'"), "\(error)")
        #expect(steps.last?.hasPrefix("features:") == true, "no model fitted after the schema: \(steps)")
    }

    /// Train → bundle → load gives the same scores, bit for bit, as the models in memory.
    @Test func bundleRoundTripScoresBitForBit() throws {
        let f = try Trained.get()
        let dir = Trained.temporaryFolder()
        try ModelBundle.write(try f.models.bundleFiles(), manifest: BundleManifest(waypointVersion: "test"), to: dir)
        let loaded = try Scorer(bundle: dir)
        let memory = try Scorer(models: f.models)
        let end = f.store.timeRange!.upperBound + 1
        let (a, reportA) = try memory.scoreAll(f.store, attributes: f.attributes, at: end)
        let (b, reportB) = try loaded.scoreAll(f.store, attributes: f.attributes, at: end)
        #expect(a.count == f.store.customerCount)
        #expect(a == b)
        #expect(reportA == reportB)
        // The files themselves: encoding the loaded models gives the same bytes.
        #expect(try loaded.models.bundleFiles() == f.models.bundleFiles())
    }

    /// A service feeding events one by one gets the batch scorer's answer, at any time.
    @Test func eventByEventEqualsBatch() throws {
        let f = try Trained.get()
        let scorer = try Scorer(models: f.models)
        let times = [f.store.timeRange!.upperBound + 1, f.store.timeRange!.lowerBound + 90 * 86_400_000_000]
        let lines = try String(contentsOfFile: f.path, encoding: .utf8).split(separator: "\n").dropFirst()
        // Attribute strings per customer from the CSV (last non-empty value wins, as the table reader does).
        var attributes: [String: [String: String]] = [:]
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for (name, index) in [("segment", 7), ("region", 8), ("tenure_days", 9), ("customer_value", 10)] where !fields[index].isEmpty {
                attributes[fields[0], default: [:]][name] = fields[index]
            }
        }
        for time in times {
            let (batch, _) = try scorer.scoreAll(f.store, attributes: f.attributes, at: time)
            let byID = Dictionary(uniqueKeysWithValues: batch.map { ($0.customerID, $0) })
            for c in stride(from: 0, to: f.store.customerCount, by: 37) {
                let id = f.store.customerIDs[c]
                var state = scorer.newCustomer(id, attributes: attributes[id] ?? [:])
                for e in f.store.events(of: c) where f.store.timestamps[e] < time {
                    try scorer.record(Trained.touchEvent(f.store, e), into: &state)
                }
                if state.events == 0 {
                    #expect(byID[id] == nil)
                } else {
                    #expect(scorer.score(state, at: time) == byID[id])
                }
            }
        }
    }

    /// The scorer looks journeys up by channel number; the models' public lookups by name must agree,
    /// field for field, at a time when most journeys are open and at one when they have ended.
    @Test func markovFieldsEqualTheLookupsByName() throws {
        let f = try Trained.get()
        let scorer = try Scorer(models: f.models)
        let next = f.models.markov.nextChannel
        let table = try f.models.markov.conversionTable()
        let last = f.store.timeRange!.upperBound
        var checked = 0
        for time in [last - 3 * 86_400_000_000, last + 1, last + 30 * 86_400_000_000] {
            for c in 0..<f.store.customerCount {
                var state = CustomerState(
                    customerID: f.store.customerIDs[c], history: CustomerHistory(schema: scorer.schema),
                    attributes: try f.attributes.values(of: c, for: scorer.schema.configuration))
                for e in f.store.events(of: c) where f.store.timestamps[e] < time {
                    try state.history.record(
                        time: f.store.timestamps[e], channel: scorer.schema.channelIndex(of: f.store.channelNames[Int(f.store.channels[e])]),
                        event: 0, value: 0, action: nil)
                }
                guard state.events > 0 else { continue }
                let path = state.history.currentJourneyChannelNames(at: time)
                let score = scorer.score(state, at: time)
                #expect(score.nextChannels.map(\.channel) == next.probabilities(after: path).prefix(3).map(\.channel))
                #expect(score.nextChannels.map(\.probability) == next.probabilities(after: path).prefix(3).map(\.probability))
                #expect(score.journeyEndProbability == next.endProbability(after: path))
                #expect(score.nextTouchMedian == (path.isEmpty ? nil : next.gapQuantiles(after: path)?.p50))
                #expect(score.journeyConversionProbability == table.probability(after: path).probability)
                #expect(score.journeyStateKnown == table.probability(after: path).known)
                #expect(score.bestNextChannel == table.channelAdvice(after: path).first)
                checked += path.isEmpty ? 0 : 1
            }
        }
        #expect(checked > 100)  // open journeys, not only empty paths
    }

    @Test func scoresAreProbabilities() throws {
        let f = try Trained.get()
        let (scores, report) = try Scorer(models: f.models).scoreAll(f.store, attributes: f.attributes, at: f.store.timeRange!.upperBound + 1)
        #expect(report.customers == report.scored + report.withoutHistory)
        #expect(report.eventsUsed == f.store.count)
        for s in scores {
            for p in [s.churnProbability!, s.conversionProbability!, s.journeyConversionProbability, s.journeyEndProbability] {
                #expect(p >= 0 && p <= 1)
            }
            #expect(abs(s.nextChannels.map(\.probability).reduce(0, +) - 1) < 1e-9 || s.nextChannels.count < f.models.markov.chain.channelNames.count)
            #expect(s.churnReasons.count <= 3 && !s.churnReasons.isEmpty)
        }
    }

    /// Every batch recommendation respects the catalog's rules, contact limits and suppressions.
    /// Workers write scores straight into the result: any thread count gives the same scores in store
    /// order and the same counts, early (many customers without history) and late.
    @Test func scoreAllIsTheSameOnAnyThreadCount() throws {
        let f = try Trained.get()
        let scorer = try Scorer(models: f.models)
        for time in [f.store.timeRange!.lowerBound + 20 * 86_400_000_000, f.store.timeRange!.upperBound + 1] {
            let (one, oneReport) = try scorer.scoreAll(f.store, attributes: f.attributes, at: time, threads: 1)
            #expect(oneReport.customers == f.store.customerCount)
            #expect(oneReport.scored == one.count && oneReport.scored + oneReport.withoutHistory == oneReport.customers)
            #expect(one.map(\.customerID) == f.store.customerIDs.filter { id in one.contains { $0.customerID == id } })
            for threads in [2, 3, 8] {
                let (many, report) = try scorer.scoreAll(f.store, attributes: f.attributes, at: time, threads: threads)
                #expect(many == one)
                #expect(report == oneReport)
            }
        }
    }

    /// A service's path: one `CustomerScore` refilled customer after customer (ranked and blocked lists
    /// growing and shrinking between them) says exactly what a fresh score says.
    @Test func scoringIntoAReusedScoreEqualsAFreshScore() throws {
        let f = try Trained.get()
        let scorer = try Scorer(models: f.models)
        let times = [f.store.timeRange!.upperBound + 1, f.store.timeRange!.lowerBound + 100 * 86_400_000_000]
        var states: [CustomerState] = []
        for c in 0..<f.store.customerCount {
            var state = CustomerState(
                customerID: f.store.customerIDs[c], history: CustomerHistory(schema: scorer.schema),
                attributes: try f.attributes.values(of: c, for: scorer.schema.configuration))
            for e in f.store.events(of: c) where f.store.timestamps[e] < times[0] {
                try scorer.record(Trained.touchEvent(f.store, e), into: &state)
            }
            if state.events > 0 { states.append(state) }
        }
        var reused = scorer.score(states[0], at: times[0])
        var rankedCounts = Set<Int>()
        for (k, state) in states.enumerated() {
            let time = times[k % 2]  // alternate, so consecutive customers differ more
            scorer.score(state, at: time, topChannels: 1 + k % 3, into: &reused)
            let fresh = scorer.score(state, at: time, topChannels: 1 + k % 3)
            #expect(reused == fresh, "customer \(state.customerID)")
            rankedCounts.insert(fresh.recommendation!.ranked.count)
        }
        #expect(rankedCounts.count > 1)  // the reused lists really changed length
        #expect(states.count > 500)
        // A service that reloads its bundle keeps its score: here a catalog in the reverse order, with one
        // rule dropped and one channel changed, so the same ranks now hold other strings.
        var reloaded = f.models
        reloaded.catalog = try ActionCatalog(
            json: Data(
                """
                {
                  "contactPolicy": {"channelLimit": {"maxContacts": 2, "windowDays": 7}, "cooldownDays": 2, "weeklyCap": 3},
                  "actions": [
                    {"id": "call_retention", "channel": "call_center", "cost": 6.0, "value": 80, "eligibility": "churn_probability > 0.25"},
                    {"id": "app_coupon", "channel": "web", "cost": 3.0, "value": 80},
                    {"id": "push_reminder", "channel": "push", "cost": 0.2, "value": 80},
                    {"id": "sms_offer", "channel": "sms", "cost": 1.5, "value": 80, "limit": {"maxContacts": 1, "windowDays": 14}},
                    {"id": "email_discount10", "channel": "email", "cost": 4.0, "value": 80}
                  ]
                }
                """.utf8))
        let other = try Scorer(models: reloaded)
        for state in states.prefix(200) {
            scorer.score(state, at: times[0], into: &reused)  // the same customer just before the reload
            other.score(state, at: times[0], into: &reused)
            #expect(reused == other.score(state, at: times[0]), "customer \(state.customerID) after the reload")
        }
    }

    @Test func recommendationsKeepEveryRule() throws {
        let f = try Trained.get()
        let scorer = try Scorer(models: f.models)
        let catalog = try #require(f.models.catalog)
        var checked = 0
        for time in [f.store.timeRange!.upperBound + 1, f.store.timeRange!.lowerBound + 100 * 86_400_000_000] {
            let (scores, _) = try scorer.scoreAll(f.store, attributes: f.attributes, at: time)
            for s in scores {
                let r = try #require(s.recommendation)
                #expect(r.ranked.contains { $0.actionID == "none" })
                // "none" is first exactly when no candidate has a positive expected gain.
                let paying = r.ranked.filter { $0.actionID != "none" && $0.expectedIncrementalValue > 0 }
                #expect((r.best.actionID == "none") == paying.isEmpty)
                for a in r.ranked where a.actionID != "none" {
                    let action = try #require(catalog.action(id: a.actionID))
                    if a.actionID == "call_retention" { #expect(s.churnProbability! > 0.25) }
                    #expect(abs(a.expectedIncrementalValue - (a.uplift * action.value - action.cost)) < 1e-12)
                    checked += 1
                }
                #expect(Set(r.ranked.map(\.actionID)).isDisjoint(with: r.blocked.map(\.actionID)))
                #expect(r.ranked.count + r.blocked.count == catalog.actions.count + 1)
            }
        }
        #expect(checked > 1000)
    }

    /// A customer who unsubscribed from email is never offered the email action; one contacted by sms
    /// is not offered sms again within its 14-day limit.
    @Test func suppressionAndLimitsFollowTheEvents() throws {
        let scorer = try Scorer(models: try Trained.get().models)
        let t0: Int64 = 1_714_000_000_000_000
        var state = scorer.newCustomer("z", attributes: ["segment": "deal_seeker", "region": "north", "tenure_days": "100", "customer_value": "90"])
        try scorer.record(TouchEvent(time: t0, channel: "email", event: "unsubscribe"), into: &state)
        try scorer.record(TouchEvent(time: t0 + 1_000_000, channel: "sms", event: "view", action: "sms_offer"), into: &state)
        #expect(state.suppressedChannels == ["email"])
        #expect(state.contacts.map(\.actionID) == ["sms_offer"])
        let soon = scorer.score(state, at: t0 + 5 * 86_400_000_000).recommendation!
        #expect(soon.blocked.contains { $0.actionID == "email_discount10" })
        #expect(soon.blocked.contains { $0.actionID == "sms_offer" })
        #expect(!soon.ranked.contains { $0.actionID == "email_discount10" || $0.actionID == "sms_offer" })
        // After the limit's window, sms may come back; email never does.
        let later = scorer.score(state, at: t0 + 20 * 86_400_000_000).recommendation!
        #expect(!later.blocked.contains { $0.actionID == "sms_offer" })
        #expect(later.blocked.contains { $0.actionID == "email_discount10" })
    }

    /// Off-policy evaluation on a fresh simulated log: the intervals of "none" and of each single action
    /// hold the values implied by the simulator's truth, and the bundle's policy beats doing nothing.
    @Test func policyEvaluationOnAFreshLog() throws {
        let f = try Trained.get()
        var simulation = SimulationConfiguration()
        simulation.customers = 1500
        simulation.seed = 4_000_007
        let (csv, _) = try Simulator.csv(simulation, threads: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ope-\(UUID().uuidString).csv").path
        try Data(csv).write(to: URL(fileURLWithPath: path))
        let store = try EventReader.read(path: path).store
        let attributes = try CustomerAttributes.read(
            path: path, customers: store.customerIDs, numeric: ["tenure_days", "customer_value"], categorical: ["segment", "region"]
        ).attributes
        let report = try Scorer(models: f.models).evaluatePolicy(store, attributes: attributes, configuration: .init(replicates: 200))
        #expect(report.rows.map(\.policy) == ["waypoint", "none"] + f.models.catalog!.actions.map { "always \($0.id)" })
        #expect(report.decisionPoints > 5000)
        let none = report.rows[1].estimates.doublyRobust!
        let waypoint = report.rows[0].estimates.doublyRobust!
        #expect(waypoint.value > none.value)
        for row in report.rows {
            let e = row.estimates
            #expect(e.inversePropensity.lower <= e.inversePropensity.value && e.inversePropensity.value <= e.inversePropensity.upper)
            #expect(e.rows == report.decisionPoints)
        }
    }

    @Test func outOfOrderEventsAreRefusedAndLeaveTheStateAlone() throws {
        let scorer = try Scorer(models: try Trained.get().models)
        var state = scorer.newCustomer("x")
        try scorer.record(TouchEvent(time: 2_000_000, channel: "email"), into: &state)
        let before = state
        #expect(throws: ScoringError.self) { try scorer.record(TouchEvent(time: 1_000_000, channel: "web"), into: &state) }
        #expect(state == before)
        // Equal times are fine.
        try scorer.record(TouchEvent(time: 2_000_000, channel: "web"), into: &state)
        #expect(state.events == 2)
    }

    @Test func unknownNamesAreCountedNotFatal() throws {
        let scorer = try Scorer(models: try Trained.get().models)
        var state = scorer.newCustomer("y", attributes: ["segment": "martian", "tenure_days": "not a number"])
        try scorer.record(TouchEvent(time: 1_710_000_000_000_000, channel: "carrier_pigeon", event: "smoke_signal", action: "bribe"), into: &state)
        #expect(state.unknownChannels == 1 && state.unknownEventTypes == 1 && state.unknownActions == 1)
        let score = scorer.score(state, at: 1_710_000_100_000_000)
        #expect(score.churnProbability!.isFinite && score.conversionProbability!.isFinite)
        #expect(!score.journeyStateKnown)
    }

    @Test func reportHasHeldOutMetrics() throws {
        let f = try Trained.get()
        for name in ["churn", "conversion"] {
            let auc = try #require(f.report.metrics["\(name).held_out_roc_auc"])
            // The simulator plants real churn and conversion drivers: the models must beat chance.
            #expect(auc > 0.55, "\(name) AUC \(auc)")
        }
        #expect(f.report.parameters["snapshots.cutoffs"]?.split(separator: ",").count == 3)
    }

    @Test func mismatchedModelFilesAreRefused() throws {
        let f = try Trained.get()
        var files = try f.models.bundleFiles()
        let churn = String(decoding: files["churn.json"]!, as: UTF8.self).replacingOccurrences(of: "\"touches_total\"", with: "\"touches_all\"")
        files["churn.json"] = Data(churn.utf8)
        let dir = Trained.temporaryFolder()
        try ModelBundle.write(files, manifest: BundleManifest(waypointVersion: "test"), to: dir)
        do {
            _ = try Scorer(bundle: dir)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.file == dir + "/churn.json")
            #expect(error.reason.contains("other features"))
        }
        files = try f.models.bundleFiles()
        files["markov.json"] = Data("{\"format\":\"waypoint-markov\",\"version\":7}".utf8)
        try ModelBundle.write(files, manifest: BundleManifest(waypointVersion: "test"), to: dir)
        #expect(throws: BundleError.self) { try Scorer(bundle: dir) }
        files = try f.models.bundleFiles()
        files["features.json"] = nil
        try ModelBundle.write(files, manifest: BundleManifest(waypointVersion: "test"), to: dir)
        do {
            _ = try Scorer(bundle: dir)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.reason.contains("need the feature schema"))
        }
    }
}

@Suite struct TrainingConfigurationTests {
    func decode(_ json: String) throws -> TrainingConfiguration {
        try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8))
    }

    @Test func emptyObjectGivesDefaults() throws {
        #expect(try decode("{}") == TrainingConfiguration())
    }

    @Test func fieldsOverrideDefaultsAndNullTurnsAModelOff() throws {
        let c = try decode(#"{"churn": null, "markov": {"order": 3}, "features": {"windowDays": [7]}}"#)
        #expect(c.churn == nil)
        #expect(c.conversionModel == TrainingConfiguration.ConversionSection())
        #expect(c.markov.order == 3)
        #expect(c.features.windowDays == [7])
        #expect(c.features.lastK == FeatureConfiguration().lastK)
    }

    @Test func unknownFieldsAreErrorsNamingThem() throws {
        for (json, name) in [
            (#"{"horizon": 3}"#, "'horizon'"), (#"{"churn": {"horizonDay": 3}}"#, "'churn.horizonDay'"),
            (#"{"features": {"window": [7]}}"#, "'features.window'"), (#"{"data": {"event": "x.csv"}}"#, "'data.event'"),
        ] {
            do {
                _ = try decode(json)
                Issue.record("\(json) decoded")
            } catch DecodingError.dataCorrupted(let context) {
                #expect(context.debugDescription.contains(name), "\(context.debugDescription)")
            }
        }
    }

    @Test func problemsAreListed() throws {
        var c = TrainingConfiguration()
        c.markov.order = 9
        c.snapshots.count = 0
        c.churn?.horizonDays = -1
        let problems = c.problems()
        #expect(problems.count == 3)
        #expect(problems.contains { $0.contains("markov.order") })
    }

    /// The bundle's training.json holds the resolved configuration; it must read back.
    @Test func resolvedConfigurationRoundTrips() throws {
        let models = try Trained.get().models
        let data = try JSONEncoder().encode(models.configuration)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: data) == models.configuration)
    }
}
