import Foundation
import Testing

@testable import Journeys

private let header = "customer_id,timestamp,channel\n"
private let good = "a,2024-01-01,web\n"

/// Each kind of bad event input gives its own error code, at the right line and column, with a reason.
@Suite struct BadInputTests {
    // MARK: Quoting

    @Test func strayQuoteInAnUnquotedField() throws {
        try expectReadError(header + good + "b,2024-01-01,w\"eb\n" + good, .malformedQuoting, line: 3, column: 15,
            messageContains: ["quote inside an unquoted field"])
    }

    @Test func textAfterAClosingQuote() throws {
        try expectReadError(header + good + "b,\"2024-01-01\"x,web\n" + good, .malformedQuoting, line: 3, column: 15,
            messageContains: ["after a closing quote"])
    }

    @Test func unclosedQuoteAtTheEndOfInput() throws {
        try expectReadError(header + good + "b,2024-01-01,\"web\nc,2024-01-02,app\n", .malformedQuoting, line: 3, column: 14,
            messageContains: ["never closed"])
    }

    /// A stray quote must not throw the block splitter off: the rest of a large file is still read row
    /// by row (not swallowed as one over-long record).
    @Test(arguments: [1, 2])
    func strayQuoteInALargeFile(threads: Int) throws {
        var text = header
        for i in 0..<4 { text += "c\(i),2024-01-01,web\n" }
        text += "tv,2024-01-01,27\" monitor\n"  // line 6
        for i in 0..<2000 { text += "d\(i),2024-01-02,app\n" }
        let small = options { $0.blockBytes = 4096; $0.maxRecordBytes = 1024; $0.threads = threads }
        try expectReadError(text, options: small, .malformedQuoting, line: 6, column: 17)

        var rejected: [RejectedRow] = []
        var tolerant = small
        tolerant.maxErrors = 3
        let (store, report) = try EventReader.read(path: try writeInput(text), options: tolerant) { rejected.append($0) }
        #expect(rejected.map(\.position.line) == [6])
        #expect(rejected.map(\.code) == [.malformedQuoting])
        #expect(report.rowsKept == 2004)
        #expect(store.count == 2004)
    }

    // MARK: Shape

    @Test func tooManyFields() throws {
        try expectReadError(header + good + "b,2024-01-01,web,extra\n", .wrongFieldCount, line: 3, column: 1,
            messageContains: ["expected 3 fields", "found 4"])
    }

    @Test func tooFewFields() throws {
        try expectReadError(header + good + good + "b,2024-01-01\n", .wrongFieldCount, line: 4, column: 1,
            messageContains: ["expected 3 fields", "found 2"])
    }

    @Test func missingRequiredColumnListsTheHeader() throws {
        try expectReadError("customer_id,channel,when\n" + "a,web,2024-01-01\n", .missingColumn, line: 1, column: nil,
            messageContains: ["required column 'timestamp'", "found 'customer_id', 'channel', 'when'"])
        try expectReadError("user,when,channel\n", .missingColumn, line: 1, column: nil,
            messageContains: ["required columns 'customer_id', 'timestamp'", "found 'user', 'when', 'channel'"])
    }

    @Test func duplicateHeaderNames() throws {
        try expectReadError("customer_id,timestamp,channel,channel\n" + "a,2024-01-01,web,app\n", .duplicateColumn, line: 1, column: 31,
            messageContains: ["'channel' twice", "fields 3 and 4"])
        try expectReadError("note,customer_id,timestamp,channel,note\n", .duplicateColumn, line: 1, column: 36)
    }

    @Test func emptyFile() throws {
        try expectReadError([UInt8](), .emptyInput, line: 1, column: 1, messageContains: ["is empty", "customer_id"])
        // NDJSON has no header: an empty file is zero events.
        #expect(try read("", ext: "ndjson").store.count == 0)
    }

    @Test func blankFirstLine() throws {
        try expectReadError("\n" + header + good, .emptyInput, line: 1, column: 1, messageContains: ["first line is empty"])
    }

