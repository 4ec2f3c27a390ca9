import Foundation
import Testing

@testable import Journeys

/// Per-customer attribute columns read along with the events.
@Suite struct AttributeColumnTests {
    static let declared = [AttributeColumn(name: "segment", isNumeric: false), AttributeColumn(name: "tenure", isNumeric: true)]

    func withAttributes(threads: Int = 1, _ configure: (inout EventReaderOptions) -> Void = { _ in }) -> EventReaderOptions {
        options {
            $0.attributeColumns = Self.declared
            $0.threads = threads
            configure(&$0)
        }
    }

    /// `customer: segment/tenure` for every customer, "-" for missing.
    func table(_ store: EventStore) throws -> [String] {
        let a = try #require(store.attributes)
        return (0..<store.customerCount).map { c in
            "\(store.customerIDs[c]): \(a.text(0, customer: c) ?? "-")/\(a.number(1, customer: c).map { "\($0)" } ?? "-")"
        }
    }

    @Test(arguments: [1, 2])
    func keepsEachCustomersLastNonEmptyValue(threads: Int) throws {
        let csv = """
            customer_id,timestamp,channel,segment,tenure
            a,2024-01-01,web,gold,10
            b,2024-01-01,web,,
            a,2024-01-02,web,,12.5
            c,2024-01-02,web,"sil""ver",
            a,2024-01-03,web,silver,
            b,2024-01-03,web,gold,-3e1

            """
        // Small blocks so the rows of one customer land in different blocks.
        let (store, report) = try read(csv, options: withAttributes(threads: threads) { $0.blockBytes = 4096 })
        #expect(report.rowsKept == 6)
        #expect(try table(store) == ["a: silver/12.5", "b: gold/-30.0", "c: sil\"ver/-"])
        #expect(store.attributes?.levels[0] == ["gold", "sil\"ver", "silver"])
        #expect(store.attributes?.levels[1] == [])
    }

    /// The reader reuses a field's value when the same column repeats the same bytes; across many small
    /// blocks (each with its own level numbering), with values that repeat, change and go empty, every
    /// customer still ends with its last non-empty value.
    @Test(arguments: [1, 2])
    func repeatedValuesAcrossManyBlocksKeepTheLastNonEmpty(threads: Int) throws {
        var rng = SplitMix64(seed: 12)
        let levels = ["gold", "silver", "bronze", "", "gold"]
        let tenures = ["10", "10", "12.5", "", "7"]
        var csv = "customer_id,timestamp,channel,segment,tenure\n"
        var expected: [String: (String, String)] = [:]
        for row in 0..<3000 {
            let customer = "c\(Int(rng.next() % 40))"
            let segment = levels[Int(rng.next() % UInt64(levels.count))]
            let tenure = tenures[Int(rng.next() % UInt64(tenures.count))]
            csv += "\(customer),\(1_700_000_000 + row),web,\(segment),\(tenure)\n"
            var last = expected[customer] ?? ("-", "-")
            if !segment.isEmpty { last.0 = segment }
            if !tenure.isEmpty { last.1 = "\(Double(tenure)!)" }
            expected[customer] = last
        }
        let (store, report) = try read(csv, options: withAttributes(threads: threads) { $0.blockBytes = 4096 })
        #expect(report.rowsKept == 3000)
        let want = (0..<store.customerCount).map { c in
            let id = store.customerIDs[c]
            return "\(id): \(expected[id]!.0)/\(expected[id]!.1)"
        }
        #expect(try table(store) == want)
    }

    @Test func withoutAttributeColumnsTheStoreHasNone() throws {
        #expect(try read("customer_id,timestamp,channel,segment\na,2024-01-01,web,gold\n").store.attributes == nil)
    }

    @Test func aDeclaredColumnMissingFromTheHeaderIsAnError() throws {
        try expectReadError(
            "customer_id,timestamp,channel,segment\na,2024-01-01,web,gold\n", options: withAttributes(),
            .missingColumn, line: 1, column: nil, messageContains: ["attribute column 'tenure' not in the header"])
    }

