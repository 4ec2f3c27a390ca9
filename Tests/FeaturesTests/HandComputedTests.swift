import Foundation
import Journeys
import Testing

@testable import Features

/// A three-customer store whose features and labels are computed by hand below.
///
/// Cutoff T = 2024-03-01T00:00:00Z (2024 is a leap year: February has 29 days).
/// - a: email view 01-15; web click 02-20 (36 days later: a new journey); email view 02-23 (exactly 7 days
///   before T); web purchase 50 on 02-25 12:00 (a conversion: the journey ends); after T: web view 03-05,
///   email unsubscribe 03-06.
/// - b: sms view 02-10, sms click 02-28; after T: sms purchase 20 on 03-10.
/// - c: only after T (email view 03-02, 04-15): no history at T, so not a row.
let handLog = """
    customer_id,timestamp,channel,event,value,segment,tenure
    a,2024-01-15T00:00:00Z,email,view,,gold,3
    a,2024-02-20T00:00:00Z,web,click,,gold,3
    a,2024-02-23T00:00:00Z,email,view,,gold,3
    a,2024-02-25T12:00:00Z,web,purchase,50,gold,3
    a,2024-03-05T00:00:00Z,web,view,,gold,3
    a,2024-03-06T00:00:00Z,email,unsubscribe,,gold,3
    b,2024-02-10T00:00:00Z,sms,view,,silver,
    b,2024-02-28T00:00:00Z,sms,click,,silver,
    b,2024-03-10T00:00:00Z,sms,purchase,20,silver,
    c,2024-03-02T00:00:00Z,email,view,,bronze,7
    c,2024-04-15T00:00:00Z,email,view,,bronze,7

    """

let handConfiguration = FeatureConfiguration(
    windowDays: [7, 30], lastK: 2, includeTransitions: true, journeyTimeoutDays: 30, standardize: false)

@Suite struct HandComputedTests {
    let t = micros("2024-03-01T00:00:00Z")

    func fitted(_ label: LabelDefinition, configuration: FeatureConfiguration = handConfiguration) throws
        -> (schema: FeatureSchema, snapshot: Snapshot, store: EventStore)
    {
        let s = try store(handLog)
        let (schema, snapshot) = try FeatureSchema.fit(
            store: s, attributes: CustomerAttributes(customerCount: s.customerCount), configuration: configuration,
            cutoffs: [t], label: label, threads: 1)
        return (schema, snapshot, s)
    }

    func row(_ snapshot: Snapshot, _ schema: FeatureSchema, _ store: EventStore, _ id: String) throws -> [String: Double] {
        let r = try #require(snapshot.rows.firstIndex { store.customerIDs[$0.customer] == id })
        return Dictionary(uniqueKeysWithValues: schema.featureNames.enumerated().map { ($1, snapshot.feature(row: r, column: $0)) })
    }

    @Test func vocabularyAndNamesInOrder() throws {
        let (schema, _, _) = try fitted(.conversion(horizon: 30 * day))
        #expect(schema.channels == ["email", "sms", "web"])
        // `unsubscribe` happens only after T: not in the vocabulary.
        #expect(schema.eventTypes == ["click", "purchase", "view"])
        #expect(Array(schema.featureNames.prefix(4)) == ["count_email_7d", "count_sms_7d", "count_web_7d", "count_email_30d"])
        #expect(schema.featureNames.contains("last2_channel=none"))
        #expect(schema.featureNames.contains("transition_web>email"))
        // 2 windows × 3 channels + 2 × 3 events + 2 values + 3 totals + 3 recency + 3 + 2 × 4 last-k + 9 transitions
        #expect(schema.featureCount == 6 + 6 + 2 + 3 + 3 + 3 + 8 + 9)
    }

    @Test func customerA() throws {
        let (schema, snapshot, s) = try fitted(.conversion(horizon: 30 * day))
        let a = try row(snapshot, schema, s, "a")
        let expected: [String: Double] = [
            "count_email_7d": 1,  // 02-23 is exactly 7 days before T: inside (T − 7d ≤ t)
            "count_sms_7d": 0, "count_web_7d": 1, "count_email_30d": 1, "count_sms_30d": 0, "count_web_30d": 2,
            "events_click_7d": 0, "events_purchase_7d": 1, "events_view_7d": 1,
            "events_click_30d": 1, "events_purchase_30d": 1, "events_view_30d": 1,
            "value_7d": 50, "value_30d": 50, "touches_total": 4, "value_total": 50,
            "recency_days": 4.5, "recency_days_email": 7, "recency_days_sms": 365, "recency_days_web": 4.5,
            "days_since_first_touch": 46, "touches_per_30d": 30.0 * 4 / 46, "distinct_channels": 2,
            // The last journey ended with the purchase: no open journey at T.
            "last1_channel=email": 0, "last1_channel=sms": 0, "last1_channel=web": 0, "last1_channel=none": 1,
            "last2_channel=email": 0, "last2_channel=sms": 0, "last2_channel=web": 0, "last2_channel=none": 1,
            // email (01-15) → web (02-20) crosses a 36-day gap: a new journey, no transition.
            "transition_email>email": 0, "transition_email>sms": 0, "transition_email>web": 1,
            "transition_sms>email": 0, "transition_sms>sms": 0, "transition_sms>web": 0,
            "transition_web>email": 1, "transition_web>sms": 0, "transition_web>web": 0,
        ]
        #expect(a == expected)
    }

