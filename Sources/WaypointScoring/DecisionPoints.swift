import Decisioning
import Features
import Journeys
import Linalg
import Markov

/// How events change a customer's state beyond the feature history: contacts made by actions (for the
/// contact policy) and channels the customer unsubscribed from. Shared by training and scoring, so a
/// state built from a log and one fed event by event are the same.
struct ContactTracker: Sendable {
    /// The channel each catalog action contacts on, by action id.
    let actionChannels: [String: String]
    /// The event type that unsubscribes a customer from the event's channel.
    let unsubscribeEvent: String?
    /// How long contacts matter to the policy, seconds; older ones are dropped.
    let memorySeconds: Int64

    init(catalog: ActionCatalog?, unsubscribeEvent: String?) {
        var channels: [String: String] = [:]
        var longest = 7.0  // the weekly cap's window
        if let catalog {
            for action in catalog.actions {
                channels[action.id] = action.channel
                if let limit = action.limit { longest = max(longest, limit.windowDays) }
            }
            if let limit = catalog.contactPolicy.channelLimit { longest = max(longest, limit.windowDays) }
            if let days = catalog.contactPolicy.cooldownDays { longest = max(longest, days) }
        }
        actionChannels = channels
        self.unsubscribeEvent = unsubscribeEvent
        memorySeconds = Int64((min(longest, 3650) * 86_400).rounded(.up)) + 1
    }

    /// Updates `state` for one event (already recorded in its feature history).
    func record(time: Int64, channel: String, event: String, action: String?, into state: inout CustomerState) {
        let seconds = floorDiv(time, 1_000_000)
        if let action, action != ActionCatalog.noActionID, !action.isEmpty {
            state.contacts.append(ContactRecord(time: seconds, channel: actionChannels[action] ?? channel, actionID: action))
            if let first = state.contacts.first, first.time <= seconds - memorySeconds {
                state.contacts.removeAll { $0.time <= seconds - memorySeconds }
            }
        }
        if let unsubscribeEvent, event == unsubscribeEvent { state.suppressedChannels.insert(channel) }
    }
}

/// Logged decision points of a store, as uplift training data.
struct DecisionPoints {
    /// n×d model-ready features, one row per decision point.
    var features: Matrix
    var loggedActions: [String]
    var outcomes: [Double]
    var propensities: [Double]
    /// Decision points left out because their outcome window passes the end of the data.
    var censored: Int

    /// The schema's columns whose names are in `selection` or start with one of them; all when nil.
    ///
    /// - Throws: ``TrainingError`` for an entry that matches no feature.
    static func columns(of schema: FeatureSchema, selecting selection: [String]?) throws -> [Int] {
        guard let selection else { return Array(schema.featureNames.indices) }
        for entry in selection where !schema.featureNames.contains(where: { $0 == entry || $0.hasPrefix(entry) }) {
            throw TrainingError("nba.features: '\(entry)' matches no feature (features are named like count_email_30d, segment=loyalist, \(TrainedModels.markovFeature))")
        }
        return schema.featureNames.indices.filter { j in selection.contains { schema.featureNames[j] == $0 || schema.featureNames[j].hasPrefix($0) } }
    }

    /// Every event with a logged propensity whose `horizon` ends by `dataEnd`: features of the customer
    /// just before that event, the action logged there (`none` when empty), and whether a conversion
    /// event follows within the horizon (the decision's own event included).
    static func build(
        store: EventStore, attributes: CustomerAttributes, schema: FeatureSchema, table: MarkovConversionTable,
        conversion: ConversionRule, horizon: Int64, dataEnd: Int64, columns: [Int]
    ) throws -> DecisionPoints {
        guard let propensities = store.propensities else {
            throw TrainingError("nba: the log has no propensity column, so it has no logged decision points to learn from")
        }
        let channelMap = store.channelNames.map { schema.channelIndex(of: $0) }
        let typeMap = store.eventTypeNames.map { schema.eventTypeIndex(of: $0) }
        let actionMap = store.actionNames.map { schema.actionIndex(of: $0) }
        let converts = store.conversionMask(conversion)
        var rows: [Double] = []
        var loggedActions: [String] = []
        var outcomes: [Double] = []
        var chosen: [Double] = []
        var censored = 0
        var vector: [Double] = []
        for c in 0..<store.customerCount {
            let events = store.events(of: c)
            guard events.contains(where: { !propensities[$0].isNaN }) else { continue }
            let values = try attributes.values(of: c, for: schema.configuration)
            var history = CustomerHistory(schema: schema)
            for e in events {
                let t = store.timestamps[e]
                let action = store.actions.flatMap { $0[e] == 0 ? nil : Int($0[e]) - 1 }
                if !propensities[e].isNaN {
                    if t + horizon > dataEnd {
                        censored += 1
                    } else {
                        let journey = table.probability(after: history.currentJourneyChannelNames(at: t)).probability
                        try schema.vector(history, attributes: values, external: [journey], at: t, into: &vector)
                        for j in columns { rows.append(vector[j]) }
                        loggedActions.append(action.map { store.actionNames[$0] } ?? ActionCatalog.noActionID)
                        let converted = store.converts(events, from: e, before: t + horizon, mask: converts)
                        outcomes.append(converted ? 1 : 0)
                        chosen.append(Double(propensities[e]))
                    }
                }
                try history.record(
                    time: t, channel: channelMap[Int(store.channels[e])], event: typeMap[Int(store.eventTypes[e])],
                    value: store.values?[e] ?? 0, action: action.map { actionMap[$0] })
            }
        }
        let n = outcomes.count
        let features = try Matrix(rows: n, columns: columns.count, rowMajor: rows)
        return DecisionPoints(features: features, loggedActions: loggedActions, outcomes: outcomes, propensities: chosen, censored: censored)
    }
}

extension EventStore {
    /// Whether a converting event (per `mask`, from `conversionMask`) comes among `events` (one customer's)
    /// from `e` itself up to, not including, time `end`: the outcome of a decision made at `e`.
    func converts(_ events: Range<Int>, from e: Int, before end: Int64, mask: [Bool]) -> Bool {
        let types = eventTypeNames.count
        var k = e
        while k < events.upperBound && timestamps[k] < end {
            if mask[Int(channels[k]) * types + Int(eventTypes[k])] { return true }
            k += 1
        }
        return false
    }
}