    @Test func aNumericAttributeThatIsNotANumberIsABadRow() throws {
        let csv = "customer_id,timestamp,channel,segment,tenure\na,2024-01-01,web,gold,10\nb,2024-01-01,web,gold,ten\n"
        try expectReadError(
            csv, options: withAttributes(), .invalidNumber, line: 3, column: 23,
            messageContains: ["attribute 'tenure' is 'ten', not a finite number"])
        // With a reject budget the row goes, and with it its attributes: b is not in the store.
        var rejected: [RejectedRow] = []
        let (store, report) = try EventReader.read(
            path: try writeInput(csv), options: withAttributes { $0.maxErrors = 1 }, onReject: { rejected.append($0) })
        #expect(report.rowsRead == 2 && report.rowsKept == 1 && report.rowsRejected == 1)
        #expect(rejected.map(\.position.line) == [3])
        #expect(try table(store) == ["a: gold/10.0"])
    }

    @Test func infiniteAndNaNAreNotNumbers() throws {
        for text in ["inf", "nan", "1e999"] {
            try expectReadError(
                "customer_id,timestamp,channel,segment,tenure\na,2024-01-01,web,gold,\(text)\n", options: withAttributes(),
                .invalidNumber, line: 2, column: 23)
        }
    }

    @Test func ndjsonTakesStringsNumbersAndNullsAndMayLackTheKey() throws {
        let (store, _) = try read(
            #"""
            {"customer_id":"a","timestamp":"2024-01-01","channel":"web","segment":"gold","tenure":7}
            {"customer_id":"b","timestamp":"2024-01-01","channel":"web","segment":3,"tenure":"8.5"}
            {"customer_id":"a","timestamp":"2024-01-02","channel":"web","segment":null}
            {"customer_id":"c","timestamp":"2024-01-02","channel":"web","segm\u0065nt":"x\u00e9"}

            """#, ext: "ndjson", options: withAttributes())
        #expect(try table(store) == ["a: gold/7.0", "b: 3/8.5", "c: xé/-"])
    }

    @Test func ndjsonNestedValuesAndRepeatedKeysAreMalformed() throws {
        try expectReadError(
            #"{"customer_id":"a","timestamp":"2024-01-01","channel":"web","segment":{"x":1}}"# + "\n", ext: "ndjson",
            options: withAttributes(), .malformedJSON, line: 1, column: 71, messageContains: ["attribute 'segment' must be a string or a number"])
        try expectReadError(
            #"{"customer_id":"a","timestamp":"2024-01-01","channel":"web","tenure":1,"tenure":2}"# + "\n", ext: "ndjson",
            options: withAttributes(), .malformedJSON, line: 1, column: 73, messageContains: ["key 'tenure' appears twice"])
    }
}

/// `EventReader.readByCustomer`: sorted logs in batches of whole customers.
@Suite struct GroupedReadTests {
    /// A sorted log of `customers` customers with 1 to 5 events each (times shuffled within a customer).
    static func sortedLog(customers: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        var text = "customer_id,timestamp,channel,tier\n"
        for c in 0..<customers {
            let count = Int(rng.next() % 5) + 1
            for e in (0..<count).shuffled(using: &rng) {
                text += "c\(String(format: "%05d", c)),\(1_704_067_200 + e * 3600),\(["web", "app", "email"][e % 3]),t\(c % 4)\n"
            }
        }
        return text
    }

    @Test(arguments: [1, 7, 100, 1 << 20], [1, 2])
    func batchesTogetherAreTheWholeRead(batchEvents: Int, threads: Int) throws {
        let path = try writeInput(Self.sortedLog(customers: 400, seed: UInt64(batchEvents)))
        var o = options { $0.threads = threads; $0.blockBytes = 4096; $0.attributeColumns = [AttributeColumn(name: "tier", isNumeric: false)] }
        let whole = try EventReader.read(path: path, options: o).store
        var ids: [String] = []
        var lines: [String] = []
        var tiers: [String] = []
        var batches = 0
        o.threads = threads
        let report = try EventReader.readByCustomer(path: path, options: o, batchEvents: batchEvents) { batch in
            batches += 1
            ids += Array(batch.customerIDs)
            lines += batch.lines
            tiers += (0..<batch.customerCount).map { batch.attributes?.text(0, customer: $0) ?? "-" }
            for c in 0..<batch.customerCount {
                let times = batch.events(of: c).map { batch.timestamps[$0] }
                #expect(times == times.sorted(), "each customer's events in time order")
            }
        }
        #expect(ids == Array(whole.customerIDs))
        #expect(lines == whole.lines)
        #expect(tiers == (0..<whole.customerCount).map { whole.attributes?.text(0, customer: $0) ?? "-" })
        #expect(report.rowsKept == whole.count)
        // A batch is cut after a block of input (4 kB here, about 150 rows) once it holds batchEvents events.
        if batchEvents == 1 { #expect(batches >= 5) }
        if batchEvents == 1 << 20 { #expect(batches == 1) }
    }

    @Test func wholeNumberIdsAscendAsNumbers() throws {
        var seen: [String] = []
        let csv = "customer_id,timestamp,channel\n9,2024-01-01,web\n10,2024-01-01,web\n10,2024-01-02,web\n11,2024-01-01,web\n0012,2024-01-01,web\n"
        _ = try EventReader.readByCustomer(path: try writeInput(csv), options: options(), batchEvents: 1) { seen += Array($0.customerIDs) }
        #expect(seen == ["9", "10", "11", "0012"])
    }

    func expectNotGrouped(_ csv: String, line: Int?, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try writeInput(csv)
        let error = #expect(throws: JourneyError.self, sourceLocation: sourceLocation) {
            _ = try EventReader.readByCustomer(path: path, options: options(), batchEvents: 1) { _ in }
        }
        #expect(error?.code == .notGrouped, sourceLocation: sourceLocation)
        #expect(error?.position?.line == line, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test func unsortedOrRegroupedLogsAreRefusedAtTheRow() throws {
        try expectNotGrouped("customer_id,timestamp,channel\nb,2024-01-01,web\na,2024-01-01,web\n", line: 3, "customer 'a' comes after 'b'")
        // a's rows apart: refused at the row where a comes back.
        try expectNotGrouped(
            "customer_id,timestamp,channel\na,2024-01-01,web\nb,2024-01-01,web\na,2024-01-02,web\n", line: 4, "customer 'a' comes after 'b'")
        try expectNotGrouped("customer_id,timestamp,channel\n10,2024-01-01,web\n9,2024-01-01,web\n", line: 3, "customer '9' comes after '10'")
        try expectNotGrouped(
            "customer_id,timestamp,channel\n1,2024-01-01,web\nx,2024-01-01,web\n", line: 3, "customer 'x' is not a whole number")
    }

    @Test func anErrorFromTheConsumerStopsTheReadAndComesBack() throws {
        struct Enough: Error {}
        let path = try writeInput(Self.sortedLog(customers: 50, seed: 3))
        var calls = 0
        #expect(throws: Enough.self) {
            _ = try EventReader.readByCustomer(path: path, options: options(), batchEvents: 1) { _ in
                calls += 1
                if calls == 2 { throw Enough() }
            }
        }
        #expect(calls == 2)
    }

    @Test func emptyAndHeaderOnlyLogs() throws {
        var batches = 0
        let report = try EventReader.readByCustomer(path: try writeInput("customer_id,timestamp,channel\n"), options: options()) { _ in batches += 1 }
        #expect(batches == 0 && report.rowsRead == 0)
        #expect(throws: JourneyError.self) { _ = try EventReader.readByCustomer(path: try writeInput(""), options: options()) { _ in } }
    }
}
