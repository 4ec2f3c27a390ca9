import Foundation
import Testing

@testable import Journeys

private let header = "path;total_conversions;total_conversion_value;total_null\n"

private func readPaths(_ text: String, options: PathTableOptions = PathTableOptions()) throws -> PathTable {
    try PathTable.read(path: try writeInput(text), options: options)
}

/// The channel names of each row's path.
private func paths(_ table: PathTable) -> [[String]] {
    (0..<table.count).map { table.path($0).map { table.channelNames[Int($0)] } }
}

@discardableResult
private func expectPathError(
    _ text: String, options: PathTableOptions = PathTableOptions(), _ code: JourneyError.Code, line: Int, column: Int?,
    messageContains fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) throws -> JourneyError? {
    let path = try writeInput(text)
    let error = #expect(throws: JourneyError.self, sourceLocation: sourceLocation) {
        _ = try PathTable.read(path: path, options: options)
    }
    if let error {
        expectError(error, code, file: path, line: line, column: column, messageContains: fragments, sourceLocation: sourceLocation)
    }
    return error
}

@Suite struct PathTableTests {
    @Test func readsChannelAttributionStyleFile() throws {
        let table = try readPaths(
            header + """
                a > b > c;3;45.5;10
                b;0;0;4
                c > a;1.5;7;0
                c>c  >	b ;2;0;0

                """)
        #expect(table.count == 4)
        #expect(Array(table.channelNames) == ["a", "b", "c"])
        #expect(paths(table) == [["a", "b", "c"], ["b"], ["c", "a"], ["c", "c", "b"]])
        #expect(table.pathOffsets == [0, 3, 4, 6, 9])
        #expect(table.conversions == [3, 0, 1.5, 2])
        #expect(table.conversionValues == [45.5, 0, 7, 0])
        #expect(table.nulls == [10, 4, 0, 0])
    }

    @Test func committedFixture() throws {
        let url = try #require(Bundle.module.url(forResource: "paths", withExtension: "csv", subdirectory: "Fixtures"))
        let table = try PathTable.read(path: url.path)
        #expect(table.count == 6)
        #expect(Array(table.channelNames) == ["email", "web", "app", "store", "social"])
        #expect(table.conversions.reduce(0, +) == 17)
        #expect(table.nulls.reduce(0, +) == 120)
        #expect(paths(table)[5] == ["social", "web", "web", "store"])
    }

    @Test func optionalColumnsMayBeAbsent() throws {
        let table = try readPaths("total_conversions;path\n2;a > b\n1;b\n")
        #expect(paths(table) == [["a", "b"], ["b"]])
        #expect(table.conversions == [2, 1])
        #expect(table.conversionValues == [0, 0])
        #expect(table.nulls == [0, 0])

        let withNulls = try readPaths("path;total_null;total_conversions;extra\na;5;0;x\n")
        #expect(withNulls.nulls == [5])
        #expect(withNulls.conversionValues == [0])
    }

    @Test func otherSeparatorsAndQuotedFieldsAndCRLF() throws {
        var o = PathTableOptions()
        o.separator = UInt8(ascii: ",")
        o.stepSeparator = "->"
        o.pathColumn = "journey"
        o.conversionsColumn = "conv"
        let table = try readPaths("\u{FEFF}journey,conv\r\n\"a, the first -> b\",1\r\nb->c,2\r\n", options: o)
        #expect(paths(table) == [["a, the first", "b"], ["b", "c"]])
    }

    @Test func fractionalCountsAreAccepted() throws {
        let table = try readPaths(header + "a > b;0.25;1.5;0.75\na;1e-3;0;0\n")
        #expect(table.conversions == [0.25, 0.001])
        #expect(table.nulls == [0.75, 0])
    }

    @Test func theSamePathMayAppearTwice() throws {
        let table = try readPaths(header + "a > b;1;0;0\na > b;2;0;0\n")
        #expect(paths(table) == [["a", "b"], ["a", "b"]])
    }

    // MARK: Bad input

    @Test func emptyPath() throws {
        try expectPathError(header + "a;1;0;0\n;1;0;0\n", .invalidPath, line: 3, column: 1, messageContains: ["path is empty"])
        try expectPathError(header + "a;1;0;0\n  ;1;0;0\n", .invalidPath, line: 3, column: 1, messageContains: ["path is empty"])
    }

    @Test func emptyStep() throws {
        try expectPathError(
            header + "a >  > b;1;0;0\n", .invalidPath, line: 2, column: 1, messageContains: ["'a >  > b'", "empty step"])
        try expectPathError(header + "a > b >;1;0;0\n", .invalidPath, line: 2, column: 1, messageContains: ["empty step"])
        try expectPathError(header + "> a;1;0;0\n", .invalidPath, line: 2, column: 1, messageContains: ["empty step"])
        // Only separators.
        try expectPathError(header + " >  > ;1;0;0\n", .invalidPath, line: 2, column: 1, messageContains: ["empty step"])
    }

