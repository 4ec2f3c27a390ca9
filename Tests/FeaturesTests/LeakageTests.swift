import Foundation
import Journeys
import Testing

@testable import Features

/// Nothing at or after the cutoff T reaches a feature ("before T" means t < T): features built at T
/// from a log and from the same log with arbitrary changes at times ≥ T are bit-identical, while the
/// labels (which read [T, T + H)) change.
@Suite struct LeakageTests {
    static let cutoffs = ["2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z"]
    static var t: Int64 { micros(cutoffs[1]) }

    /// The simulated log with every row at or after T passed through `change` (nil drops the row), plus `extra` rows.
    static func altered(_ change: (Int, [String]) -> [String]?, extra: [String] = []) -> String {
        var lines = [SimulatedLog.lines[0]]
        for (k, line) in SimulatedLog.lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if fields[1] >= cutoffs[1] {  // ISO text in one format: string order is time order
                if let changed = change(k, fields) { lines.append(changed.joined(separator: ",")) }
            } else {
                lines.append(line)
            }
        }
        return SimulatedLog.text(lines + extra)
    }

    func build(_ csv: String, label: LabelDefinition) throws -> (schema: FeatureSchema, snapshot: Snapshot, store: EventStore) {
        let s = try store(csv)
        let path = try temporaryFile(Array(SimulatedLog.text(SimulatedLog.lines).utf8))  // attributes: the original file
        let attributes = try CustomerAttributes.read(
            path: path, customers: s.customerIDs, numeric: ["tenure_days", "customer_value"], categorical: ["segment", "region"]
        ).attributes
        let configuration = FeatureConfiguration(numericAttributes: ["tenure_days", "customer_value"], categoricalAttributes: ["segment", "region"])
        let (schema, snapshot) = try FeatureSchema.fit(
            store: s, attributes: attributes, configuration: configuration, cutoffs: Self.cutoffs.map(micros),
            label: label, externalNames: ["journey_length"], threads: 2,
            external: { _, _, history in [Double(history.currentJourneyChannels(at: Self.t).count)] })
        return (schema, snapshot, s)
    }

    static let labels: [LabelDefinition] = [
        .conversion(horizon: 30 * day), .churn(horizon: 30 * day, lookback: 60 * day, churnEvent: nil),
    ]

    @Test(arguments: labels)
    func futureChangesLeaveFeaturesBitIdentical(label: LabelDefinition) throws {
        let original = try build(SimulatedLog.text(SimulatedLog.lines), label: label)
        // Rows at or after T: drop every third, move every third to a new channel and event type with a
        // value, keep the rest; append new customers who appear only after T, and late events of old ones
        // (keeping the data's end, so no cutoff becomes censored).
        let changed = Self.altered({ k, fields in
            var f = fields
            switch k % 3 {
            case 0: return nil
            case 1:
                f[2] = "fax"
                f[3] = f[3] == "purchase" ? "view" : "purchase"
                f[4] = "999.5"
                f[5] = "brand_new_action"
                return f
            default: return f
            }
        }, extra: [
            "znew1,\(Self.cutoffs[1]),email,purchase,10,,,loyalist,east,5,1.0,1",
            "c000001,2024-05-02T00:00:00Z,carrier_pigeon,purchase,1e6,,,,,,,",
        ])
        let modified = try build(changed, label: label)
        let sameSchema = modified.schema == original.schema
        #expect(sameSchema, "the schema changed: \(Set(modified.schema.featureNames).symmetricDifference(original.schema.featureNames).sorted())")
        let sameRows = rowIDs(modified.snapshot, modified.store) == rowIDs(original.snapshot, original.store)
        #expect(sameRows)
        #expect(modified.snapshot.features.count == original.snapshot.features.count)
        // Bit-identical, not merely close.
        #expect(firstBitDifference(modified.snapshot.features, original.snapshot.features) == nil)
        // The labels do read the future: they change.
        let labelsChanged = modified.snapshot.labels != original.snapshot.labels
        #expect(labelsChanged)
        #expect(original.snapshot.report.rows > 400)  // both cutoffs contribute rows
    }

    @Test func futureChangesLeaveHeldOutFeaturesBitIdentical() throws {
        let label = LabelDefinition.churn(horizon: 20 * day, lookback: 90 * day, churnEvent: "purchase")
        let fitted = try build(SimulatedLog.text(SimulatedLog.lines), label: label)
        func heldOut(_ csv: String) throws -> (Snapshot, EventStore) {
            let s = try store(csv)
            let attributes = CustomerAttributes(
                numericNames: ["tenure_days", "customer_value"], numeric: Array(repeating: Array(repeating: .nan, count: s.customerCount), count: 2),
                categoricalNames: ["segment", "region"], categorical: Array(repeating: Array(repeating: nil, count: s.customerCount), count: 2),
                customerCount: s.customerCount)
            return (try Snapshot.build(store: s, attributes: attributes, schema: fitted.schema, cutoffs: [Self.t], label: label, threads: 3,
                                       external: { _, _, h in [Double(h.eventCount)] }), s)
        }
        let (before, s1) = try heldOut(SimulatedLog.text(SimulatedLog.lines))
        let (after, s2) = try heldOut(Self.altered { k, f in k % 2 == 0 ? nil : f })
        let sameRows = rowIDs(before, s1) == rowIDs(after, s2)
        #expect(sameRows)
        #expect(firstBitDifference(before.features, after.features) == nil)
        let labelsChanged = before.labels != after.labels
        #expect(labelsChanged)
    }
}
