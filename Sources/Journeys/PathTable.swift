import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Journeys already aggregated into paths, the format ChannelAttribution users have:
/// `path;total_conversions;total_conversion_value;total_null`, steps joined by ` > `.
///
/// Row `r` is the path `steps[pathOffsets[r] ..< pathOffsets[r + 1]]` (indices into `channelNames`),
/// seen `conversions[r]` times ending in a conversion worth `conversionValues[r]` in total, and
/// `nulls[r]` times ending without one. Counts may be fractional (weights) but not negative.
public struct PathTable: Sendable {
    /// Distinct step names (channels), numbered in order of first appearance in the file.
    public let channelNames: InternedStrings
    /// `pathOffsets[r] ..< pathOffsets[r + 1]` are row `r`'s steps in `steps`; `count + 1` entries,
    /// the first 0.
    public let pathOffsets: [Int]
    /// Every row's steps, concatenated: indices into `channelNames`, first touch first.
    public let steps: [UInt16]
    /// Per row: times the path ended in a conversion (`total_conversions`); ≥ 0, may be fractional.
    public let conversions: [Double]
    /// Per row: total value of those conversions (`total_conversion_value`); 0 when the file has
    /// no such column.
    public let conversionValues: [Double]
    /// Per row: times the path ended without a conversion (`total_null`); 0 when the file has no
    /// such column.
    public let nulls: [Double]

    /// Number of rows (distinct paths as listed; the same path may appear on several rows).
    public var count: Int { conversions.count }

    /// The channel indices of row `row`'s path, first touch first.
    public func path(_ row: Int) -> ArraySlice<UInt16> { steps[pathOffsets[row]..<pathOffsets[row + 1]] }
}

/// How `PathTable.read` reads an aggregated-path file. Every field has a default.
public struct PathTableOptions: Sendable {
    /// Field separator; ChannelAttribution's files use `;`.
    public var separator: UInt8 = UInt8(ascii: ";")
    /// What joins the steps of a path; spaces around each step are trimmed.
    public var stepSeparator = ">"
    /// Column of the path (required). Default `path`.
    public var pathColumn = "path"
    /// Column of the conversion count (required). Default `total_conversions`.
    public var conversionsColumn = "total_conversions"
    /// Optional: a missing column means value 0.
    public var conversionValueColumn = "total_conversion_value"
    /// Optional: a missing column means no null paths.
    public var nullsColumn = "total_null"

    /// ChannelAttribution's layout: `;` between fields, `>` between steps, its column names.
    public init() {}
}

extension PathTable {
    /// Names a path step may not have: they are the chain's own states.
    public static let reservedNames: Set<String> = ["(start)", "(conversion)", "(null)"]

    /// Reads an aggregated-path file (`"-"` for standard input). The header names the columns.
    ///
    /// - Throws: `JourneyError` with file, line and column for the first bad row: an empty path or
    ///   step, a reserved step name, a count that is not a finite non-negative number, a value without
    ///   conversions, or a row whose counts are all zero.
    public static func read(path: String, options: PathTableOptions = PathTableOptions()) throws(JourneyError) -> PathTable {
        let input = try ByteInput(path: path)
        // One read of the whole file when its size is known; doubling reads otherwise.
        var bytes = try input.read(after: [], count: (input.fileSize ?? 0) + (1 << 16))
        while !input.atEnd { bytes = try input.read(after: bytes[...], count: max(bytes.count, 1 << 22)) }
        return try parse(bytes, file: input.name, options: options)
    }

