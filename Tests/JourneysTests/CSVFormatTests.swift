import Foundation
import Testing

@testable import Journeys

/// The CSV features the reader accepts: RFC 4180 quoting, line endings, BOM, separators, column mapping.
@Suite struct CSVFormatTests {
    @Test func quotedFieldsHoldSeparatorsDoubledQuotesAndNewlines() throws {
        let (store, report) = try read(
            """
            customer_id,timestamp,channel,event
            "a,1",2024-01-01,"we""b",view
            "b
            two",2024-01-02,email,"multi
            line
            event"
            "",2024-01-03,app,
            c,2024-01-03,"",view

            """, options: options { $0.maxErrors = 5 })
        #expect(report.rowsRead == 4)
        #expect(report.rowsKept == 2)
        #expect(report.rowsRejected == 2)  // an empty (quoted) customer id, an empty (quoted) channel
        #expect(Array(store.customerIDs) == ["a,1", "b\ntwo"])
        #expect(Array(store.channelNames) == ["we\"b", "email"])
        #expect(Array(store.eventTypeNames) == ["view", "multi\nline\nevent"])
        #expect(store.timestamps == [Instant.jan1, Instant.jan2])
    }

    @Test func errorsAfterAMultiLineRecordNameTheRightLine() throws {
        // The record starting on line 3 spans lines 3 to 6; line 7 is fine; line 8 is bad.
        try expectReadError(
            """
            customer_id,timestamp,channel,event
            "a,1",2024-01-01,"we""b",view
            "b
            two",2024-01-02,email,"multi
            line
            event"
            c,2024-01-03,app,
            d,yesterday,app,view

            """, .invalidTimestamp, line: 8, column: 3, messageContains: ["'yesterday'", "timestamp"])
    }

