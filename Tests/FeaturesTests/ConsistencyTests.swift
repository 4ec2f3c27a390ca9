import Foundation
import Journeys
import Testing

@testable import Features

@Suite struct ConsistencyTests {
    static let configuration = FeatureConfiguration(
        windowDays: [3, 14, 60], lastK: 4, numericAttributes: ["customer_value"], categoricalAttributes: ["segment"])
    static let cutoffs = [micros("2024-03-15T00:00:00Z"), micros("2024-02-01T00:00:00Z"), micros("2024-05-20T12:30:00Z")]

    static func fitted(threads: Int = 2) throws -> (schema: FeatureSchema, snapshot: Snapshot, store: EventStore, attributes: CustomerAttributes) {
        let text = SimulatedLog.text(SimulatedLog.lines)
        let s = try store(text)
        let path = try temporaryFile(Array(text.utf8))
        let attributes = try CustomerAttributes.read(path: path, customers: s.customerIDs, numeric: ["customer_value"], categorical: ["segment"]).attributes
        let (schema, snapshot) = try FeatureSchema.fit(
            store: s, attributes: attributes, configuration: configuration, cutoffs: cutoffs,
            label: .conversion(horizon: 14 * day), externalNames: ["recent_count"], threads: threads,
            external: { _, _, h in [Double(h.eventCount % 5)] })
        return (schema, snapshot, s, attributes)
    }