    static func parse(_ bytes: [UInt8], file: String, options: PathTableOptions) throws(JourneyError) -> PathTable {
        var csv = SimpleCSV(bytes: bytes, separator: options.separator)
        let locator = csv
        // Captures nothing mutable: row handling below pays no dynamic exclusivity checks.
        let fail = { @Sendable (code: JourneyError.Code, message: String, line: Int, offset: Int?) -> JourneyError in
            JourneyError(code, message, at: InputPosition(file: file, line: line, column: offset.map { locator.column(of: $0) }))
        }
        // One pass finds NUL bytes and bytes that are not UTF-8 (eight ASCII bytes at a time).
        if let at = bytes.withUnsafeBufferPointer({ BlockParser.findBadBytes($0).first }) {
            let line = bytes[..<at].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            if bytes[at] == 0 { throw fail(.invalidText, "NUL byte in the input", line, at) }
            throw fail(.invalidText, "bytes that are not UTF-8; the input must be UTF-8 text", line, at)
        }
        guard !csv.atEnd else { throw fail(.emptyInput, "\(file) is empty; expected a header such as path;total_conversions;total_conversion_value;total_null", 1, nil) }
        let header: [String]
        switch csv.record() {
        case .success(let fields): header = fields.map { String(decoding: $0, as: UTF8.self).trimmingSpaces() }
        case .failure(let f): throw fail(.malformedQuoting, f.message, 1, f.offset)
        }
        func column(_ name: String, required: Bool) throws(JourneyError) -> Int? {
            let found = header.firstIndex(of: name)
            if found == nil && required {
                let sep = Character(Unicode.Scalar(options.separator))
                throw fail(.missingColumn, "required column '\(name)' not in the header (separator '\(sep)'); found \(header.map { "'\($0)'" }.joined(separator: ", "))", 1, nil)
            }
            return found
        }
        let pathColumn = try column(options.pathColumn, required: true)!
        let conversionsColumn = try column(options.conversionsColumn, required: true)!
        let valueColumn = try column(options.conversionValueColumn, required: false)
        let nullsColumn = try column(options.nullsColumn, required: false)

        let context = PathRows.Context(
            fieldCount: header.count, pathColumn: pathColumn, conversionsColumn: conversionsColumn,
            valueColumn: valueColumn, nullsColumn: nullsColumn, options: options,
            stepSeparator: Array(options.stepSeparator.utf8), fail: fail)
        // Two halves on two threads when the file has no quotes (a quoted field may hold a line feed,
        // so only then is every line feed a row boundary); the halves merge in file order.
        let headerEnd = csv.position
        let headerLines = csv.line
        var split = bytes.count
        let quoteFree = bytes.withUnsafeBufferPointer { memchr($0.baseAddress! + headerEnd, 0x22, $0.count - headerEnd) == nil }
        if quoteFree && bytes.count - headerEnd > 1 << 20, let lf = bytes[((headerEnd + bytes.count) / 2)...].firstIndex(of: 0x0A) {
            split = lf + 1
        }
        let linesBeforeSplit = headerLines + RecordSplitter.countLineFeeds(bytes[headerEnd..<split])
        let shards = [(headerEnd, split, headerLines + 1), (split, bytes.count, linesBeforeSplit + 1)].filter { $0.0 < $0.1 }
        let results = Slots<Result<PathRows, JourneyError>>(count: shards.count)
        let work = { @Sendable (k: Int) in
            results.set(k, Result { () throws(JourneyError) in
                try readRows(bytes, from: shards[k].0, to: shards[k].1, firstLine: shards[k].2, csv: locator, context: context)
            })
        }
        if shards.count > 1 {
            DispatchQueue.concurrentPerform(iterations: shards.count, execute: work)
        } else if shards.count == 1 {
            work(0)
        }
        var rows = PathRows()
        for k in shards.indices {
            switch results.values[k]! {
            case .success(let shard):
                guard rows.append(shard) else {
                    throw fail(.tooManyDistinct, "more than 65,535 distinct channels", shards[k].2, nil)
                }
            case .failure(let error): throw error
            }
        }
        guard !rows.conversions.isEmpty else { throw fail(.emptyInput, "\(file) has a header but no paths", 2, nil) }
        return PathTable(
            channelNames: InternedStrings(rows.channels), pathOffsets: rows.offsets, steps: rows.steps,
            conversions: rows.conversions, conversionValues: rows.values, nulls: rows.nulls)
    }