    @Test func emptyRequiredField() throws {
        try expectReadError(header + ",2024-01-01,web\n", .emptyField, line: 2, column: 1, messageContains: ["'customer_id' is empty"])
        try expectReadError(header + "a,2024-01-01,\n", .emptyField, line: 2, column: 14, messageContains: ["'channel' is empty"])
    }

    // MARK: Timestamps

    @Test(arguments: ["13/03/2024", "yesterday", "2024-03-13T10:21:14 UTC", "1e9", "2024-3-1"])
    func unknownTimestampFormat(text: String) throws {
        try expectReadError(header + good + "b,\(text),web\n", .invalidTimestamp, line: 3, column: 3,
            messageContains: ["'\(text)'", "no accepted format"])
    }

    @Test(arguments: [
        ("2024-13-01", "month 13"), ("2023-02-30", "day 30 of month 2 in 2023"), ("2024-01-01T24:00:00", "hour 24"),
        ("0999-12-31", "year 999 is before 1000"),
    ])
    func timestampOutOfRange(text: String, reason: String) throws {
        try expectReadError(header + good + "b,\(text),web\n", .timestampOutOfRange, line: 3, column: 3,
            messageContains: ["'\(text)'", reason])
    }

    // MARK: Bytes

    @Test(arguments: [
        ([0xFF], "0xFF"), ([0xC0, 0xAF], "0xC0"), ([0xED, 0xA0, 0x80], "0xED"), ([0xE2, 0x82], "0xE2"), ([0x80], "0x80"),
        ([0xF4, 0x90, 0x80, 0x80], "0xF4"),
    ] as [([UInt8], String)])
    func notUTF8(bad: [UInt8], shown: String) throws {
        // "é" before the bad bytes is one character: columns count characters, not bytes.
        let bytes = Array((header + good + "é,2024-01-01,w").utf8) + bad + Array("b\n".utf8)
        try expectReadError(bytes, .invalidText, line: 3, column: 15, messageContains: [shown, "UTF-8"])
    }

    @Test func validMultiByteTextIsAccepted() throws {
        let (store, _) = try read(header + "é,2024-01-01,ウェブ\n😀,2024-01-01,\u{10FFFF}\n")
        #expect(Array(store.customerIDs) == ["é", "😀"])
        #expect(Array(store.channelNames) == ["ウェブ", "\u{10FFFF}"])
    }

    @Test func nulByte() throws {
        let bytes = Array((header + good + "b,2024-01-01,w").utf8) + [0] + Array("b\n".utf8)
        try expectReadError(bytes, .invalidText, line: 3, column: 15, messageContains: ["NUL"])
    }

    @Test func badBytesInTheHeader() throws {
        try expectReadError(Array("customer_id,time".utf8) + [0xFF] + Array("stamp,channel\n".utf8) + Array(good.utf8),
            .invalidText, line: 1, column: 17, messageContains: ["UTF-8"])
        try expectReadError(Array("customer_id,time".utf8) + [0] + Array("stamp,channel\n".utf8),
            .invalidText, line: 1, column: 17, messageContains: ["NUL"])
    }

    // MARK: Length

    /// Default blocks (4 MiB) hold the line's end; 4 KiB blocks make the reader skip it block by block.
    @Test(arguments: [(1, 4 << 20), (2, 4096)])
    func tenMegabyteLine(threads: Int, blockBytes: Int) throws {
        var bytes = Array((header + good + "b,2024-01-01,").utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        bytes += Array("\nc,2024-01-02,app\nd,never,app\ne,2024-01-03,web\n".utf8)
        try withInput(bytes) { path in
            let error = #expect(throws: JourneyError.self) {
                _ = try EventReader.read(path: path, options: options { $0.threads = threads; $0.blockBytes = blockBytes })
            }
            if let error {
                expectError(error, .recordTooLong, file: path, line: 3, column: 1, messageContains: ["longer than the limit of 1048576"])
            }

            var rejected: [RejectedRow] = []
            let (store, report) = try EventReader.read(path: path, options: options { $0.threads = threads; $0.blockBytes = blockBytes; $0.maxErrors = 2 }) {
                rejected.append($0)
            }
            #expect(rejected.map(\.position.line) == [3, 5])
            #expect(rejected.map(\.code) == [.recordTooLong, .invalidTimestamp])
            #expect(rejected.first?.record.count == 64 << 10)  // only the start of the long record is kept
            #expect(store.lines == ["a web touch", "c app touch", "e web touch"])
            #expect(report.rowsRead == 5 && report.rowsKept == 3 && report.rowsRejected == 2)
        }
    }