    @Test(arguments: ["(start)", "(conversion)", "(null)"])
    func reservedStepName(name: String) throws {
        try expectPathError(
            header + "a;1;0;0\nb > \(name) > c;1;0;0\n", .invalidPath, line: 3, column: 1, messageContains: ["'\(name)'", "reserved"])
    }

    @Test func negativeCount() throws {
        try expectPathError(header + "a > b;-1;0;2\n", .invalidNumber, line: 2, column: 7, messageContains: ["'total_conversions'", "negative"])
        try expectPathError(header + "a > b;1;0;-2\n", .invalidNumber, line: 2, column: 11, messageContains: ["'total_null'", "negative"])
        try expectPathError(header + "a > b;1;-5;0\n", .invalidNumber, line: 2, column: 9, messageContains: ["'total_conversion_value'"])
    }

    @Test(arguments: ["NaN", "inf", "", "three", "1,5", "1e400", "0x10"])
    func countThatIsNotANumber(text: String) throws {
        try expectPathError(
            header + "a > b;\(text);0;2\n", .invalidNumber, line: 2, column: 7, messageContains: ["'total_conversions'", "not a finite number"])
    }

    @Test func valueWithZeroConversions() throws {
        try expectPathError(header + "a > b;0;10;4\n", .invalidPath, line: 2, column: 9, messageContains: ["conversion value 10.0", "0 conversions"])
    }

    @Test func allZeroCounts() throws {
        try expectPathError(header + "a;1;0;0\na > b;0;0;0\n", .invalidPath, line: 3, column: 7, messageContains: ["0 conversions and 0 nulls"])
        try expectPathError("path;total_conversions\na;0\n", .invalidPath, line: 2, column: 3)
    }

    @Test func wrongFieldCount() throws {
        try expectPathError(header + "a;1;0;0\nb;1;0\n", .wrongFieldCount, line: 3, column: 1, messageContains: ["expected 4 fields", "found 3"])
        try expectPathError(header + "b;1;0;0;9\n", .wrongFieldCount, line: 2, column: 1, messageContains: ["found 5"])
    }

    @Test func malformedQuoting() throws {
        try expectPathError(header + "a;1;0;0\n\"a\" > b;1;0;0\n", .malformedQuoting, line: 3, column: 4)
        try expectPathError(header + "a\"b;1;0;0\n", .malformedQuoting, line: 2, column: 2)
        try expectPathError(header + "a;1;0;0\n\"a > b;1;0;0\n", .malformedQuoting, line: 3, column: 1, messageContains: ["never closed"])
    }

    @Test func missingColumn() throws {
        try expectPathError(
            "path,total_conversions\na,1\n", .missingColumn, line: 1, column: nil,
            messageContains: ["'path'", "'path,total_conversions'", "separator ';'"])
        try expectPathError("path;conversions\na;1\n", .missingColumn, line: 1, column: nil, messageContains: ["'total_conversions'"])
    }

    @Test func emptyFileAndHeaderOnly() throws {
        try expectPathError("", .emptyInput, line: 1, column: nil, messageContains: ["empty"])
        try expectPathError(header, .emptyInput, line: 2, column: nil, messageContains: ["no paths"])
    }

    @Test func badBytes() throws {
        try expectPathError(header + "a;1;0;0\nb\u{0}c;1;0;0\n", .invalidText, line: 3, column: 2, messageContains: ["NUL"])
        let bytes = Array((header + "a;1;0;0\nb").utf8) + [0xC0, 0xAF] + Array(";1;0;0\n".utf8)
        let path = try writeInput(bytes)
        let error = #expect(throws: JourneyError.self) { _ = try PathTable.read(path: path) }
        if let error { expectError(error, .invalidText, file: path, line: 3, column: 2, messageContains: ["UTF-8"]) }
    }
}

/// Files over 1 MiB without quotes are read in two halves on two threads; the table must be the one
/// a row-by-row read gives, and errors in the second half must name their own line.
@Suite struct PathTableShardTests {
    static func rows(_ count: Int) -> (text: String, paths: [[String]], conversions: [Double]) {
        var text = "path;total_conversions;total_conversion_value;total_null\n"
        var paths: [[String]] = []
        var conversions: [Double] = []
        var state: UInt64 = 99
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for i in 0..<count {
            // Channels first seen late in the file test the renumbering of the second half.
            let alphabet = i < count / 2 ? 6 : 9
            let path = (0..<(1 + next(5))).map { _ in "channel\(next(alphabet))" }
            let converted = Double(next(3))
            paths.append(path)
            conversions.append(converted)
            text += "\(path.joined(separator: " > "));\(Int(converted));\(converted * 2);\(converted == 0 ? 1 : 0)\n"
        }
        return (text, paths, conversions)
    }

    @Test func halvesGiveTheRowByRowTable() throws {
        let (text, paths, conversions) = Self.rows(40_000)
        #expect(text.utf8.count > 1 << 20)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString).csv").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let table = try PathTable.read(path: file)
        #expect(table.count == paths.count)
        var firstSeen: [String] = []
        for path in paths { for step in path where !firstSeen.contains(step) { firstSeen.append(step) } }
        #expect(Array(table.channelNames) == firstSeen)
        for row in stride(from: 0, to: paths.count, by: 997) {
            #expect(table.path(row).map { table.channelNames[Int($0)] } == paths[row], "row \(row)")
            #expect(table.conversions[row] == conversions[row])
            #expect(table.conversionValues[row] == conversions[row] * 2)
        }
        #expect(table.path(paths.count - 1).map { table.channelNames[Int($0)] } == paths.last!)
    }