    /// Reads the rows in `from ..< to` (whole lines; `firstLine` is the line number of `from`).
    fileprivate static func readRows(
        _ bytes: [UInt8], from start: Int, to n: Int, firstLine: Int, csv locator: SimpleCSV, context: PathRows.Context
    ) throws(JourneyError) -> PathRows {
        var rows = PathRows()
        var csv = locator
        let options = context.options
        let fail = context.fail
        var fieldRanges: [Range<Int>] = []
        var fieldStarts: [Int] = []
        var position = start
        var lineNumber = firstLine

        while position < n {
            let line = lineNumber
            let recordStart = position
            // Fast path: a line without quotes is split on the separator in place. A line with quotes
            // (rare in path files) goes through the RFC 4180 reader, which may span lines.
            let quoted: Bool = try bytes.withUnsafeBufferPointer { (b) throws(JourneyError) -> Bool in
                let base = b.baseAddress!
                let lineEnd = memchr(base + position, 0x0A, n - position).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                if memchr(base + position, 0x22, lineEnd - position) != nil { return true }
                var contentEnd = lineEnd
                if contentEnd > position && b[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                fieldRanges.removeAll(keepingCapacity: true)
                fieldStarts.removeAll(keepingCapacity: true)
                var fieldStart = position
                var k = position
                while k < contentEnd {
                    if let hit = memchr(base + k, Int32(options.separator), contentEnd - k) {
                        let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                        fieldRanges.append(fieldStart..<at)
                        fieldStarts.append(fieldStart)
                        fieldStart = at + 1
                        k = at + 1
                    } else {
                        break
                    }
                }
                fieldRanges.append(fieldStart..<contentEnd)
                fieldStarts.append(fieldStart)
                position = min(lineEnd + 1, n)
                lineNumber += 1
                try rows.add(b, fieldRanges, fieldStarts, line: line, recordStart: recordStart, context: context)
                return false
            }
            guard quoted else { continue }
            csv.position = position
            csv.line = lineNumber - 1
            let decoded: [[UInt8]]
            switch csv.record() {
            case .success(let f): decoded = f
            case .failure(let f): throw fail(.malformedQuoting, f.message, line, f.offset)
            }
            position = csv.position
            lineNumber = csv.line + 1
            // Decoded fields side by side in one buffer; their file offsets for messages.
            var joined: [UInt8] = []
            var ranges: [Range<Int>] = []
            for field in decoded {
                ranges.append(joined.count..<(joined.count + field.count))
                joined.append(contentsOf: field)
            }
            let starts = csv.fieldStarts
            try joined.withUnsafeBufferPointer { (d) throws(JourneyError) in
                try rows.add(d, ranges, starts, line: line, recordStart: recordStart, context: context)
            }
        }
        return rows
    }

    /// The ranges of the parts of `text` between `separator`s, spaces and tabs around each trimmed.
    fileprivate static func stepRanges(_ text: UnsafeBufferPointer<UInt8>, by separator: [UInt8], into parts: inout [Range<Int>]) {
        parts.removeAll(keepingCapacity: true)
        var start = 0
        var i = 0
        let count = text.count
        while !separator.isEmpty && i <= count - separator.count {
            if text[i] == separator[0] && (separator.count == 1 || text[i..<(i + separator.count)].elementsEqual(separator)) {
                parts.append(trimmed(text, start..<i))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(trimmed(text, start..<count))
    }

    private static func trimmed(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var low = range.lowerBound
        var high = range.upperBound
        while low < high && (text[low] == 0x20 || text[low] == 0x09) { low += 1 }
        while high > low && (text[high - 1] == 0x20 || text[high - 1] == 0x09) { high -= 1 }
        return low..<high
    }
}

/// The columns of a path table being read, and the row check that fills them.
private struct PathRows: Sendable {
    struct Context: Sendable {
        var fieldCount: Int
        var pathColumn: Int
        var conversionsColumn: Int
        var valueColumn: Int?
        var nullsColumn: Int?
        var options: PathTableOptions
        var stepSeparator: [UInt8]
        var fail: @Sendable (JourneyError.Code, String, Int, Int?) -> JourneyError
    }

    var channels = InternTable()
    var offsets = [0]
    var steps: [UInt16] = []
    var conversions: [Double] = []
    var values: [Double] = []
    var nulls: [Double] = []
    var parts: [Range<Int>] = []

    /// Appends `other` (the rows after these), renumbering its channels into this table; false when
    /// the union has more channels than a step can number.
    mutating func append(_ other: PathRows) -> Bool {
        var map: [UInt16] = []
        for id in 0..<other.channels.count {
            let global = other.channels.withKey(id) { channels.intern($0) }
            guard global < Int(UInt16.max) else { return false }
            map.append(UInt16(global))
        }
        let base = steps.count
        steps.reserveCapacity(steps.count + other.steps.count)
        offsets.reserveCapacity(offsets.count + other.offsets.count)
        conversions.reserveCapacity(conversions.count + other.conversions.count)
        values.reserveCapacity(values.count + other.values.count)
        nulls.reserveCapacity(nulls.count + other.nulls.count)
        for step in other.steps { steps.append(map[Int(step)]) }
        for offset in other.offsets.dropFirst() { offsets.append(offset + base) }
        conversions.append(contentsOf: other.conversions)
        values.append(contentsOf: other.values)
        nulls.append(contentsOf: other.nulls)
        return true
    }

    /// Checks and stores one row whose fields are `ranges` of `b` (`starts`: their file offsets).
    mutating func add(
    _ b: UnsafeBufferPointer<UInt8>, _ ranges: [Range<Int>], _ starts: [Int], line: Int, recordStart: Int, context: Context
    ) throws(JourneyError) {
    let fail = context.fail
    let options = context.options
        if ranges.count == 1 && ranges[0].isEmpty { return }  // blank line
        guard ranges.count == context.fieldCount else {
            throw fail(.wrongFieldCount, "expected \(context.fieldCount) fields as in the header, found \(ranges.count)", line, recordStart)
        }
        func number(_ column: Int?, _ name: String) throws(JourneyError) -> Double {
            guard let column else { return 0 }
            let text = UnsafeBufferPointer(rebasing: b[ranges[column]])
            guard let value = NumberParser.parseDouble(text) else {
                throw fail(.invalidNumber, "'\(name)' is '\(String(decoding: text, as: UTF8.self))', not a finite number", line, starts[column])
            }
            guard value >= 0 else { throw fail(.invalidNumber, "'\(name)' is \(value); counts and values cannot be negative", line, starts[column]) }
            return value
        }
        let converted = try number(context.conversionsColumn, options.conversionsColumn)
        let value = try number(context.valueColumn, options.conversionValueColumn)
        let null = try number(context.nullsColumn, options.nullsColumn)
        if value > 0 && converted == 0 {
            throw fail(.invalidPath, "conversion value \(value) on a path with 0 conversions", line, context.valueColumn.map { starts[$0] })
        }
        if converted == 0 && null == 0 {
            throw fail(.invalidPath, "path has 0 conversions and 0 nulls; it carries no information, remove it", line, starts[context.conversionsColumn])
        }
        let text = UnsafeBufferPointer(rebasing: b[ranges[context.pathColumn]])
        PathTable.stepRanges(text, by: context.stepSeparator, into: &parts)
        if parts.count == 1 && parts[0].isEmpty {
            throw fail(.invalidPath, "path is empty", line, starts[context.pathColumn])
        }
        for part in parts {
            guard !part.isEmpty else {
                throw fail(.invalidPath, "path '\(String(decoding: text, as: UTF8.self))' has an empty step; steps are joined by '\(options.stepSeparator)'", line, starts[context.pathColumn])
            }
            let step = UnsafeBufferPointer(rebasing: text[part])
            // Every reserved name starts with "(": only those steps need the String check.
            if step[0] == UInt8(ascii: "("), case let name = String(decoding: step, as: UTF8.self), PathTable.reservedNames.contains(name) {
                throw fail(.invalidPath, "step '\(name)' uses a reserved state name (\(PathTable.reservedNames.sorted().joined(separator: ", ")))", line, starts[context.pathColumn])
            }
            let id = channels.intern(step)
            guard id < Int(UInt16.max) else { throw fail(.tooManyDistinct, "more than 65,535 distinct channels", line, starts[context.pathColumn]) }
            steps.append(UInt16(id))
        }
        offsets.append(steps.count)
        conversions.append(converted)
        values.append(value)
        nulls.append(null)
    }
}
