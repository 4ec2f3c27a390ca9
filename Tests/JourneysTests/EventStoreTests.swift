import Foundation
import Testing

@testable import Journeys

@Suite struct EventStoreOrderTests {
    @Test func eventsAreGroupedByCustomerAndOrderedByTime() throws {
        let (store, _) = try read(
            """
            customer_id,timestamp,channel
            b,2024-01-03,c3
            a,2024-01-02,x
            b,2024-01-01,c1
            a,2024-01-02,y
            b,2024-01-02,c2
            a,2024-01-01,w
            a,2024-01-02,z

            """)
        // Customers numbered by first appearance; ties in time keep input order (x, y, z).
        #expect(Array(store.customerIDs) == ["b", "a"])
        #expect(store.customerOffsets == [0, 3, 7])
        #expect(store.events(of: 0) == 0..<3)
        #expect(store.events(of: 1) == 3..<7)
        #expect(store.lines == ["b c1 touch", "b c2 touch", "b c3 touch", "a w touch", "a x touch", "a y touch", "a z touch"])
        #expect(store.timestamps == [Instant.jan1, Instant.jan2, Instant.jan3, Instant.jan1, Instant.jan2, Instant.jan2, Instant.jan2])
        // Channels numbered by first appearance in the input, not in the store.
        #expect(Array(store.channelNames) == ["c3", "x", "c1", "y", "c2", "w", "z"])
        #expect(store.timeRange == Instant.jan1...Instant.jan3)
        #expect(store.count == 7 && store.customerCount == 2)
    }

    @Test func optionalColumnsFollowTheirEvents() throws {
        let (store, _) = try read(
            """
            customer_id,timestamp,channel,value,action,propensity
            a,2024-01-03,web,3,act3,0.3
            a,2024-01-01,web,1,act1,0.1
            a,2024-01-02,web,2,,

            """)
        #expect(store.values == [1, 2, 3])
        #expect((0..<3).map(store.actionName) == ["act1", nil, "act3"])
        let p = try #require(store.propensities)
        #expect(p[0] == 0.1 && p[1].isNaN && p[2] == 0.3)
    }

    @Test func interningAndIDs() throws {
        let (store, _) = try read("customer_id,timestamp,channel\nu1,2024-01-01,web\nu2,2024-01-01,app\nu1,2024-01-02,web\n")
        #expect(store.customerIDs.id(of: "u2") == 1)
        #expect(store.customerIDs.id(of: "u3") == nil)
        #expect(store.channelNames.id(of: "app") == 1)
        #expect(store.customerIDs.byteCount == 4)
        #expect(store.columnBytes > 0)
        let built = InternedStrings(["x", "y", "x", "z"])
        #expect(Array(built) == ["x", "y", "z"])
        #expect(built.id(of: "z") == 2)
    }
}

/// A generated event log, with the store it must give, for comparing thread counts and block sizes.
struct GeneratedLog {
    var bytes: [UInt8] = []
    var expectedLines: [String] = []  // `customer channel event` in store order
    var expectedTimestamps: [Int64] = []
    var expectedValues: [Double] = []
    var expectedCustomers: [String] = []  // by first appearance
    /// Line and reason of each bad row, in order.
    var badRows: [(line: Int, code: JourneyError.Code)] = []
    var goodRows = 0
    /// Read boundaries (multiples of the block size) that fall inside a quoted field holding a line feed
    /// before the boundary: the splitter must not cut there.
    var straddles = 0