    /// A service feeding events one by one into a `CustomerHistory`, with names mapped through the
    /// schema, gets exactly the snapshot's row at every cutoff.
    @Test func historyFedEventByEventMatchesSnapshotRows() throws {
        let (schema, snapshot, s, attributes) = try Self.fitted()
        var checked = 0
        var vector: [Double] = []
        for (r, row) in snapshot.rows.enumerated() where r % 7 == 0 {
            var history = CustomerHistory(schema: schema)
            for i in s.events(of: row.customer) where s.timestamps[i] < row.cutoff {
                let action = s.actions.flatMap { $0[i] == 0 ? nil : schema.actionIndex(of: s.actionNames[Int($0[i]) - 1]) }
                try history.record(
                    time: s.timestamps[i], channel: schema.channelIndex(of: s.channelNames[Int(s.channels[i])]),
                    event: schema.eventTypeIndex(of: s.eventTypeNames[Int(s.eventTypes[i])]), value: s.values?[i] ?? 0, action: action)
            }
            let values = try attributes.values(of: row.customer, for: schema.configuration)
            try schema.vector(history, attributes: values, external: [Double(history.eventCount % 5)], at: row.cutoff, into: &vector)
            let fromSnapshot = (0..<schema.featureCount).map { snapshot.feature(row: r, column: $0) }
            #expect(firstBitDifference(vector, fromSnapshot) == nil, "row \(r)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func outputDoesNotDependOnThreads() throws {
        let one = try Self.fitted(threads: 1)
        let three = try Self.fitted(threads: 3)
        let sameSchema = one.schema == three.schema
        #expect(sameSchema)
        #expect(firstBitDifference(one.snapshot.features, three.snapshot.features) == nil)
        let same = one.snapshot.labels == three.snapshot.labels && one.snapshot.rows == three.snapshot.rows
        #expect(same)
    }

    @Test func rowsAreOrderedByCutoffAsGivenThenCustomer() throws {
        let (_, snapshot, _, _) = try Self.fitted()
        let firstOfEach = Self.cutoffs.map { t in snapshot.rows.firstIndex { $0.cutoff == t }! }
        #expect(firstOfEach == firstOfEach.sorted())
        for k in 1..<snapshot.rows.count where snapshot.rows[k].cutoff == snapshot.rows[k - 1].cutoff {
            #expect(snapshot.rows[k].customer > snapshot.rows[k - 1].customer)
        }
        #expect(snapshot.report.cutoffs.map(\.rows).reduce(0, +) == snapshot.rows.count)
        #expect(snapshot.report.cutoffs.map(\.cutoff) == Self.cutoffs)
        #expect(Double(snapshot.report.positives) == snapshot.labels.reduce(0, +))
    }

    /// Standardization uses the training rows' statistics only: training columns have mean 0 and sd 1
    /// (or are constant 0), and held-out rows use the training mean and sd, not their own.
    @Test func standardizationUsesTrainingStatisticsOnly() throws {
        let (schema, training, s, attributes) = try Self.fitted()
        let n = training.rows.count
        var nonConstant = 0
        for j in 0..<schema.featureCount {
            let column = training.features[(j * n)..<((j + 1) * n)]
            let mean = column.reduce(0, +) / Double(n)
            #expect(abs(mean) < 1e-9, "\(schema.featureNames[j]) mean \(mean)")
            if schema.standardDeviations[j] > 0 {
                let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
                #expect(abs(variance - 1) < 1e-9, "\(schema.featureNames[j]) variance \(variance)")
                nonConstant += 1
            } else {
                #expect(column.allSatisfy { $0 == 0 }, "\(schema.featureNames[j]) is constant in training")
            }
        }
        #expect(nonConstant > 20)
        let heldOutCutoff = micros("2024-06-01T00:00:00Z")
        let heldOut = try Snapshot.build(
            store: s, attributes: attributes, schema: schema, cutoffs: [heldOutCutoff], label: .conversion(horizon: 14 * day),
            external: { _, _, h in [Double(h.eventCount % 5)] })
        let tenure = schema.featureIndex(named: "days_since_first_touch")!
        let m = heldOut.rows.count
        // Raw tenure of each held-out row, by replay, standardized with the training mean and sd.
        for r in stride(from: 0, to: m, by: 13) {
            var history = CustomerHistory(schema: schema)
            let row = heldOut.rows[r]
            for i in s.events(of: row.customer) where s.timestamps[i] < heldOutCutoff {
                try history.record(time: s.timestamps[i], channel: 0, event: 0, value: 0, action: nil)
            }
            let raw = Double(heldOutCutoff - history.firstTouch!) / Double(day)
            let expected = (raw - schema.means[tenure]) / schema.standardDeviations[tenure]
            #expect(heldOut.feature(row: r, column: tenure) == expected)
        }
        // Tenure grows after the training cutoffs: held-out rows are not re-centered on their own mean.
        let heldOutMean = (0..<m).map { heldOut.feature(row: $0, column: tenure) }.reduce(0, +) / Double(m)
        #expect(heldOutMean > 0.3)
    }

    @Test func externalFeaturesMustMatchTheSchema() throws {
        let (schema, _, s, attributes) = try Self.fitted()
        let cutoff = [micros("2024-06-01T00:00:00Z")]
        #expect { try Snapshot.build(store: s, attributes: attributes, schema: schema, cutoffs: cutoff, label: .conversion(horizon: day)) } throws: {
            ($0 as? FeatureError)?.code == .shapeMismatch
        }
        #expect {
            try Snapshot.build(store: s, attributes: attributes, schema: schema, cutoffs: cutoff, label: .conversion(horizon: day),
                               external: { _, _, _ in [1, 2] })
        } throws: {
            let e = $0 as? FeatureError
            return e?.code == .shapeMismatch && e!.message.contains("recent_count")
        }
        #expect {
            try Snapshot.build(store: s, attributes: attributes, schema: schema, cutoffs: cutoff, label: .conversion(horizon: day),
                               external: { _, _, _ in [.nan] })
        } throws: {
            ($0 as? FeatureError)?.code == .invalidNumber
        }
        var vector: [Double] = []
        #expect {
            try schema.vector(CustomerHistory(schema: schema), attributes: AttributeValues(numeric: [.infinity], categorical: [nil]),
                              external: [0], at: cutoff[0], into: &vector)
        } throws: {
            ($0 as? FeatureError)?.code == .invalidNumber
        }
        // An attribute table without the schema's attributes is refused, not read as missing.
        #expect {
            try Snapshot.build(store: s, attributes: CustomerAttributes(customerCount: s.customerCount), schema: schema, cutoffs: cutoff,
                               label: .conversion(horizon: day), external: { _, _, _ in [1] })
        } throws: {
            ($0 as? FeatureError)?.code == .missingColumn
        }
    }

    @Test func schemaRoundTripsThroughJSON() throws {
        let (schema, _, _, _) = try Self.fitted()
        let data = try JSONEncoder().encode(schema)
        let decoded = try JSONDecoder().decode(FeatureSchema.self, from: data)
        #expect(decoded == schema)
        #expect(decoded.means.map(\.bitPattern) == schema.means.map(\.bitPattern))
        #expect(decoded.featureIndex(named: "recency_days_email") == schema.featureIndex(named: "recency_days_email"))
        // A schema whose names disagree with its vocabularies is refused.
        var object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["channels"] = ["email", "web"]
        let corrupted = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FeatureSchema.self, from: corrupted) }
    }
}
