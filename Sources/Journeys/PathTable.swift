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
        let (bytes, name) = try readWhole(path: path, threads: systemCoreCount())
        return try parse(bytes, file: name, options: options)
    }

    /// The whole input and its name for messages. A regular file of at least 1 MiB is read in
    /// `threads` pieces at once (`pread`), so copying it and faulting its pages in is spread over the
    /// cores; anything else (standard input, a pipe, a small file) in one sequence of reads.
    static func readWhole(path: String, threads: Int) throws(JourneyError) -> ([UInt8], String) {
        let input = try ByteInput(path: path)
        if path != "-", let size = input.fileSize, size >= 1 << 20, threads > 1 {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw JourneyError(.cannotRead, "\(path): cannot open: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let failures = Slots<Int32>(count: threads)
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                let base = UncheckedSendable(buffer.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: threads) { k in
                    var offset = size * k / threads
                    let end = size * (k + 1) / threads
                    while offset < end {
                        let n = pread(fd, base.value + offset, end - offset, off_t(offset))
                        if n > 0 {
                            offset += n
                        } else if n == 0 || errno != EINTR {
                            failures.set(k, n == 0 ? -1 : errno)  // -1: the file became shorter
                            return
                        }
                    }
                }
                initialized = failures.values.allSatisfy({ $0 == nil }) ? size : 0
            }
            if let failure = failures.values.compactMap({ $0 }).first {
                let reason = failure == -1 ? "the file became shorter while it was read" : String(cString: strerror(failure))
                throw JourneyError(.cannotRead, "\(path): read failed: \(reason)")
            }
            return (bytes, input.name)
        }
        // One read of the whole file when its size is known; doubling reads otherwise.
        var bytes = try input.read(after: [], count: (input.fileSize ?? 0) + (1 << 16))
        while !input.atEnd { bytes = try input.read(after: bytes[...], count: max(bytes.count, 1 << 22)) }
        return (bytes, input.name)
    }

    static func parse(_ bytes: [UInt8], file: String, options: PathTableOptions) throws(JourneyError) -> PathTable {
        let parts = try scan(bytes, file: file, options: options, threads: systemCoreCount()) { PathRows() }
        var rows = parts[0].sink
        var channels = InternTable()
        for var name in parts[0].channelNames { _ = name.withUTF8 { channels.intern($0) } }
        for part in parts.dropFirst() {
            guard rows.append(part.sink, channelNames: part.channelNames, into: &channels) else {
                throw JourneyError(.tooManyDistinct, "more than 65,535 distinct channels", at: InputPosition(file: file, line: part.firstLine))
            }
        }
        return PathTable(
            channelNames: InternedStrings(channels), pathOffsets: rows.offsets, steps: rows.steps,
            conversions: rows.conversions, conversionValues: rows.values, nulls: rows.nulls)
    }

    /// What one part of a file read by `scan` gave: the part's sink, the names of its channel ids
    /// (numbered in order of first appearance in the part), and its number of rows.
    public struct Part<Sink> {
        /// The sink that received the part's rows.
        public var sink: Sink
        /// `channelNames[id]` is the name of channel id `id` in the steps the sink received.
        public var channelNames: [String]
        /// Rows the part held (blank lines not counted).
        public var rows: Int
        /// Line number of the part's first line in the file.
        var firstLine: Int
    }

    /// Reads an aggregated-path file without storing its rows: the file is cut into up to `threads`
    /// parts at line boundaries, parsed in parallel, and every checked row goes to its part's sink
    /// (one `makeSink()` per part). Parts come back in file order.
    ///
    /// Checks and errors are those of `read(path:options:)`. A part is at least 256 KiB, so a small
    /// file is one part; a file with quoted fields is one part too (a quoted field may hold a line
    /// feed). Use it to fuse parsing with a per-row computation (counting, crediting) without building
    /// the table: memory is the file's bytes plus what the sinks keep.
    ///
    /// - Throws: `JourneyError`, as `read(path:options:)`.
    public static func scan<Sink: PathRowSink & Sendable>(
        path: String, options: PathTableOptions = PathTableOptions(), threads: Int = systemCoreCount(),
        makeSink: () -> Sink
    ) throws(JourneyError) -> [Part<Sink>] {
        let (bytes, name) = try readWhole(path: path, threads: threads)
        let parts = try scan(bytes, file: name, options: options, threads: threads, makeSink: makeSink)
        var names = Set<String>()
        for part in parts where parts.count > 1 {
            names.formUnion(part.channelNames)
            guard names.count < Int(UInt16.max) else {
                throw JourneyError(.tooManyDistinct, "more than 65,535 distinct channels", at: InputPosition(file: name, line: part.firstLine))
            }
        }
        return parts
    }

    static func scan<Sink: PathRowSink & Sendable>(
        _ bytes: [UInt8], file: String, options: PathTableOptions, threads: Int, makeSink: () -> Sink
    ) throws(JourneyError) -> [Part<Sink>] {
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

        let context = RowChecker.Context(
            fieldCount: header.count, pathColumn: pathColumn, conversionsColumn: conversionsColumn,
            valueColumn: valueColumn, nullsColumn: nullsColumn, options: options,
            stepSeparator: Array(options.stepSeparator.utf8), fail: fail)
        // Parts on parallel threads when the file has no quotes (a quoted field may hold a line feed,
        // so only then is every line feed a row boundary); a part is at least 256 KiB.
        let headerEnd = csv.position
        let headerLines = csv.line
        let quoteFree = bytes.withUnsafeBufferPointer { memchr($0.baseAddress! + headerEnd, 0x22, $0.count - headerEnd) == nil }
        var bounds = [headerEnd]
        let partCount = quoteFree ? max(1, min(threads, (bytes.count - headerEnd) >> 18)) : 1
        for k in 1..<partCount {
            let target = max(bounds.last!, headerEnd + (bytes.count - headerEnd) * k / partCount)
            guard let lf = bytes[target...].firstIndex(of: 0x0A) else { break }
            if lf + 1 > bounds.last! && lf + 1 < bytes.count { bounds.append(lf + 1) }
        }
        bounds.append(bytes.count)
        var shards: [(Int, Int, Int)] = []
        var line = headerLines + 1
        for k in 0..<(bounds.count - 1) where bounds[k] < bounds[k + 1] {
            shards.append((bounds[k], bounds[k + 1], line))
            if k + 2 < bounds.count { line += RecordSplitter.countLineFeeds(bytes[bounds[k]..<bounds[k + 1]]) }
        }
        let results = Slots<Result<Part<Sink>, JourneyError>>(count: shards.count)
        let shardList = shards
        let sinks = shards.map { _ in makeSink() }
        let work = { @Sendable (k: Int) in
            results.set(k, Result { () throws(JourneyError) in
                var sink = sinks[k]
                let (channels, rows) = try readRows(
                    bytes, from: shardList[k].0, to: shardList[k].1, firstLine: shardList[k].2, quoteFree: quoteFree,
                    csv: locator, context: context, sink: &sink)
                return Part(sink: sink, channelNames: (0..<channels.count).map { channels.withKey($0) { String(decoding: $0, as: UTF8.self) } }, rows: rows, firstLine: shardList[k].2)
            })
        }
        if shards.count > 1 {
            DispatchQueue.concurrentPerform(iterations: shards.count, execute: work)
        } else if shards.count == 1 {
            work(0)
        }
        var parts: [Part<Sink>] = []
        for k in shards.indices {
            switch results.values[k]! {
            case .success(let part): parts.append(part)
            case .failure(let error): throw error
            }
        }
        guard parts.contains(where: { $0.rows > 0 }) else { throw fail(.emptyInput, "\(file) has a header but no paths", 2, nil) }
        return parts
    }

    /// Reads the rows in `from ..< to` (whole lines; `firstLine` is the line number of `from`) into
    /// `sink`; returns the part's channel names and its row count.
    fileprivate static func readRows<Sink: PathRowSink>(
        _ bytes: [UInt8], from start: Int, to n: Int, firstLine: Int, quoteFree: Bool, csv locator: SimpleCSV,
        context: RowChecker.Context, sink: inout Sink
    ) throws(JourneyError) -> (InternTable, Int) {
        var csv = locator
        let options = context.options
        let fail = context.fail
        var fieldRanges: [Range<Int>] = []
        var fieldStarts: [Int] = []
        var position = start
        var lineNumber = firstLine

        var checker = RowChecker()
        defer { checker.free() }
        while position < n {
            // Plain lines (the right fields, numbers, non-empty steps) in one tight loop; the first other
            // line (a blank line, an error, a quoted field) goes through the general path below.
            if quoteFree {
                bytes.withUnsafeBufferPointer { b in
                    checker.addPlainLines(b, from: &position, to: n, lines: &lineNumber, context: context, sink: &sink)
                }
                if position >= n { break }
            }
            let line = lineNumber
            let recordStart = position
            // Fast path: a line without quotes is split on the separator in place. A line with quotes
            // (rare in path files) goes through the RFC 4180 reader, which may span lines.
            let quoted: Bool = try bytes.withUnsafeBufferPointer { (b) throws(JourneyError) -> Bool in
                let base = b.baseAddress!
                let lineEnd = memchr(base + position, 0x0A, n - position).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                if !quoteFree && memchr(base + position, 0x22, lineEnd - position) != nil { return true }
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
                try checker.add(b, fieldRanges, fieldStarts, line: line, recordStart: recordStart, context: context, sink: &sink)
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
                try checker.add(d, ranges, starts, line: line, recordStart: recordStart, context: context, sink: &sink)
            }
        }
        return (checker.channels, checker.rows)
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

extension PathTable.Part: Sendable where Sink: Sendable {}

/// A value handed to parallel workers that the compiler cannot prove Sendable (a pointer into a
/// buffer whose pieces the workers write apart).
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Receives the checked rows of one part of an aggregated-path file, in file order (see
/// `PathTable.scan`): lets a computation run on the rows as they are parsed, without a `PathTable`.
public protocol PathRowSink {
    /// One row: `steps` are channel ids of the part (`PathTable.Part.channelNames`), first touch
    /// first, valid only during the call; the counts are finite and ≥ 0, `conversions + nulls > 0`.
    mutating func add(steps: UnsafeBufferPointer<UInt16>, conversions: Double, value: Double, nulls: Double)
}

/// The columns of a path table being read.
private struct PathRows: PathRowSink, Sendable {
    var offsets = [0]
    var steps: [UInt16] = []
    var conversions: [Double] = []
    var values: [Double] = []
    var nulls: [Double] = []

    mutating func add(steps path: UnsafeBufferPointer<UInt16>, conversions converted: Double, value: Double, nulls null: Double) {
        steps.append(contentsOf: path)
        offsets.append(steps.count)
        conversions.append(converted)
        values.append(value)
        nulls.append(null)
    }

    /// Appends `other` (the rows after these, channels named by `channelNames`), renumbering its
    /// channels into `channels`; false when the union has more channels than a step can number.
    mutating func append(_ other: PathRows, channelNames: [String], into channels: inout InternTable) -> Bool {
        var map: [UInt16] = []
        for name in channelNames {
            var name = name
            let global = name.withUTF8 { channels.intern($0) }
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
}

/// The row check of a part being read: fields to numbers, the path to channel ids of the part.
private struct RowChecker {
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
    var rows = 0
    var steps: [UInt16] = []
    var parts: [Range<Int>] = []
    /// Fast-path buffers (freed by `free()`): field starts, the steps of a row, and a direct-mapped
    /// cache of short step names: bytes (≤ 8, little-endian, zero-padded), and length << 32 | id + 1.
    let fieldStarts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    let stepBuffer = UnsafeMutablePointer<UInt16>.allocate(capacity: 1 << 16)
    let cacheKeys = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
    let cacheEntries: UnsafeMutablePointer<Int> = {
        let entries = UnsafeMutablePointer<Int>.allocate(capacity: 256)
        entries.initialize(repeating: 0, count: 256)
        return entries
    }()

    func free() {
        fieldStarts.deallocate()
        stepBuffer.deallocate()
        cacheKeys.deallocate()
        cacheEntries.deallocate()
    }

    /// Reads plain lines from `position` on and hands them to `sink`, stopping at `n` or before the
    /// first other line. A plain line has no quotes (the caller knows the part has none), exactly
    /// the header's fields, numbers that pass the checks, and a path of non-empty steps split by a
    /// one-byte separator, none starting with `(`. Anything else (a blank line, an error) is left
    /// to the general `add`, which reports it exactly.
    mutating func addPlainLines<Sink: PathRowSink>(
        _ b: UnsafeBufferPointer<UInt8>, from position: inout Int, to n: Int, lines: inout Int, context: Context, sink: inout Sink
    ) {
        let fieldCount = context.fieldCount
        guard fieldCount < 63, context.stepSeparator.count == 1 else { return }
        let starts = fieldStarts
        let separator = context.options.separator
        let stepSeparator = context.stepSeparator[0]
        @inline(__always) func number(_ column: Int?) -> Double? {
            guard let column else { return 0 }
            let low = starts[column]
            let high = starts[column + 1] - 1
            // Digits only: the integer, exactly (what `parseDouble` gives too); otherwise `parseDouble`.
            if high > low && high - low <= 15 {
                var value = 0
                var k = low
                while k < high, case let d = b[k] &- 0x30, d < 10 {
                    value = value &* 10 &+ Int(d)
                    k += 1
                }
                if k == high { return Double(value) }
            }
            guard let value = NumberParser.parseDouble(UnsafeBufferPointer(rebasing: b[low..<high])), value >= 0 else { return nil }
            return value
        }
        while position < n {
            let start = position
            var field = 0
            starts[0] = start
            var k = start
            while k < n {
                let c = b[k]
                if c == 0x0A { break }
                if c == separator {
                    field += 1
                    if field == fieldCount { return }
                    starts[field] = k + 1
                }
                k += 1
            }
            var end = k
            if end > start && b[end - 1] == 0x0D { end -= 1 }
            guard end > start, field == fieldCount - 1 else { return }
            starts[fieldCount] = end + 1
            guard let converted = number(context.conversionsColumn), let value = number(context.valueColumn),
                let null = number(context.nullsColumn), !(value > 0 && converted == 0), converted != 0 || null != 0
            else { return }
            let pathEnd = starts[context.pathColumn + 1] - 1
            var i = starts[context.pathColumn]
            var count = 0
            while true {
                var j = i
                while j < pathEnd && b[j] != stepSeparator { j += 1 }
                var low = i
                var high = j
                while low < high && (b[low] == 0x20 || b[low] == 0x09) { low += 1 }
                while high > low && (b[high - 1] == 0x20 || b[high - 1] == 0x09) { high -= 1 }
                guard low < high, b[low] != UInt8(ascii: "("), count < 1 << 16 else { return }
                let id = intern(b, low, high)
                guard id < Int(UInt16.max) else { return }
                stepBuffer[count] = UInt16(id)
                count += 1
                if j == pathEnd { break }
                i = j + 1
            }
            rows += 1
            sink.add(steps: UnsafeBufferPointer(start: stepBuffer, count: count), conversions: converted, value: value, nulls: null)
            position = min(k + 1, n)
            lines += 1
        }
    }

    /// `channels.intern` behind a small cache for names of at most 8 bytes.
    @inline(__always)
    private mutating func intern(_ b: UnsafeBufferPointer<UInt8>, _ low: Int, _ high: Int) -> Int {
        let length = high - low
        guard length <= 8 else { return channels.intern(UnsafeBufferPointer(rebasing: b[low..<high])) }
        var key: UInt64 = 0
        if low + 8 <= b.count {
            key = UnsafeRawPointer(b.baseAddress! + low).loadUnaligned(as: UInt64.self)
            if length < 8 { key &= (1 << (8 * UInt64(length))) - 1 }
        } else {
            for k in 0..<length { key |= UInt64(b[low + k]) << (8 * UInt64(k)) }
        }
        let slot = Int(truncatingIfNeeded: ((key ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 56)
        let entry = cacheEntries[slot]
        if entry != 0 && cacheKeys[slot] == key && entry >> 32 == length { return (entry & 0xFFFF_FFFF) - 1 }
        let id = channels.intern(UnsafeBufferPointer(rebasing: b[low..<high]))
        cacheKeys[slot] = key
        cacheEntries[slot] = length << 32 | (id + 1)
        return id
    }

    /// Checks one row whose fields are `ranges` of `b` (`starts`: their file offsets) and hands it to `sink`.
    mutating func add<Sink: PathRowSink>(
        _ b: UnsafeBufferPointer<UInt8>, _ ranges: [Range<Int>], _ starts: [Int], line: Int, recordStart: Int, context: Context,
        sink: inout Sink
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
        steps.removeAll(keepingCapacity: true)
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
        rows += 1
        steps.withUnsafeBufferPointer { sink.add(steps: $0, conversions: converted, value: value, nulls: null) }
    }
}