    /// `rows` rows; every `badEvery`-th row (if any) is broken in one of several ways.
    init(rows: Int, seed: UInt64, blockBytes: Int, badEvery: Int? = nil) {
        var rng = SplitMix64(seed: seed)
        let channels = ["email", "web", "app", "store", "call,center", "say \"hi\"", "sms", "push", "social", "tv", "radio", "print"]
        let events = ["view", "click", "purchase", "", "add_to_cart"]
        let actions = ["", "", "discount10", "multi\nline action", "free_shipping"]
        var text = "note,customer_id,timestamp,channel,event,value,action,propensity\n"
        var line = 2
        var kept: [(customer: String, time: Int64, index: Int, line: String, value: Double)] = []
        func quoted(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        for r in 0..<rows {
            var note = "n\(r)"
            let offset = text.utf8.count
            let toBoundary = blockBytes - offset % blockBytes
            if toBoundary > 8 && toBoundary < 120 {
                // A long quoted note with line feeds, spanning the next read boundary.
                note = "long\nnote \"\(r)\", with commas\n" + String(repeating: "lorem ipsum\n", count: 12)
                straddles += 1
            }
            let customer = "cust\(rng.next() % 300)"
            let seconds = 1_704_067_200 + Int64(rng.next() % 500) * 3600  // coarse grid: many ties
            let time = rng.next() % 2 == 0 ? "\(seconds)" : "\(seconds * 1000)"
            let channel = channels[Int(rng.next() % UInt64(channels.count))]
            let event = events[Int(rng.next() % UInt64(events.count))]
            let cents = Int(rng.next() % 100_000)
            let valueText = rng.next() % 3 == 0 ? "" : "\(cents / 100).\(String(format: "%02d", cents % 100))"
            let action = actions[Int(rng.next() % UInt64(actions.count))]
            let propensity = rng.next() % 2 == 0 ? "" : "0.\(1 + rng.next() % 9)"
            var fields = [quoted(note), customer, time, quoted(channel), event, valueText, quoted(action), propensity]
            var bad: (code: JourneyError.Code, field: Int)? = nil  // the error is reported at that field
            if let badEvery, r % badEvery == badEvery - 1 {
                switch (r / badEvery) % 5 {
                case 0: fields[2] = "2024-13-01"; bad = (.timestampOutOfRange, 2)
                case 1: fields.removeLast(); bad = (.wrongFieldCount, 0)
                case 2: fields[5] = "NaN"; bad = (.invalidNumber, 5)
                case 3:
                    // Text after a closing quote: the parser skips to the next line feed, so no quoted
                    // line feed may follow in this row (it would make a second, bogus record).
                    fields[3] = "\"we\"b\""
                    fields[6] = "discount10"
                    bad = (.malformedQuoting, 3)
                default: fields[7] = "1.5"; bad = (.invalidNumber, 7)
                }
            }
            let record = fields.joined(separator: ",") + "\n"
            text += record
            if let bad {
                let before = fields[..<bad.field].joined(separator: ",")
                badRows.append((line + before.utf8.count(where: { $0 == 0x0A }), bad.code))
            } else {
                let eventName = event.isEmpty ? "touch" : event
                kept.append((customer, micros(seconds), kept.count, "\(customer) \(channel) \(eventName)", Double(valueText) ?? 0))
            }
            line += record.utf8.count(where: { $0 == 0x0A })
        }
        bytes = Array(text.utf8)
        goodRows = kept.count
        var firstSeen: [String: Int] = [:]
        for row in kept where firstSeen[row.customer] == nil {
            firstSeen[row.customer] = firstSeen.count
            expectedCustomers.append(row.customer)
        }
        let ordered = kept.sorted { a, b in
            (firstSeen[a.customer]!, a.time, a.index) < (firstSeen[b.customer]!, b.time, b.index)
        }
        expectedLines = ordered.map(\.line)
        expectedTimestamps = ordered.map(\.time)
        expectedValues = ordered.map(\.value)
    }
}

@Suite struct ParallelReadTests {
    static let blockBytes = 4096

    @Test(arguments: [7 as UInt64, 2024])
    func sameStoreForOneAndTwoThreadsAndAnyBlockSize(seed: UInt64) throws {
        let log = GeneratedLog(rows: 3000, seed: seed, blockBytes: Self.blockBytes)
        #expect(log.bytes.count > 40 * Self.blockBytes, "many blocks")
        #expect(log.straddles >= 10, "quoted line feeds across read boundaries")
        let path = try writeInput(log.bytes)

        let single = try EventReader.read(path: path, options: options { $0.blockBytes = 4 << 20 })
        let small1 = try EventReader.read(path: path, options: options { $0.blockBytes = Self.blockBytes })
        let small2 = try EventReader.read(path: path, options: options { $0.blockBytes = Self.blockBytes; $0.threads = 2 })
        let odd2 = try EventReader.read(path: path, options: options { $0.blockBytes = 5000; $0.threads = 2 })

        // The store is what the generator says it must be…
        #expect(single.report.rowsKept == 3000)
        #expect(single.store.lines == log.expectedLines)
        #expect(single.store.timestamps == log.expectedTimestamps)
        #expect(single.store.values == log.expectedValues)
        #expect(Array(single.store.customerIDs) == log.expectedCustomers)
        #expect(Array(single.store.actionNames).contains("multi\nline action"))
        // …and the same, column for column, however it is read.
        for other in [small1, small2, odd2] {
            expectSameStore(single.store, other.store)
            #expect(other.report.rowsRead == 3000 && other.report.rowsKept == 3000 && other.report.rowsRejected == 0)
            #expect(other.report.bytesRead == log.bytes.count)
        }
    }

