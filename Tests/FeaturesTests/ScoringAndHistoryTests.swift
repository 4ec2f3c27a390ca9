import Foundation
import Journeys
import Testing

@testable import Features

@Suite struct ScoringAndHistoryTests {
    let t = micros("2024-03-01T00:00:00Z")

    func schema(standardize: Bool = false) throws -> FeatureSchema {
        let s = try store(handLog)
        var configuration = handConfiguration
        configuration.standardize = standardize
        configuration.categoricalAttributes = ["segment"]
        let path = try temporaryFile(Array(handLog.utf8))
        let attributes = try CustomerAttributes.read(path: path, customers: s.customerIDs, numeric: [], categorical: ["segment"]).attributes
        return try FeatureSchema.fit(
            store: s, attributes: attributes, configuration: configuration, cutoffs: [t], label: .conversion(horizon: 30 * day)
        ).schema
    }

    /// A channel, event type and level never seen in training map to "other"/(unseen) without a crash:
    /// they count in the totals and recency, and have no column of their own.
    @Test func unseenNamesAtScoringReadAsOther() throws {
        let schema = try schema()
        #expect(schema.channelIndex(of: "fax") == 3 && schema.eventTypeIndex(of: "teleport") == 3 && schema.actionIndex(of: "x") == 0)
        var history = CustomerHistory(schema: schema)
        let start = micros("2024-02-27T00:00:00Z")
        try history.record(time: start, channel: schema.channelIndex(of: "web"), event: schema.eventTypeIndex(of: "view"), value: 1, action: nil)
        try history.record(time: start + day, channel: schema.channelIndex(of: "fax"), event: schema.eventTypeIndex(of: "teleport"), value: 2, action: nil)
        let raw = try schema.rawFeatures(history, attributes: AttributeValues(categorical: ["platinum"]), at: t)
        func value(_ name: String) -> Double { raw[schema.featureIndex(named: name)!] }
        #expect(value("touches_total") == 2 && value("value_7d") == 3 && value("value_total") == 3)
        #expect(value("recency_days") == 2 && value("recency_days_web") == 3)
        #expect(value("count_web_7d") == 1 && value("count_email_7d") == 0 && value("count_sms_7d") == 0)
        #expect(value("events_view_7d") == 1)
        #expect(value("distinct_channels") == 2)  // web and "other"
        // The last channel is unseen: no indicator at position 1; web at position 2.
        #expect(["email", "sms", "web", "none"].map { value("last1_channel=\($0)") } == [0, 0, 0, 0])
        #expect(value("last2_channel=web") == 1)
        #expect(value("transition_web>web") == 0)
        #expect(value("segment=gold") == 0 && value("segment=silver") == 0 && value("segment=(unseen)") == 1)
        // A missing level also reads as (unseen).
        let missing = try schema.rawFeatures(history, attributes: AttributeValues(categorical: [nil]), at: t)
        #expect(missing[schema.featureIndex(named: "segment=(unseen)")!] == 1)
    }

    /// A window of w days at T holds T − w ≤ t < T: one microsecond earlier is outside.
    @Test func windowBoundaryIsInclusiveAtTheStart() throws {
        let schema = try schema()
        var history = CustomerHistory(schema: schema)
        let web = schema.channelIndex(of: "web")
        try history.record(time: t - 7 * day - 1, channel: web, event: 0, value: 1, action: nil)
        try history.record(time: t - 7 * day, channel: web, event: 0, value: 2, action: nil)
        try history.record(time: t - 1, channel: web, event: 0, value: 4, action: nil)
        let raw = try schema.rawFeatures(history, attributes: AttributeValues(categorical: [nil]), at: t)
        #expect(raw[schema.featureIndex(named: "count_web_7d")!] == 2)
        #expect(raw[schema.featureIndex(named: "value_7d")!] == 6)
        #expect(raw[schema.featureIndex(named: "count_web_30d")!] == 3)
        #expect(raw[schema.featureIndex(named: "recency_days_web")!] == 1.0 / 86_400e6)
    }