    @Test func recordLongerThanAConfiguredLimit() throws {
        let long = "b,2024-01-01," + String(repeating: "y", count: 100) + "\n"
        try expectReadError(header + good + long, options: options { $0.maxRecordBytes = 64 }, .recordTooLong, line: 3, column: 1)
        try expectReadError(header + good + long + good, options: options { $0.maxRecordBytes = 64 }, .recordTooLong, line: 3, column: 1)
    }

    // MARK: Numbers

    @Test(arguments: ["NaN", "nan", "inf", "-inf", "Infinity", "abc", "1.2.3", "1e400", "-1e400", "0x1p3", " 1", "1 ", "1,5", "--1", "+", "."])
    func valueThatIsNotAFiniteNumber(text: String) throws {
        // The field is quoted (so "1,5" and " 1" stay one field); the column is its first character inside the quote.
        try expectReadError(
            "customer_id,timestamp,channel,value\na,2024-01-01,web,1\nb,2024-01-01,web,\"\(text)\"\n", .invalidNumber, line: 3, column: 19,
            messageContains: ["'value'", "not a finite number"])
    }

    @Test(arguments: ["0", "-0.1", "1.5", "1.0000001", "nan", "abc", "-0", "1e400"])
    func propensityOutsideZeroToOne(text: String) throws {
        try expectReadError(
            "customer_id,timestamp,channel,propensity\na,2024-01-01,web,0.5\nb,2024-01-01,web,\(text)\n", .invalidNumber, line: 3,
            column: 18, messageContains: ["'propensity'", "(0, 1]"])
    }

    @Test func propensityBoundsThatAreAccepted() throws {
        let (store, _) = try read("customer_id,timestamp,channel,propensity\na,2024-01-01,web,1\na,2024-01-02,web,1e-9\na,2024-01-03,web,.5\n")
        #expect(store.propensities == [1, Float(1e-9 as Double), 0.5])
    }

    // MARK: Too many distinct channels

    /// `count` rows, each with a channel of its own.
    private func distinctChannels(_ count: Int) -> [UInt8] {
        var text = header
        text.reserveCapacity(count * 24)
        for i in 0..<count { text += "c,1704067200,ch\(i)\n" }
        return Array(text.utf8)
    }

    @Test func sixtyFiveThousandFiveHundredThirtyFiveChannelsFit() throws {
        let (store, _) = try withInput(distinctChannels(65_535)) { try EventReader.read(path: $0, options: options()) }
        #expect(store.channelNames.count == 65_535)
        #expect(store.channels.max() == 65_534)
    }

    @Test(arguments: [(1, 4 << 20), (2, 64 << 10)])
    func moreThan65535ChannelsIsFatalEvenWithMaxErrors(threads: Int, blockBytes: Int) throws {
        try withInput(distinctChannels(65_536)) { path in
            let error = #expect(throws: JourneyError.self) {
                _ = try EventReader.read(
                    path: path, options: options { $0.threads = threads; $0.blockBytes = blockBytes; $0.maxErrors = 1_000_000 })
            }
            if let error {
                // Row 65,536 (line 65,537) brings channel number 65,536.
                expectError(error, .tooManyDistinct, file: path, line: 65_537, column: 14, messageContains: ["distinct channels"])
            }
        }
    }
}