    @Test(arguments: [1, 2])
    func rejectsComeInOrderWithTheirLines(threads: Int) throws {
        let log = GeneratedLog(rows: 3000, seed: 99, blockBytes: Self.blockBytes, badEvery: 37)
        let path = try writeInput(log.bytes)
        var rejected: [RejectedRow] = []
        let (store, report) = try EventReader.read(
            path: path, options: options { $0.blockBytes = Self.blockBytes; $0.threads = threads; $0.maxErrors = 1000 }
        ) { rejected.append($0) }
        #expect(rejected.count == log.badRows.count)
        #expect(rejected.map(\.position.line) == log.badRows.map(\.line))
        #expect(rejected.map(\.code) == log.badRows.map(\.code))
        #expect(rejected.allSatisfy { $0.position.file == path && $0.position.column != nil && !$0.reason.isEmpty && !$0.record.isEmpty })
        #expect(report.rowsRead == 3000)
        #expect(report.rowsKept == log.goodRows)
        #expect(report.rowsRead == report.rowsKept + report.rowsRejected)
        #expect(store.lines == log.expectedLines)
        #expect(store.timestamps == log.expectedTimestamps)

        // One fewer allowed: the last bad row stops the read.
        let error = #expect(throws: JourneyError.self) {
            _ = try EventReader.read(
                path: path, options: options { $0.blockBytes = Self.blockBytes; $0.threads = threads; $0.maxErrors = log.badRows.count - 1 })
        }
        #expect(error?.code == .tooManyErrors)
        #expect(error?.position?.line == log.badRows.last?.line)
    }
}

/// Where the splitter may cut a block: after a line feed that the parser also sees as a record end.
@Suite struct RecordSplitterTests {
    private func end(_ text: String, separator: Unicode.Scalar = ",", quoteAware: Bool = true) -> Int? {
        RecordSplitter.lastRecordEnd(in: Array(text.utf8), quoteAware: quoteAware, separator: UInt8(ascii: separator))
    }

    @Test func lastLineFeedOutsideQuotes() {
        #expect(end("a,b\nc,d\ne") == 8)
        #expect(end("a,\"x\ny\"\nc") == 8)  // the first line feed is inside quotes
        #expect(end("a,\"x\"\"\ny\"\nz") == 10)  // a doubled quote does not close the field
        #expect(end("\"a\"\r\nb") == 5)
        #expect(end("no line feed") == nil)
    }

    @Test func quoteOpenAtTheEndOfTheBlock() {
        #expect(end("a,\"x\ny") == nil)
        #expect(end("h\na,\"x\ny") == 2)
        #expect(end("h\nb,\"x\ny\"") == 2)  // closed by the block's last byte: maybe a doubled quote
    }

    @Test func strayQuoteDoesNotFlipLaterLineFeeds() {
        // The parser rejects `2"x` and skips to its line feed; `"c\nd"` is then a quoted field.
        #expect(end("a,2\"x\nb,\"c\nd\"\ne") == 14)
        // Text after a closing quote: the parser skips to the next line feed, quotes or not.
        #expect(end("\"a\"b,\"c\nd\n") == 10)
    }

    @Test func quotesOpenOnlyAtAFieldStartForThisSeparator() {
        #expect(end("a;\"x\ny\"", separator: ";") == nil)
        #expect(end("a;\"x\ny\"", separator: ",") == 5)
    }

    @Test func ndjsonIgnoresQuotes() {
        #expect(end("{\"a\":\"x\n{\"b\n", quoteAware: false) == 12)
    }
}
