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
        if let nul = bytes.firstIndex(of: 0) {
            let line = bytes[..<nul].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw fail(.invalidText, "NUL byte in the input", line: line, offset: nul)
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            var at = 0
            bytes.withUnsafeBufferPointer { at = BlockParser.findBadBytes($0).first ?? 0 }
            let line = bytes[..<at].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
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
        while !csv.atEnd {
            let line = csv.line + 1
            let recordStart = csv.position
            let fields: [[UInt8]]
            switch csv.record() {
            case .success(let f): fields = f
            case .failure(let f): throw fail(.malformedQuoting, f.message, line: line, offset: f.offset)
            }
            if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
            guard fields.count == header.count else {
                throw fail(.wrongFieldCount, "expected \(header.count) fields as in the header, found \(fields.count)", line: line, offset: recordStart)
            }
            let fieldStarts = csv.fieldStarts
            func number(_ column: Int?, _ name: String) throws(JourneyError) -> Double {
                guard let column else { return 0 }
                let text = fields[column]
                guard let value = text.withUnsafeBufferPointer({ NumberParser.parseDouble($0) }) else {
                    throw fail(.invalidNumber, "'\(name)' is '\(String(decoding: text, as: UTF8.self))', not a finite number", line: line, offset: fieldStarts[column])
                }
                guard value >= 0 else { throw fail(.invalidNumber, "'\(name)' is \(value); counts and values cannot be negative", line: line, offset: fieldStarts[column]) }
                return value
            }
            let converted = try number(conversionsColumn, options.conversionsColumn)
            let value = try number(valueColumn, options.conversionValueColumn)
            let null = try number(nullsColumn, options.nullsColumn)
            if value > 0 && converted == 0 {
                throw fail(.invalidPath, "conversion value \(value) on a path with 0 conversions", line: line, offset: valueColumn.map { fieldStarts[$0] })
            }
            if converted == 0 && null == 0 {
                throw fail(.invalidPath, "path has 0 conversions and 0 nulls; it carries no information, remove it", line: line, offset: fieldStarts[conversionsColumn])
            }
            let text = fields[pathColumn]
            let parts = split(text, by: stepSeparator)
            if parts.count == 1 && parts[0].isEmpty {
                throw fail(.invalidPath, "path is empty", line: line, offset: fieldStarts[pathColumn])
            }
            for part in parts {
                guard !part.isEmpty else {
                    throw fail(.invalidPath, "path '\(String(decoding: text, as: UTF8.self))' has an empty step; steps are joined by '\(options.stepSeparator)'", line: line, offset: fieldStarts[pathColumn])
                }
                // Every reserved name starts with "(": only those steps need the String check.
                if part.first == UInt8(ascii: "("), case let name = String(decoding: part, as: UTF8.self), reservedNames.contains(name) {
                    throw fail(.invalidPath, "step '\(name)' uses a reserved state name (\(reservedNames.sorted().joined(separator: ", ")))", line: line, offset: fieldStarts[pathColumn])
                }
                let id = part.withUnsafeBufferPointer { channels.intern($0) }
                guard id < Int(UInt16.max) else { throw fail(.tooManyDistinct, "more than 65,535 distinct channels", line: line, offset: fieldStarts[pathColumn]) }
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

    /// Splits on `separator`, trimming spaces and tabs around each part.
    private static func split(_ text: [UInt8], by separator: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0
        var i = 0
        while i <= text.count - separator.count {
            if !separator.isEmpty && text[i..<(i + separator.count)].elementsEqual(separator) {
                parts.append(trim(text[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(trim(text[start...]))
        return parts
    }

    private static func trim(_ s: ArraySlice<UInt8>) -> [UInt8] {
        var s = s
        while let f = s.first, f == 0x20 || f == 0x09 { s.removeFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s.removeLast() }
        return Array(s)
    }
}