    @Test func customerB() throws {
        let (schema, snapshot, s) = try fitted(.conversion(horizon: 30 * day))
        let b = try row(snapshot, schema, s, "b")
        #expect(b["count_sms_7d"] == 1)  // 02-28; 02-10 is 20 days before
        #expect(b["count_sms_30d"] == 2)
        #expect(b["events_click_7d"] == 1 && b["events_view_7d"] == 0 && b["events_view_30d"] == 1)
        #expect(b["value_30d"] == 0 && b["touches_total"] == 2)
        #expect(b["recency_days"] == 2 && b["recency_days_sms"] == 2 && b["recency_days_email"] == 365)
        #expect(b["days_since_first_touch"] == 20)
        #expect(b["touches_per_30d"] == 2)  // 30 × 2 / max(20, 30)
        #expect(b["distinct_channels"] == 1)
        #expect(b["last1_channel=sms"] == 1 && b["last2_channel=sms"] == 1 && b["last1_channel=none"] == 0)
        #expect(b["transition_sms>sms"] == 1)
        #expect(snapshot.rows.count == 2)  // c has no event before T
        #expect(snapshot.report.cutoffs[0].skippedWithoutHistory == 1)
    }

    @Test func conversionLabels() throws {
        let (_, snapshot, s) = try fitted(.conversion(horizon: 30 * day))
        let labels = Dictionary(uniqueKeysWithValues: zip(snapshot.rows.map { s.customerIDs[$0.customer] }, snapshot.labels))
        #expect(labels == ["a": 0, "b": 1])  // a only views after T; b buys on 03-10
        // A horizon of 9 days ends before b's purchase on 03-10.
        let short = try fitted(.conversion(horizon: 9 * day)).snapshot
        #expect(short.labels == [0, 0])
        #expect(short.report.positives == 0)
    }

    @Test func churnLabels() throws {
        // Lookback 20 days: both active. No churn event: both act within 30 days, so neither churns.
        let plain = try fitted(.churn(horizon: 30 * day, lookback: 20 * day, churnEvent: nil)).snapshot
        #expect(plain.labels == [0, 0])
        // With unsubscribe as the churn event, a churns (03-06).
        let (_, withEvent, s) = try fitted(.churn(horizon: 30 * day, lookback: 20 * day, churnEvent: "unsubscribe"))
        #expect(withEvent.rows.map { s.customerIDs[$0.customer] } == ["a", "b"])
        #expect(withEvent.labels == [1, 0])
        // A 3-day horizon [03-01, 03-04): nobody acts, both churn.
        #expect(try fitted(.churn(horizon: 3 * day, lookback: 20 * day, churnEvent: nil)).snapshot.labels == [1, 1])
        // A 3-day lookback [02-27, 03-01): a (last touch 02-25) is inactive, so not a row.
        let (_, recent, s2) = try fitted(.churn(horizon: 30 * day, lookback: 3 * day, churnEvent: nil))
        #expect(recent.rows.map { s2.customerIDs[$0.customer] } == ["b"])
        #expect(recent.report.cutoffs[0].skippedInactive == 1)
        #expect(recent.report.cutoffs[0].skippedWithoutHistory == 1)
    }

    /// With conversions only in the store, a's web purchase neither ends its journey nor labels anyone.
    @Test func conversionRuleDecidesJourneysAndLabels() throws {
        var configuration = handConfiguration
        configuration.conversion = ConversionRule(events: ["purchase"], channels: ["store"])
        let (schema, snapshot, s) = try fitted(.conversion(horizon: 30 * day), configuration: configuration)
        let a = try row(snapshot, schema, s, "a")
        #expect(a["last1_channel=web"] == 1 && a["last2_channel=email"] == 1 && a["last1_channel=none"] == 0)
        #expect(a["transition_web>email"] == 1 && a["transition_email>web"] == 1)
        #expect(snapshot.labels == [0, 0])
    }

    @Test func eventAtTheCutoffIsFutureNotFeature() throws {
        let log = handLog + "b,2024-03-01T00:00:00Z,sms,purchase,5,silver,\n"
        let s = try store(log)
        let (schema, snapshot) = try FeatureSchema.fit(
            store: s, attributes: CustomerAttributes(customerCount: s.customerCount), configuration: handConfiguration,
            cutoffs: [t], label: .conversion(horizon: 5 * day), threads: 1)
        let b = try #require(snapshot.rows.firstIndex { s.customerIDs[$0.customer] == "b" })
        #expect(snapshot.feature(row: b, column: schema.featureIndex(named: "touches_total")!) == 2)
        #expect(snapshot.labels[b] == 1)  // the purchase at exactly T is in [T, T + 5d)
    }