    @Test func errorInTheSecondHalfNamesItsLine() throws {
        var (text, _, _) = Self.rows(40_000)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[35_000] = "a > b;-1;0;1"  // line 35,001 of the file
        text = lines.joined(separator: "\n")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString).csv").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: JourneyError.self) { try PathTable.read(path: file) }
        #expect(error.position?.line == 35_001)
        #expect(error.message.contains("negative"))
    }
}

@Suite struct PathTableChannelLimitTests {
    /// 70,000 distinct channels spread over both halves of a > 1 MiB file: a clear error, not a trap.
    @Test func tooManyChannelsAcrossHalves() throws {
        var text = "path;total_conversions;total_conversion_value;total_null\n"
        for i in 0..<70_000 { text += "channel-number-\(i);1;0;0\n" }
        #expect(text.utf8.count > 1 << 20)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("many-\(UUID().uuidString).csv").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: JourneyError.self) { try PathTable.read(path: file) }
        #expect(error.code == .tooManyDistinct)
    }
}

/// `PathTable.scan` (parts parsed in parallel, rows handed to sinks) and the fast path for plain lines.
@Suite struct PathTableScanTests {
    /// Collects what a part's sink receives.
    struct Collected: PathRowSink, Sendable {
        var paths: [[UInt16]] = []
        var counts: [[Double]] = []
        mutating func add(steps: UnsafeBufferPointer<UInt16>, conversions: Double, value: Double, nulls: Double) {
            paths.append(Array(steps))
            counts.append([conversions, value, nulls])
        }
    }

    @Test(arguments: [1, 2, 5])
    func partsInFileOrderGiveTheTable(threads: Int) throws {
        let (text, _, _) = PathTableShardTests.rows(40_000)
        let file = try writeInput(text)
        let table = try PathTable.read(path: file)
        let parts = try PathTable.scan(path: file, threads: threads) { Collected() }
        #expect(parts.count == threads)
        var row = 0
        for part in parts {
            #expect(part.rows == part.sink.paths.count)
            for (path, counts) in zip(part.sink.paths, part.sink.counts) {
                #expect(path.map { part.channelNames[Int($0)] } == table.path(row).map { table.channelNames[Int($0)] })
                #expect(counts == [table.conversions[row], table.conversionValues[row], table.nulls[row]])
                row += 1
            }
        }
        #expect(row == table.count)
    }

    /// Every path field quoted sends every row through the general reader; plain, the fast path reads
    /// them. Both must give the same table, with blank lines, CRLF, decimals, exponents, tabs, names of
    /// more than 8 bytes and steps starting with "(" mixed in.
    @Test func fastAndGeneralPathsAgree() throws {
        let rows = [
            ("a > b > c", "3", "45.5", "10"), ("b", "0", "0", "4"), ("c>c  >\tb ", "2", "0", "0"),
            ("a-long-channel-name > (not reserved) > b", "1e1", "2.50", "0.5"), ("a", "007", "1", "0"),
            ("b > a-long-channel-name", "0", "0", "1.25"),
        ]
        var plain = "path;total_conversions;total_conversion_value;total_null\n"
        var quoted = plain
        for (k, row) in rows.enumerated() {
            let end = k == 2 ? "\r\n" : "\n"
            plain += "\(row.0);\(row.1);\(row.2);\(row.3)\(end)"
            quoted += "\"\(row.0)\";\(row.1);\(row.2);\(row.3)\(end)"
            if k == 3 {
                plain += "\n"
                quoted += "\n"
            }
        }
        let a = try PathTable.read(path: try writeInput(plain))
        let b = try PathTable.read(path: try writeInput(quoted))
        #expect(Array(a.channelNames) == Array(b.channelNames))
        #expect(Array(a.channelNames) == ["a", "b", "c", "a-long-channel-name", "(not reserved)"])
        #expect(a.steps == b.steps)
        #expect(a.pathOffsets == b.pathOffsets)
        #expect(a.conversions == b.conversions)
        #expect(a.conversions == [3, 0, 2, 10, 7, 0])
        #expect(a.conversionValues == b.conversionValues)
        #expect(a.nulls == b.nulls)
    }

    /// An error after many plain lines, in the second of two parts, still names its line and column.
    @Test func errorAfterPlainLinesNamesItsPosition() throws {
        var (text, _, _) = PathTableShardTests.rows(40_000)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[30_000] = "a >  > b;1;0;0"
        text = lines.joined(separator: "\n")
        let file = try writeInput(text)
        let error = try #require(throws: JourneyError.self) { _ = try PathTable.scan(path: file, threads: 2) { Collected() } }
        #expect(error.code == .invalidPath)
        #expect(error.position?.line == 30_001)
        #expect(error.position?.column == 1)
    }
}
