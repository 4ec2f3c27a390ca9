import Foundation
import Testing

@testable import Journeys

/// `maxErrors`: bad rows are skipped and reported, in order, until there are too many.
@Suite struct ToleranceTests {
    static let input = """
        customer_id,timestamp,channel,value
        a,2024-01-01,web,1
        b,notatime,web,2
        c,2024-01-01
        d,2024-01-02,web,3

        e,2024-01-01,we"b,4
        f,2024-01-01,web,5,extra
        "g
        h",2024-13-01,web,6
        i,2024-01-03,web,NaN
        j,2024-01-03,app,7
        """

    @Test func badRowsAreSkippedAndReportedInOrder() throws {
        let path = try writeInput(Self.input)
        var rejected: [RejectedRow] = []
        let (store, report) = try EventReader.read(path: path, options: options { $0.maxErrors = 6 }) { rejected.append($0) }
        #expect(rejected.map(\.position) == [
            InputPosition(file: path, line: 3, column: 3),
            InputPosition(file: path, line: 4, column: 1),
            InputPosition(file: path, line: 7, column: 16),
            InputPosition(file: path, line: 8, column: 1),
            InputPosition(file: path, line: 10, column: 4),
            InputPosition(file: path, line: 11, column: 18),
        ])
        #expect(rejected.map(\.code) == [.invalidTimestamp, .wrongFieldCount, .malformedQuoting, .wrongFieldCount, .timestampOutOfRange, .invalidNumber])
        #expect(rejected[0].reason.contains("'notatime'"))
        #expect(rejected[1].reason.contains("found 2"))
        #expect(rejected[3].reason.contains("found 5"))
        #expect(rejected[4].reason.contains("month 13"))
        #expect(rejected[5].reason.contains("'NaN'"))
        #expect(rejected.map { String(decoding: $0.record, as: UTF8.self) } == [
            "b,notatime,web,2", "c,2024-01-01", "e,2024-01-01,we\"b,4", "f,2024-01-01,web,5,extra", "\"g\nh\",2024-13-01,web,6",
            "i,2024-01-03,web,NaN",
        ])
        #expect(report.rowsRead == 9)
        #expect(report.rowsKept == 3)
        #expect(report.rowsRejected == 6)
        #expect(report.blankLines == 1)
        #expect(report.rowsRead == report.rowsKept + report.rowsRejected)
        #expect(store.lines == ["a web touch", "d web touch", "j app touch"])
        #expect(store.values == [1, 3, 7])
    }

    @Test func oneMoreBadRowThanAllowedStopsTheRead() throws {
        let path = try writeInput(Self.input)
        var rejected: [RejectedRow] = []
        let error = #expect(throws: JourneyError.self) {
            _ = try EventReader.read(path: path, options: options { $0.maxErrors = 5 }) { rejected.append($0) }
        }
        if let error {
            expectError(error, .tooManyErrors, file: path, line: 11, column: 18, messageContains: ["more than 5 rows", "'NaN'"])
        }
        #expect(rejected.count == 5)
    }

    @Test func withoutMaxErrorsTheFirstBadRowStopsTheRead() throws {
        var rejected = 0
        let path = try writeInput(Self.input)
        let error = #expect(throws: JourneyError.self) {
            _ = try EventReader.read(path: path, options: options()) { _ in rejected += 1 }
        }
        if let error { expectError(error, .invalidTimestamp, file: path, line: 3, column: 3) }
        #expect(rejected == 0)
    }

    @Test func ndjsonRejects() throws {
        let path = try writeInput(
            """
            {"customer_id":"a","timestamp":"2024-01-01","channel":"web"}
            {"customer_id":"b","timestamp":"2024-01-01","channel":"web"
            not json
            {"customer_id":"c","timestamp":"2024-01-01"}
            {"customer_id":"d","timestamp":"2024-01-01","channel":"app"}
            """, ext: "ndjson")
        var rejected: [RejectedRow] = []
        let (store, report) = try EventReader.read(path: path, options: options { $0.maxErrors = 3 }) { rejected.append($0) }
        #expect(rejected.map(\.position.line) == [2, 3, 4])
        #expect(rejected.map(\.code) == [.malformedJSON, .malformedJSON, .emptyField])
        #expect(store.lines == ["a web touch", "d app touch"])
        #expect(report.rowsRead == 5 && report.rowsKept == 2 && report.rowsRejected == 3)
    }
}

/// Reading `"-"` reads standard input: fd 0 is pointed at a pipe for the duration of the test.
@Suite(.serialized) struct StandardInputTests {
    private func withStandardInput<R>(_ text: String, _ body: () throws -> R) throws -> R {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let bytes = Array(text.utf8)
        try #require(bytes.count < 60_000, "the pipe must hold the whole input")
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
        close(fds[1])
        let saved = dup(0)
        dup2(fds[0], 0)
        close(fds[0])
        defer {
            dup2(saved, 0)
            close(saved)
        }
        return try body()
    }

    @Test func readsCSVFromAPipe() throws {
        let text = "customer_id,timestamp,channel\nb,2024-01-02,web\nb,2024-01-01,app\n"
        let (store, report) = try withStandardInput(text) { try EventReader.read(path: "-", options: options()) }
        #expect(store.lines == ["b app touch", "b web touch"])
        #expect(report.bytesRead == text.utf8.count)
    }

    @Test func errorsNameStandardInput() throws {
        let error = try withStandardInput("customer_id,timestamp,channel\nb,2024-01-02,web\nb,soon,app\n") {
            #expect(throws: JourneyError.self) { _ = try EventReader.read(path: "-", options: options()) }
        }
        if let error { expectError(error, .invalidTimestamp, file: "<stdin>", line: 3, column: 3) }
    }

    @Test func ndjsonFromAPipeWithTheFormatOption() throws {
        let (store, _) = try withStandardInput(#"{"customer_id":"a","timestamp":"2024-01-01","channel":"web"}"# + "\n") {
            try EventReader.read(path: "-", options: options { $0.format = .ndjson; $0.threads = 2; $0.blockBytes = 4096 })
        }
        #expect(store.lines == ["a web touch"])
    }

    @Test func pathTableFromAPipe() throws {
        let table = try withStandardInput("path;total_conversions\na > b;2\n") { try PathTable.read(path: "-") }
        #expect(table.count == 1)
    }
}