    @Test func cutoffTooLateIsRefused() throws {
        let s = try store(handLog)  // data ends 2024-04-15
        let attributes = CustomerAttributes(customerCount: s.customerCount)
        #expect(throws: FeatureError.self) {
            try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [micros("2024-03-20T00:00:00Z")], label: .conversion(horizon: 30 * day))
        }
        do {
            _ = try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [t, micros("2024-04-01T00:00:00Z")], label: .churn(horizon: 30 * day, lookback: 90 * day, churnEvent: nil))
            Issue.record("a cutoff whose horizon passes the end of the data was accepted")
        } catch {
            #expect(error.code == .censoredLabels)
            #expect(error.message.contains("2024-04-01T00:00:00Z"))
            #expect(error.message.contains("2024-03-16T00:00:00Z"))  // the latest usable cutoff
        }
        // Exactly at the end is fine: 2024-03-16 + 30 days = 2024-04-15.
        _ = try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [micros("2024-03-16T00:00:00Z")], label: .conversion(horizon: 30 * day))
    }

    @Test func badCutoffsAndLabelsAreRefused() throws {
        let s = try store(handLog)
        let attributes = CustomerAttributes(customerCount: s.customerCount)
        #expect { try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [], label: .conversion(horizon: day)) } throws: {
            ($0 as? FeatureError)?.code == .invalidCutoffs
        }
        #expect { try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [t, t], label: .conversion(horizon: day)) } throws: {
            ($0 as? FeatureError)?.code == .invalidCutoffs
        }
        #expect { try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [t], label: .churn(horizon: -1, lookback: 0, churnEvent: nil)) } throws: {
            let e = $0 as? FeatureError
            return e?.code == .invalidConfiguration && e!.message.contains("horizon") && e!.message.contains("lookback")
        }
        #expect { try FeatureSchema.fit(store: s, attributes: attributes, configuration: FeatureConfiguration(windowDays: [], lastK: -1), cutoffs: [t], label: .conversion(horizon: day)) } throws: {
            let e = $0 as? FeatureError
            return e?.code == .invalidConfiguration && e!.message.contains("windowDays") && e!.message.contains("lastK")
        }
        // An attribute named like a history feature would make two columns of one name.
        let colliding = CustomerAttributes(numericNames: ["recency_days"], numeric: [[1, 2, 3]], categoricalNames: [], categorical: [], customerCount: 3)
        #expect { try FeatureSchema.fit(store: s, attributes: colliding, configuration: FeatureConfiguration(numericAttributes: ["recency_days"]), cutoffs: [t], label: .conversion(horizon: day)) } throws: {
            let e = $0 as? FeatureError
            return e?.code == .duplicateFeatureName && e!.message.contains("recency_days")
        }
        // Nobody has history before 2024-01-01.
        #expect { try FeatureSchema.fit(store: s, attributes: attributes, cutoffs: [micros("2024-01-01T00:00:00Z")], label: .conversion(horizon: day)) } throws: {
            ($0 as? FeatureError)?.code == .noRows
        }
    }

    @Test func attributesOneHotAndImputed() throws {
        let s = try store(handLog)
        let path = try temporaryFile(Array(handLog.utf8))
        let (attributes, report) = try CustomerAttributes.read(path: path, customers: s.customerIDs, numeric: ["tenure"], categorical: ["segment"])
        #expect(report.rows == 11 && report.customersFound == 3 && report.customersMissing == 0)
        var configuration = handConfiguration
        configuration.numericAttributes = ["tenure"]
        configuration.categoricalAttributes = ["segment"]
        let (schema, snapshot) = try FeatureSchema.fit(
            store: s, attributes: attributes, configuration: configuration, cutoffs: [t], label: .conversion(horizon: 30 * day), threads: 1)
        // Levels come from the training rows (a, b) only: c's bronze is not a level.
        #expect(schema.categoricalLevels == [["gold", "silver"]])
        #expect(Array(schema.featureNames.suffix(4)) == ["tenure", "segment=gold", "segment=silver", "segment=(unseen)"])
        // b has no tenure: the mean over training rows that have one (a: 3) fills it.
        #expect(schema.numericImputation == [3])
        let j = schema.featureIndex(named: "tenure")!
        #expect(snapshot.feature(row: 0, column: j) == 3 && snapshot.feature(row: 1, column: j) == 3)
        #expect(snapshot.feature(row: 1, column: j + 2) == 1)  // b = silver
        // At a later cutoff c is a row: its unseen level bronze reads as (unseen), not a crash.
        let later = try Snapshot.build(
            store: s, attributes: attributes, schema: schema, cutoffs: [micros("2024-03-15T00:00:00Z")],
            label: .conversion(horizon: 30 * day), threads: 1)
        let c = try #require(later.rows.firstIndex { s.customerIDs[$0.customer] == "c" })
        #expect(later.feature(row: c, column: j) == 7)
        #expect(later.feature(row: c, column: j + 1) == 0 && later.feature(row: c, column: j + 2) == 0 && later.feature(row: c, column: j + 3) == 1)
    }
}
