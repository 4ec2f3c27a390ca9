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
    public let channelNames: InternedStrings
    public let pathOffsets: [Int]
    public let steps: [UInt16]
    public let conversions: [Double]
    public let conversionValues: [Double]
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
    public var pathColumn = "path"
    public var conversionsColumn = "total_conversions"
    /// Optional: a missing column means value 0.
    public var conversionValueColumn = "total_conversion_value"
    /// Optional: a missing column means no null paths.
    public var nullsColumn = "total_null"

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
        var bytes: [UInt8] = []
        while !input.atEnd { bytes = try input.read(after: bytes[...], count: 1 << 22) }
        return try parse(bytes, file: input.name, options: options)
    }

    static func parse(_ bytes: [UInt8], file: String, options: PathTableOptions) throws(JourneyError) -> PathTable {
        var csv = SimpleCSV(bytes: bytes, separator: options.separator)
        func fail(_ code: JourneyError.Code, _ message: String, line: Int, offset: Int? = nil) -> JourneyError {
            JourneyError(code, message, at: InputPosition(file: file, line: line, column: offset.map { csv.column(of: $0) }))
        }
        // One pass finds NUL bytes and bytes that are not UTF-8 (eight ASCII bytes at a time).
        if let at = bytes.withUnsafeBufferPointer({ BlockParser.findBadBytes($0).first }) {
            let line = bytes[..<at].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            if bytes[at] == 0 { throw fail(.invalidText, "NUL byte in the input", line: line, offset: at) }
            throw fail(.invalidText, "bytes that are not UTF-8; the input must be UTF-8 text", line: line, offset: at)
        }
        guard !csv.atEnd else { throw fail(.emptyInput, "\(file) is empty; expected a header such as path;total_conversions;total_conversion_value;total_null", line: 1) }
        let header: [String]
        switch csv.record() {
        case .success(let fields): header = fields.map { String(decoding: $0, as: UTF8.self).trimmingSpaces() }
        case .failure(let f): throw fail(.malformedQuoting, f.message, line: 1, offset: f.offset)
        }
        func column(_ name: String, required: Bool) throws(JourneyError) -> Int? {
            let found = header.firstIndex(of: name)
            if found == nil && required {
                let sep = Character(Unicode.Scalar(options.separator))
                throw fail(.missingColumn, "required column '\(name)' not in the header (separator '\(sep)'); found \(header.map { "'\($0)'" }.joined(separator: ", "))", line: 1)
            }
            return found
        }
        let pathColumn = try column(options.pathColumn, required: true)!
        let conversionsColumn = try column(options.conversionsColumn, required: true)!
        let valueColumn = try column(options.conversionValueColumn, required: false)
        let nullsColumn = try column(options.nullsColumn, required: false)

        var channels = InternTable()
        var offsets = [0]
        var steps: [UInt16] = []
        var conversions: [Double] = []
        var values: [Double] = []
        var nulls: [Double] = []
        let stepSeparator = Array(options.stepSeparator.utf8)
        var fieldRanges: [Range<Int>] = []
        var parts: [Range<Int>] = []
        var decodedFields: [[UInt8]] = []
        var position = csv.position
        var lineNumber = csv.line + 1
        let n = bytes.count
        while position < n {
            let line = lineNumber
            let recordStart = position
            // Fast path: a line without quotes is split on the separator in place. A line with quotes
            // (rare in path files) goes through the RFC 4180 reader, which may span lines.
            let (lineEnd, hasQuote) = bytes.withUnsafeBufferPointer { b -> (Int, Bool) in
                let base = b.baseAddress!
                let end = memchr(base + position, 0x0A, n - position).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                return (end, memchr(base + position, 0x22, end - position) != nil)
            }
            fieldRanges.removeAll(keepingCapacity: true)
            if !hasQuote {
                var contentEnd = lineEnd
                if contentEnd > position && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                var fieldStart = position
                for k in position..<contentEnd where bytes[k] == options.separator {
                    fieldRanges.append(fieldStart..<k)
                    fieldStart = k + 1
                }
                fieldRanges.append(fieldStart..<contentEnd)
                position = min(lineEnd + 1, n)
                lineNumber += 1
            } else {
                csv.position = position
                csv.line = lineNumber - 1
                switch csv.record() {
                case .success(let f): decodedFields = f
                case .failure(let f): throw fail(.malformedQuoting, f.message, line: line, offset: f.offset)
                }
                // Decoded fields live in `decodedFields`; mark them with empty ranges at their starts.
                fieldRanges = csv.fieldStarts.map { $0..<$0 }
                position = csv.position
                lineNumber = csv.line + 1
            }
            func field(_ k: Int) -> ArraySlice<UInt8> {
                hasQuote ? decodedFields[k][...] : bytes[fieldRanges[k]]
            }
            if fieldRanges.count == 1 && field(0).isEmpty { continue }  // blank line
            guard fieldRanges.count == header.count else {
                throw fail(.wrongFieldCount, "expected \(header.count) fields as in the header, found \(fieldRanges.count)", line: line, offset: recordStart)
            }
            func number(_ column: Int?, _ name: String) throws(JourneyError) -> Double {
                guard let column else { return 0 }
                let text = field(column)
                guard let value = text.withUnsafeBufferPointer({ NumberParser.parseDouble($0) }) else {
                    throw fail(.invalidNumber, "'\(name)' is '\(String(decoding: text, as: UTF8.self))', not a finite number", line: line, offset: fieldRanges[column].lowerBound)
                }
                guard value >= 0 else { throw fail(.invalidNumber, "'\(name)' is \(value); counts and values cannot be negative", line: line, offset: fieldRanges[column].lowerBound) }
                return value
            }
            let converted = try number(conversionsColumn, options.conversionsColumn)
            let value = try number(valueColumn, options.conversionValueColumn)
            let null = try number(nullsColumn, options.nullsColumn)
            if value > 0 && converted == 0 {
                throw fail(.invalidPath, "conversion value \(value) on a path with 0 conversions", line: line, offset: valueColumn.map { fieldRanges[$0].lowerBound })
            }
            if converted == 0 && null == 0 {
                throw fail(.invalidPath, "path has 0 conversions and 0 nulls; it carries no information, remove it", line: line, offset: fieldRanges[conversionsColumn].lowerBound)
            }
            let text = field(pathColumn)
            stepRanges(text, by: stepSeparator, into: &parts)
            if parts.count == 1 && parts[0].isEmpty {
                throw fail(.invalidPath, "path is empty", line: line, offset: fieldRanges[pathColumn].lowerBound)
            }
            for part in parts {
                guard !part.isEmpty else {
                    throw fail(.invalidPath, "path '\(String(decoding: text, as: UTF8.self))' has an empty step; steps are joined by '\(options.stepSeparator)'", line: line, offset: fieldRanges[pathColumn].lowerBound)
                }
                let step = text[part]
                // Every reserved name starts with "(": only those steps need the String check.
                if step.first == UInt8(ascii: "("), case let name = String(decoding: step, as: UTF8.self), reservedNames.contains(name) {
                    throw fail(.invalidPath, "step '\(name)' uses a reserved state name (\(reservedNames.sorted().joined(separator: ", ")))", line: line, offset: fieldRanges[pathColumn].lowerBound)
                }
                let id = step.withUnsafeBufferPointer { channels.intern($0) }
                guard id < Int(UInt16.max) else { throw fail(.tooManyDistinct, "more than 65,535 distinct channels", line: line, offset: fieldRanges[pathColumn].lowerBound) }
                steps.append(UInt16(id))
            }
            offsets.append(steps.count)
            conversions.append(converted)
            values.append(value)
            nulls.append(null)
        }
        guard !conversions.isEmpty else { throw fail(.emptyInput, "\(file) has a header but no paths", line: 2) }
        return PathTable(
            channelNames: InternedStrings(channels), pathOffsets: offsets, steps: steps, conversions: conversions,
            conversionValues: values, nulls: nulls)
    }

    /// The ranges of the parts of `text` between `separator`s, spaces and tabs around each trimmed.
    private static func stepRanges(_ text: ArraySlice<UInt8>, by separator: [UInt8], into parts: inout [Range<Int>]) {
        parts.removeAll(keepingCapacity: true)
        var start = text.startIndex
        var i = text.startIndex
        while !separator.isEmpty && i <= text.endIndex - separator.count {
            if text[i] == separator[0] && text[i..<(i + separator.count)].elementsEqual(separator) {
                parts.append(trimmed(text, start..<i))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(trimmed(text, start..<text.endIndex))
    }

    private static func trimmed(_ text: ArraySlice<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var low = range.lowerBound
        var high = range.upperBound
        while low < high && (text[low] == 0x20 || text[low] == 0x09) { low += 1 }
        while high > low && (text[high - 1] == 0x20 || text[high - 1] == 0x09) { high -= 1 }
        return low..<high
    }
}