    @Test func configurationDecodesWithDefaults() throws {
        let decoded = try JSONDecoder().decode(FeatureConfiguration.self, from: Data(#"{"lastK": 5, "numericAttributes": ["age"]}"#.utf8))
        #expect(decoded == FeatureConfiguration(lastK: 5, numericAttributes: ["age"]))
        let full = FeatureConfiguration(windowDays: [1], includeTransitions: false, standardize: false)
        #expect(try JSONDecoder().decode(FeatureConfiguration.self, from: JSONEncoder().encode(full)) == full)
    }

    @Test func wrongShapesThrow() throws {
        let schema = try schema()
        let history = CustomerHistory(schema: schema)
        var vector: [Double] = []
        #expect { try schema.vector(history, attributes: AttributeValues(), external: [1], at: t, into: &vector) } throws: {
            let e = $0 as? FeatureError
            return e?.code == .shapeMismatch && e!.message.contains("categorical") && e!.message.contains("external")
        }
    }

    @Test func emptyHistoryHasCappedRecencyAndNoJourney() throws {
        let schema = try schema(standardize: true)
        let raw = try schema.rawFeatures(CustomerHistory(schema: schema), attributes: AttributeValues(categorical: ["gold"]), at: t)
        #expect(raw[schema.featureIndex(named: "recency_days")!] == 365)
        #expect(raw[schema.featureIndex(named: "recency_days_sms")!] == 365)
        #expect(raw[schema.featureIndex(named: "days_since_first_touch")!] == 0)
        #expect(raw[schema.featureIndex(named: "last1_channel=none")!] == 1)
        var vector: [Double] = []
        try schema.vector(CustomerHistory(schema: schema), attributes: AttributeValues(categorical: ["gold"]), at: t, into: &vector)
        for j in 0..<schema.featureCount {
            #expect(vector[j] == schema.standardized(raw[j], column: j))
        }
    }

    @Test func journeyResetsAfterConversionAndTimeout() throws {
        let schema = try schema()
        let email = schema.channelIndex(of: "email")
        let web = schema.channelIndex(of: "web")
        let view = schema.eventTypeIndex(of: "view")
        let purchase = schema.eventTypeIndex(of: "purchase")
        var h = CustomerHistory(schema: schema)
        let t0 = micros("2024-01-01T00:00:00Z")
        try h.record(time: t0, channel: email, event: view, value: 0, action: nil)
        try h.record(time: t0 + day, channel: web, event: view, value: 0, action: nil)
        #expect(h.currentJourneyChannels(at: t0 + 2 * day) == [email, web])
        #expect(h.currentJourneyChannels(at: t0 + day + 30 * day) == [email, web])  // a gap of exactly 30 days: still open
        #expect(h.currentJourneyChannels(at: t0 + day + 31 * day) == [])  // longer than the timeout: ended
        try h.record(time: t0 + 2 * day, channel: web, event: purchase, value: 10, action: nil)
        #expect(h.currentJourneyChannels(at: t0 + 3 * day) == [])  // the conversion ended it
        try h.record(time: t0 + 3 * day, channel: email, event: view, value: 0, action: nil)
        #expect(h.currentJourneyChannels(at: t0 + 4 * day) == [email])
        #expect(h.transitionCount(from: web, to: email) == 0)  // across the conversion: not a transition
        #expect(h.transitionCount(from: email, to: web) == 1 && h.transitionCount(from: web, to: web) == 1)
        try h.record(time: t0 + 40 * day, channel: web, event: view, value: 0, action: nil)
        #expect(h.transitionCount(from: email, to: web) == 1)  // across a 37-day gap: not a transition
    }

    @Test func actionsAndContacts() throws {
        var h = CustomerHistory(layout: HistoryLayout(
            channelCount: 2, eventTypeCount: 1, actionCount: 2, longestWindow: 10 * day, lastK: 1, includeTransitions: false,
            journeyTimeout: 30 * day, converts: [false, false, false, false, false, false]))
        #expect(h.lastTime(action: 0) == nil)
        for k in 0..<100 {
            try h.record(time: Int64(k) * day, channel: k % 2, event: 0, value: 1, action: k % 3 == 0 ? 1 : nil)
        }
        #expect(h.lastTime(action: 1) == 99 * day)
        #expect(h.lastTime(action: 0) == nil)
        // Days 90...99 with k % 3 == 0 on channel 0 (even k): 90, 96.
        #expect(h.actionContacts(channel: 0, since: 90 * day) == 2)
        #expect(h.actionContacts(channel: 1, since: 90 * day) == 2)  // 93, 99
        #expect(h.lastTouch(channel: 1) == 99 * day && h.lastTouch(channel: 0) == 98 * day)
        #expect(h.channelCount(0, since: 90 * day) == 5)
        // Storage stays bounded by the window (entries older than 10 days are dropped and compacted).
        #expect(h.window.events.count < 50)
        #expect(h.eventCount == 100 && h.totalValue == 100 && h.firstTouch == 0)
        // An event earlier than the last one is refused and leaves the history as it was.
        let before = h
        #expect { try h.record(time: 50 * day, channel: 0, event: 0, value: 1, action: nil) } throws: {
            ($0 as? FeatureError)?.code == .eventOutOfOrder
        }
        #expect(h == before)
        h.removeAll()
        #expect(h == CustomerHistory(layout: h.layout))
    }
}