    @Test func rejectsAfterMultiLineRecordsKeepTheirLines() throws {
        var rejected: [RejectedRow] = []
        let path = try writeInput(
            """
            customer_id,timestamp,channel
            "x
            y",2024-01-01,web
            a,bad,web
            "p

            q",2024-01-01,"e
            mail"
            b,2024-01-01
            c,2024-01-01,web
            """)
        let (store, report) = try EventReader.read(path: path, options: options { $0.maxErrors = 10 }) { rejected.append($0) }
        #expect(rejected.map(\.position) == [
            InputPosition(file: path, line: 4, column: 3),
            InputPosition(file: path, line: 9, column: 1),
        ])
        #expect(rejected.map(\.code) == [.invalidTimestamp, .wrongFieldCount])
        #expect(Array(store.customerIDs) == ["x\ny", "p\n\nq", "c"])
        #expect(Array(store.channelNames) == ["web", "e\nmail"])
        #expect(report.rowsRead == 5)
    }

    @Test func crlfLineEndings() throws {
        let (store, report) = try read(
            "customer_id,timestamp,channel,event\r\na,2024-01-01,web,view\r\n\"b\",2024-01-02,\"app\",\"buy\r\nnow\"\r\n\r\nc,2024-01-03,email,\r\n")
        #expect(report.rowsKept == 3)
        #expect(report.blankLines == 1)
        #expect(Array(store.channelNames) == ["web", "app", "email"])
        #expect(Array(store.eventTypeNames) == ["view", "buy\r\nnow", "touch"])
        #expect(store.timestamps == [Instant.jan1, Instant.jan2, Instant.jan3])
    }

    @Test func crlfErrorPositions() throws {
        try expectReadError(
            "customer_id,timestamp,channel\r\na,2024-01-01,web\r\nb,2024-01-01,\"ap\"p\r\n", .malformedQuoting,
            line: 3, column: 18)
    }

    @Test func loneCarriageReturnIsRejected() throws {
        try expectReadError("customer_id,timestamp,channel\na,2024-01-01,w\reb\n", .malformedQuoting, line: 2, column: 15)
    }

    @Test func utf8ByteOrderMarkIsSkipped() throws {
        let (store, _) = try read("\u{FEFF}customer_id,timestamp,channel\na,2024-01-01,web\n")
        #expect(store.lines == ["a web touch"])
        let (quoted, _) = try read("\u{FEFF}\"customer_id\",timestamp,channel\na,2024-01-01,web\n")
        #expect(quoted.lines == ["a web touch"])
    }

    @Test(arguments: [";", "\t", "|"])
    func configurableSeparator(separator: String) throws {
        let s = separator
        // The separator inside quotes is text; a comma is plain text with another separator.
        let text = "customer_id\(s)timestamp\(s)channel\(s)value\na\(s)2024-01-01\(s)w,eb\(s)2.5\n\"b\(s)c\"\(s)2024-01-02\(s)app\(s)\n"
        let (store, _) = try read(text, options: options { $0.separator = UInt8(ascii: Unicode.Scalar(s)!) })
        #expect(store.lines == ["a w,eb touch", "b\(s)c app touch"])
        #expect(store.values == [2.5, 0])
    }

    @Test func wrongSeparatorNamesItInTheMissingColumnMessage() throws {
        try expectReadError(
            "customer_id,timestamp,channel\na,2024-01-01,web\n", options: options { $0.separator = UInt8(ascii: ";") },
            .missingColumn, line: 1, column: nil, messageContains: ["separator ';'", "'customer_id,timestamp,channel'"])
    }

    @Test func columnMapping() throws {
        var o = options()
        try o.columns.map("customer_id", to: "user")
        try o.columns.map("timestamp", to: "when")
        try o.columns.map("channel", to: "via")
        try o.columns.map("event", to: "what")
        let (store, _) = try read("via,when,user,what\nweb,2024-01-01,u1,click\n", options: o)
        #expect(store.lines == ["u1 web click"])
        #expect(store.timestamps == [Instant.jan1])
    }

    @Test func mappingAnUnknownFieldIsRefused() {
        var columns = EventColumns()
        let error = #expect(throws: JourneyError.self) { try columns.map("customer", to: "user") }
        #expect(error?.code == .invalidOption)
        #expect(error?.message.contains("customer_id") == true)
    }

    @Test func twoFieldsMappedToOneColumnIsRefused() throws {
        var o = options()
        try o.columns.map("event", to: "channel")
        _ = try expectReadErrorWithoutPosition(o, .invalidOption, "same column")
    }

    @Test func invalidOptionsAreReportedTogether() throws {
        let o = options {
            $0.separator = UInt8(ascii: "\"")
            $0.threads = 0
            $0.blockBytes = 100
            $0.maxErrors = -1
            $0.maxRecordBytes = 10
        }
        let error = try expectReadErrorWithoutPosition(o, .invalidOption, "separator")
        for part in ["threads", "blockBytes", "maxErrors", "maxRecordBytes"] {
            #expect(error?.message.contains(part) == true, "\(part)")
        }
    }

    private func expectReadErrorWithoutPosition(
        _ o: EventReaderOptions, _ code: JourneyError.Code, _ fragment: String
    ) throws -> JourneyError? {
        let path = try writeInput("customer_id,timestamp,channel\na,2024-01-01,web\n")
        let error = #expect(throws: JourneyError.self) { _ = try EventReader.read(path: path, options: o) }
        #expect(error?.code == code)
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error))")
        return error
    }

    @Test func extraColumnsAreIgnored() throws {
        let (store, _) = try read(
            """
            note,customer_id,score,timestamp,channel,more
            "anything, ""quoted""
            even newlines",a,1.5,2024-01-01,web,x
            ,b,not a number,2024-01-02,app,"2024-99-99"

            """)
        #expect(store.lines == ["a web touch", "b app touch"])
        #expect(store.values == nil)
    }

    @Test func optionalColumnsAbsent() throws {
        let (store, _) = try read("customer_id,timestamp,channel\na,2024-01-01,web\na,2024-01-02,app\n")
        #expect(Array(store.eventTypeNames) == ["touch"])
        #expect(store.eventTypes == [0, 0])
        #expect(store.values == nil)
        #expect(store.actions == nil)
        #expect(store.propensities == nil)
        #expect(store.actionNames.isEmpty)
    }

    @Test func optionalColumnsPresent() throws {
        let (store, _) = try read(
            """
            customer_id,timestamp,channel,event,value,action,propensity
            a,2024-01-01,web,view,,,
            a,2024-01-02,email,click,12.5,email_discount10,0.25
            a,2024-01-03,app,purchase,-3,push_free_shipping,1

            """)
        #expect(store.lines == ["a web view", "a email click", "a app purchase"])
        #expect(store.values == [0, 12.5, -3])
        #expect(store.actions == [0, 1, 2])
        #expect(Array(store.actionNames) == ["email_discount10", "push_free_shipping"])
        #expect((0..<3).map(store.actionName) == [nil, "email_discount10", "push_free_shipping"])
        let propensities = try #require(store.propensities)
        #expect(propensities[0].isNaN)
        #expect(Array(propensities[1...]) == [0.25, 1])
    }

    @Test func defaultEventTypeIsConfigurable() throws {
        let (store, _) = try read(
            "customer_id,timestamp,channel,event\na,2024-01-01,web,\na,2024-01-02,web,view\n",
            options: options { $0.defaultEventType = "visit" })
        #expect(store.lines == ["a web visit", "a web view"])
    }

    @Test func fieldsAreNotTrimmed() throws {
        // RFC 4180: spaces are part of a field.
        let (store, _) = try read("customer_id,timestamp,channel\n a ,2024-01-01, web\n")
        #expect(Array(store.customerIDs) == [" a "])
        #expect(Array(store.channelNames) == [" web"])
    }

    @Test func blankLinesAreSkippedAndCounted() throws {
        let (store, report) = try read("customer_id,timestamp,channel\n\na,2024-01-01,web\n\n\nb,2024-01-01,web")
        #expect(store.count == 2)
        #expect(report.blankLines == 3)
        #expect(report.rowsRead == 2)
    }

    @Test func headerOnlyReadsZeroRows() throws {
        for text in ["customer_id,timestamp,channel\n", "customer_id,timestamp,channel", "customer_id,timestamp,channel\r\n"] {
            let (store, report) = try read(text)
            #expect(store.count == 0)
            #expect(store.customerCount == 0)
            #expect(store.customerOffsets == [0])
            #expect(store.timeRange == nil)
            #expect(report.rowsRead == 0 && report.rowsKept == 0 && report.rowsRejected == 0)
        }
    }

    @Test func lastRecordWithoutLineFeed() throws {
        let (store, _) = try read("customer_id,timestamp,channel\na,2024-01-01,web\nb,2024-01-02,\"app\"")
        #expect(store.lines == ["a web touch", "b app touch"])
    }

    @Test func reportCountsBytes() throws {
        let text = "customer_id,timestamp,channel\na,2024-01-01,web\n"
        let (_, report) = try read(text)
        #expect(report.bytesRead == text.utf8.count)
        #expect(report.seconds >= 0)
    }

    @Test func progressIsReported() throws {
        var rows = "customer_id,timestamp,channel\n"
        for i in 0..<2000 { rows += "c\(i % 50),\(1_704_067_200 + i),web\n" }
        var progress: [Int] = []
        let (_, report) = try EventReader.read(
            path: try writeInput(rows), options: options { $0.blockBytes = 4096 }, onProgress: { progress.append($0.rowsKept) })
        #expect(progress.count > 5)
        #expect(progress == progress.sorted())
        #expect(progress.last == report.rowsKept)
        #expect(report.rowsKept == 2000)
    }

    @Test func missingFileCannotBeRead() {
        let path = scratchDirectory + "/does-not-exist.csv"
        let error = #expect(throws: JourneyError.self) { _ = try EventReader.read(path: path) }
        #expect(error?.code == .cannotRead)
        #expect(error?.message.contains(path) == true)
    }

    @Test func directoryCannotBeRead() {
        let error = #expect(throws: JourneyError.self) { _ = try EventReader.read(path: scratchDirectory) }
        #expect(error?.code == .cannotRead)
        #expect(error?.message.contains("directory") == true)
    }
}
