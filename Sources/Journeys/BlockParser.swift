#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The event fields, in the order of `EventColumns.fieldNames`.
enum EventField: Int, CaseIterable {
    case customer, timestamp, channel, event, value, action, propensity
}

/// Where each event field comes from in a record.
struct FieldLayout: Sendable {
    /// CSV: the field fed by each header column, or nil for columns that are ignored.
    var fieldOfColumn: [EventField?] = []
    /// NDJSON: the key bytes of each field.
    var keys: [[UInt8]] = []
    /// The input can hold this field (CSV: it is in the header; NDJSON: always).
    var mayHave: [Bool] = Array(repeating: false, count: EventField.allCases.count)
    /// The names users know the fields by, for messages.
    var names: [String] = EventColumns().names
    /// Per-customer attribute columns read along (`EventReaderOptions.attributeColumns`).
    var attributes: [AttributeColumn] = []
    /// CSV: the attribute fed by each header column, or nil.
    var attributeOfColumn: [Int?] = []
    /// NDJSON: the key bytes of each attribute.
    var attributeKeys: [[UInt8]] = []
}

/// A problem with one record, found while parsing a block.
struct BlockIssue: Sendable {
    /// 0-based line within the block.
    var line: Int
    var column: Int
    var code: JourneyError.Code
    var message: String
    var record: [UInt8]
    /// Stops the whole read, whatever `maxErrors` says.
    var fatal = false
}

/// The events of one block, with ids local to the block.
struct ParsedBlock: Sendable {
    var customerTable = InternTable(capacity: 1 << 14)
    var channelTable = InternTable()
    var eventTable = InternTable()
    var actionTable = InternTable()
    var customer: [UInt32] = []
    var timestamp: [Int64] = []
    var channel: [UInt16] = []
    var event: [UInt16] = []
    /// 0 = none, k = actionTable key k - 1.
    var action: [UInt16] = []
    var value: [Double] = []
    var propensity: [Float] = []
    /// Fields that at least one kept record had (NDJSON decides optional columns by this).
    var seen: [Bool] = Array(repeating: false, count: EventField.allCases.count)
    var lineFeeds = 0
    /// Input bytes the block covered.
    var byteCount = 0
    var records = 0
    var blankLines = 0
    var issues: [BlockIssue] = []
    /// Where each channel, event type and action (by local id) first appeared, so the merger can
    /// point at the row that brings one too many.
    var channelPlaces: [BlockPlace] = []
    var eventPlaces: [BlockPlace] = []
    var actionPlaces: [BlockPlace] = []
    /// Per attribute column: the text levels seen (categorical columns only).
    var attributeLevels: [InternTable] = []
    /// `attributeValues[a][c]`: local customer c's last non-empty value of attribute a in the block (the
    /// number, or the index in `attributeLevels[a]`); NaN for none. Shorter arrays mean NaN beyond.
    var attributeValues: [[Double]] = []
}

/// A place in a block: 0-based line within the block, 1-based column in characters.
struct BlockPlace: Sendable {
    var line: Int
    var column: Int
}

/// Parses blocks of whole records into `ParsedBlock`s. One instance per worker thread.
///
/// Hand-written byte-level parsing (no `String` per field) because this is the ingestion hot path.
final class BlockParser {
    let layout: FieldLayout
    let format: EventFormat
    let separator: UInt8
    let timestampFormat: TimestampFormat
    let defaultEventType: [UInt8]
    let maxRecordBytes: Int
    let maxIssues: Int

    private struct Slice {
        var start = 0
        var end = 0
        var escaped = false
        /// NDJSON: the value was a JSON string (not a number, null or literal).
        var isString = true
        var present = false
    }
    /// Where each field of the current record is; a raw buffer, so the hot loop pays no exclusivity checks.
    private let slices = UnsafeMutableBufferPointer<Slice>.allocate(capacity: EventField.allCases.count)
    /// Where each attribute column's field of the current record is.
    private let attributeSlices: UnsafeMutableBufferPointer<Slice>
    /// The current record's attribute values, as they will be stored (NaN: absent or empty); a raw buffer,
    /// so the per-row loop pays no exclusivity checks.
    private let pendingAttributes: UnsafeMutableBufferPointer<Double>
    private let hasAttributes: Bool
    /// Per attribute column, the last field parsed in this block (its bytes, when at most
    /// `cachedFieldBytes` long and not escaped) and its value: a customer's rows usually repeat their
    /// attributes, and comparing a few bytes is cheaper than parsing a number or hashing a level again.
    private static let cachedFieldBytes = 32
    private let cachedBytes: UnsafeMutableBufferPointer<UInt8>
    private let cachedLength: UnsafeMutableBufferPointer<Int>  // -1: nothing cached
    private let cachedValue: UnsafeMutableBufferPointer<Double>

    init(layout: FieldLayout, format: EventFormat, options: EventReaderOptions) {
        self.layout = layout
        self.format = format
        self.separator = options.separator
        self.timestampFormat = options.timestampFormat
        self.defaultEventType = Array(options.defaultEventType.utf8)
        self.maxRecordBytes = options.maxRecordBytes
        self.maxIssues = options.maxErrors + 1
        slices.initialize(repeating: Slice())
        hasAttributes = !layout.attributes.isEmpty
        attributeSlices = .allocate(capacity: max(1, layout.attributes.count))
        attributeSlices.initialize(repeating: Slice())
        pendingAttributes = .allocate(capacity: layout.attributes.count)
        pendingAttributes.initialize(repeating: .nan)
        cachedBytes = .allocate(capacity: max(1, layout.attributes.count) * Self.cachedFieldBytes)
        cachedBytes.initialize(repeating: 0)
        cachedLength = .allocate(capacity: max(1, layout.attributes.count))
        cachedLength.initialize(repeating: -1)
        cachedValue = .allocate(capacity: max(1, layout.attributes.count))
        cachedValue.initialize(repeating: .nan)
    }

    deinit {
        slices.deallocate()
        attributeSlices.deallocate()
        pendingAttributes.deallocate()
        cachedBytes.deallocate()
        cachedLength.deallocate()
        cachedValue.deallocate()
    }

    func parse(_ block: [UInt8]) -> ParsedBlock {
        var out = ParsedBlock()
        out.byteCount = block.count
        if hasAttributes {
            out.attributeLevels = layout.attributes.map { _ in InternTable() }
            out.attributeValues = layout.attributes.map { _ in [] }
            // Level codes belong to this block's tables: nothing cached from the last block holds.
            for a in cachedLength.indices { cachedLength[a] = -1 }
        }
        let estimate = block.count / 48 + 16
        out.customer.reserveCapacity(estimate)
        out.timestamp.reserveCapacity(estimate)
        out.channel.reserveCapacity(estimate)
        out.event.reserveCapacity(estimate)
        if layout.mayHave[EventField.action.rawValue] { out.action.reserveCapacity(estimate) }
        if layout.mayHave[EventField.value.rawValue] { out.value.reserveCapacity(estimate) }
        if layout.mayHave[EventField.propensity.rawValue] { out.propensity.reserveCapacity(estimate) }
        block.withUnsafeBufferPointer { b in
            var cursor = Cursor(bytes: b)
            let badBytes = Self.findBadBytes(b)
            var nextBad = 0
            while cursor.position < b.count && out.issues.count < maxIssues {
                let recordStart = cursor.position
                let recordLine = cursor.line
                let outcome = format == .ndjson ? scanJSONLine(&cursor) : scanCSVRecord(&cursor)
                let recordEnd = cursor.position
                func issue(_ code: JourneyError.Code, _ message: String, at offset: Int, fatal: Bool = false) {
                    out.issues.append(
                        Self.makeIssue(
                            b, code, message, at: offset, recordStart: recordStart, recordEnd: recordEnd,
                            recordLine: recordLine, fatal: fatal))
                }
                if case .blank = outcome {
                    out.blankLines += 1
                    continue
                }
                out.records += 1
                if recordEnd - recordStart > maxRecordBytes {
                    issue(.recordTooLong, "record is \(recordEnd - recordStart) bytes, longer than the limit of \(maxRecordBytes)", at: recordStart)
                    continue
                }
                while nextBad < badBytes.count && badBytes[nextBad] < recordStart { nextBad += 1 }
                if nextBad < badBytes.count && badBytes[nextBad] < recordEnd {
                    let at = badBytes[nextBad]
                    let message = b[at] == 0 ? "NUL byte in the input" : "bytes that are not UTF-8 (0x\(String(b[at], radix: 16, uppercase: true)))"
                    issue(.invalidText, message + "; the input must be UTF-8 text", at: at)
                    continue
                }
                switch outcome {
                case .blank: continue
                case .malformed(let code, let message, let offset):
                    issue(code, message, at: offset)
                    continue
                case .fields(let count):
                    if format == .csv && count != layout.fieldOfColumn.count {
                        issue(.wrongFieldCount, "expected \(layout.fieldOfColumn.count) fields as in the header, found \(count)", at: recordStart)
                        continue
                    }
                }
                let known = (out.channelTable.count, out.eventTable.count, out.actionTable.count)
                if let problem = store(b, into: &out) {
                    issue(problem.code, problem.message, at: problem.offset, fatal: problem.fatal)
                } else if out.channelTable.count > known.0 || out.eventTable.count > known.1 || out.actionTable.count > known.2 {
                    func place(_ field: EventField) -> BlockPlace {
                        let s = slices[field.rawValue]
                        return Self.place(b, at: s.present ? s.start : recordStart, recordStart: recordStart, recordLine: recordLine)
                    }
                    if out.channelTable.count > known.0 { out.channelPlaces.append(place(.channel)) }
                    if out.eventTable.count > known.1 { out.eventPlaces.append(place(.event)) }
                    if out.actionTable.count > known.2 { out.actionPlaces.append(place(.action)) }
                }
            }
            out.lineFeeds = cursor.line
        }
        return out
    }

    // MARK: - Fields to columns

    private struct FieldProblem: Error {
        var code: JourneyError.Code
        var message: String
        var offset: Int
        var fatal = false
    }

    /// Validates the record's fields and appends them to `out`, or says why not (appending nothing).
    ///
    /// Written without closures that capture mutable locals: those would be boxed and pay dynamic
    /// exclusivity checks on every row.
    private func store(_ b: UnsafeBufferPointer<UInt8>, into out: inout ParsedBlock) -> FieldProblem? {
        guard hasAttributes else { return storeEvent(b, into: &out) }
        if let problem = parseAttributes(b, into: &out) { return problem }
        if let problem = storeEvent(b, into: &out) { return problem }
        let customer = Int(out.customer[out.customer.count - 1])
        for a in pendingAttributes.indices where !pendingAttributes[a].isNaN {
            if out.attributeValues[a].count <= customer {
                out.attributeValues[a].append(contentsOf: repeatElement(.nan, count: customer + 1 - out.attributeValues[a].count))
            }
            out.attributeValues[a][customer] = pendingAttributes[a]
        }
        return nil
    }

    /// Reads the record's attribute fields into `pendingAttributes` (interning text levels), or says why
    /// one is bad.
    private func parseAttributes(_ b: UnsafeBufferPointer<UInt8>, into out: inout ParsedBlock) -> FieldProblem? {
        var scratch: [UInt8] = []
        for a in pendingAttributes.indices {
            pendingAttributes[a] = .nan
            let s = attributeSlices[a]
            guard s.present, s.end > s.start else { continue }
            var field = UnsafeBufferPointer(rebasing: b[s.start..<s.end])
            let length = s.end - s.start
            let cacheable = !s.escaped && length <= Self.cachedFieldBytes
            let cache = cachedBytes.baseAddress! + a * Self.cachedFieldBytes
            if cacheable && cachedLength[a] == length && memcmp(cache, field.baseAddress!, length) == 0 {
                pendingAttributes[a] = cachedValue[a]
                continue
            }
            if s.escaped {
                scratch.removeAll(keepingCapacity: true)
                if format == .ndjson {
                    if let message = Self.unescapeJSON(field, into: &scratch) {
                        return FieldProblem(code: .malformedJSON, message: message, offset: s.start)
                    }
                } else {
                    Self.unescapeCSV(field, into: &scratch)
                }
            }
            let problem: FieldProblem? = scratch.withUnsafeBufferPointer { decoded in
                if s.escaped { field = decoded }
                guard !field.isEmpty else { return nil }
                let column = layout.attributes[a]
                if column.isNumeric {
                    guard let number = NumberParser.parseDouble(field) else {
                        return FieldProblem(
                            code: .invalidNumber, message: "attribute '\(column.name)' is \(Self.quoted(field)), not a finite number",
                            offset: s.start)
                    }
                    pendingAttributes[a] = number
                } else {
                    pendingAttributes[a] = Double(out.attributeLevels[a].intern(field))
                }
                return nil
            }
            if let problem { return problem }
            if cacheable {
                cache.update(from: field.baseAddress!, count: length)
                cachedLength[a] = length
                cachedValue[a] = pendingAttributes[a]
            }
        }
        return nil
    }

    /// Validates the record's event fields and appends them to `out`, or says why not (appending nothing).
    private func storeEvent(_ b: UnsafeBufferPointer<UInt8>, into out: inout ParsedBlock) -> FieldProblem? {
        // Escaped fields (rare) are decoded into `scratch` first; `decoded[field]` says where.
        var scratch: [UInt8] = []
        var decoded: [Range<Int>?] = []
        for field in 0..<slices.count where slices[field].present && slices[field].escaped {
            if decoded.isEmpty { decoded = Array(repeating: nil, count: slices.count) }
            let s = slices[field]
            let start = scratch.count
            if format == .ndjson {
                if let message = Self.unescapeJSON(UnsafeBufferPointer(rebasing: b[s.start..<s.end]), into: &scratch) {
                    return FieldProblem(code: .malformedJSON, message: message, offset: s.start)
                }
            } else {
                Self.unescapeCSV(UnsafeBufferPointer(rebasing: b[s.start..<s.end]), into: &scratch)
            }
            decoded[field] = start..<scratch.count
        }
        return scratch.withUnsafeBufferPointer { scratchBytes in
            let fields = RecordFields(record: b, scratch: scratchBytes, decoded: decoded, slices: UnsafeBufferPointer(slices))
            return store(fields, into: &out)
        }
    }

    /// The current record's field bytes, decoded where they were escaped.
    private struct RecordFields {
        let record: UnsafeBufferPointer<UInt8>
        let scratch: UnsafeBufferPointer<UInt8>
        let decoded: [Range<Int>?]
        let slices: UnsafeBufferPointer<Slice>

        /// Nil when the field is absent (no such column or key, or JSON null).
        @inline(__always)
        func bytes(_ field: EventField) -> UnsafeBufferPointer<UInt8>? {
            let s = slices[field.rawValue]
            guard s.present else { return nil }
            if !decoded.isEmpty, let range = decoded[field.rawValue] { return UnsafeBufferPointer(rebasing: scratch[range]) }
            return UnsafeBufferPointer(rebasing: record[s.start..<s.end])
        }

        func offset(_ field: EventField) -> Int { slices[field.rawValue].start }
    }

    private func required(_ field: EventField, _ fields: RecordFields) -> Result<UnsafeBufferPointer<UInt8>, FieldProblem> {
        guard let v = fields.bytes(field), !v.isEmpty else {
            return .failure(FieldProblem(code: .emptyField, message: "'\(layout.names[field.rawValue])' is empty; every event needs one", offset: fields.offset(field)))
        }
        if format == .ndjson && field == .channel && !slices[field.rawValue].isString {
            return .failure(FieldProblem(code: .malformedJSON, message: "'\(layout.names[field.rawValue])' must be a JSON string", offset: fields.offset(field)))
        }
        return .success(v)
    }

    private func store(_ fields: RecordFields, into out: inout ParsedBlock) -> FieldProblem? {
        let customerBytes: UnsafeBufferPointer<UInt8>
        let timeBytes: UnsafeBufferPointer<UInt8>
        let channelBytes: UnsafeBufferPointer<UInt8>
        switch required(.customer, fields) {
        case .success(let v): customerBytes = v
        case .failure(let problem): return problem
        }
        switch required(.timestamp, fields) {
        case .success(let v): timeBytes = v
        case .failure(let problem): return problem
        }
        switch required(.channel, fields) {
        case .success(let v): channelBytes = v
        case .failure(let problem): return problem
        }
        func name(_ field: EventField) -> String { layout.names[field.rawValue] }

        let time: Int64
        do throws(TimestampError) {
            time = try TimestampParser.parse(timeBytes, format: timestampFormat)
        } catch {
            return FieldProblem(code: error.code, message: "'\(name(.timestamp))': " + error.message, offset: fields.offset(.timestamp))
        }
        var value = 0.0
        if let v = fields.bytes(.value), !v.isEmpty {
            guard let parsed = NumberParser.parseDouble(v) else {
                return FieldProblem(code: .invalidNumber, message: "'\(name(.value))' is \(Self.quoted(v)), not a finite number", offset: fields.offset(.value))
            }
            value = parsed
        }
        var propensity = Double.nan
        if let v = fields.bytes(.propensity), !v.isEmpty {
            guard let parsed = NumberParser.parseDouble(v), parsed > 0, parsed <= 1 else {
                return FieldProblem(code: .invalidNumber, message: "'\(name(.propensity))' is \(Self.quoted(v)); a propensity is a probability in (0, 1]", offset: fields.offset(.propensity))
            }
            propensity = parsed
        }
        if format == .ndjson {
            for field in [EventField.event, .action] where fields.bytes(field) != nil && !slices[field.rawValue].isString {
                return FieldProblem(code: .malformedJSON, message: "'\(name(field))' must be a JSON string", offset: fields.offset(field))
            }
        }
        let channelID = out.channelTable.intern(channelBytes)
        let eventID: Int
        if let v = fields.bytes(.event), !v.isEmpty {
            eventID = out.eventTable.intern(v)
        } else {
            eventID = defaultEventType.withUnsafeBufferPointer { out.eventTable.intern($0) }
        }
        var actionCode = 0
        if let v = fields.bytes(.action), !v.isEmpty { actionCode = out.actionTable.intern(v) + 1 }
        guard channelID < Int(UInt16.max), eventID < Int(UInt16.max), actionCode < Int(UInt16.max) else {
            return FieldProblem(
                code: .tooManyDistinct,
                message: "more than 65,535 distinct channels, event types or actions; is each mapped to the right column?",
                offset: fields.offset(.channel), fatal: true)
        }
        out.customer.append(UInt32(truncatingIfNeeded: out.customerTable.intern(customerBytes)))
        out.timestamp.append(time)
        out.channel.append(UInt16(channelID))
        out.event.append(UInt16(eventID))
        if layout.mayHave[EventField.action.rawValue] { out.action.append(UInt16(actionCode)) }
        if layout.mayHave[EventField.value.rawValue] { out.value.append(value) }
        if layout.mayHave[EventField.propensity.rawValue] { out.propensity.append(Float(propensity)) }
        if format == .ndjson {
            for field in EventField.event.rawValue...EventField.propensity.rawValue where slices[field].present {
                out.seen[field] = true
            }
        }
        return nil
    }

    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(60), as: UTF8.self)
        return "'\(text)\(bytes.count > 60 ? "…" : "")'"
    }

    // MARK: - Scanning

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        /// Line feeds passed so far: the 0-based line of `position`.
        var line = 0
    }

    enum ScanOutcome {
        case fields(Int)
        case blank
        case malformed(JourneyError.Code, String, offset: Int)
    }

    /// Moves past the rest of the current line (after a malformed record).
    private func skipLine(_ c: inout Cursor) {
        let b = c.bytes
        while c.position < b.count {
            let byte = b[c.position]
            c.position += 1
            if byte == 0x0A {
                c.line += 1
                return
            }
        }
    }

    private func resetSlices() {
        for i in slices.indices { slices[i].present = false }
        if hasAttributes {
            for i in attributeSlices.indices { attributeSlices[i].present = false }
        }
    }

    /// One RFC 4180 record: fields split on the separator, quoted fields may hold separators, quotes
    /// (doubled) and line breaks; the record ends at LF or CRLF or the end of the block.
    private func scanCSVRecord(_ c: inout Cursor) -> ScanOutcome {
        resetSlices()
        let b = c.bytes
        let end = b.count
        let sep = separator
        let recordStart = c.position
        var column = 0
        var p = c.position
        let columns = layout.fieldOfColumn
        while true {
            var start: Int
            var fieldEnd: Int
            var escaped = false
            if p < end && b[p] == 0x22 {
                let open = p
                p += 1
                start = p
                while true {
                    guard let q = memchr(b.baseAddress! + p, 0x22, end - p) else {
                        c.line += Self.lineFeeds(b, p, end)
                        c.position = end
                        return .malformed(.malformedQuoting, "quote opened here is never closed", offset: open)
                    }
                    let close = b.baseAddress!.distance(to: q.assumingMemoryBound(to: UInt8.self))
                    c.line += Self.lineFeeds(b, p, close)
                    if close + 1 < end && b[close + 1] == 0x22 {
                        escaped = true
                        p = close + 2
                        continue
                    }
                    fieldEnd = close
                    p = close + 1
                    break
                }
                if p < end && b[p] != sep && b[p] != 0x0A && !(b[p] == 0x0D && (p + 1 == end || b[p + 1] == 0x0A)) {
                    let at = p
                    c.position = p
                    skipLine(&c)
                    return .malformed(.malformedQuoting, "unexpected character after a closing quote; a quote inside a quoted field is written twice (\"\")", offset: at)
                }
            } else {
                start = p
                while p < end {
                    let byte = b[p]
                    if byte == sep || byte == 0x0A || byte == 0x0D || byte == 0x22 { break }
                    p += 1
                }
                fieldEnd = p
                if p < end && (b[p] == 0x22 || (b[p] == 0x0D && p + 1 < end && b[p + 1] != 0x0A)) {
                    let at = p
                    c.position = p
                    skipLine(&c)
                    return b[at] == 0x22
                        ? .malformed(.malformedQuoting, "quote inside an unquoted field; quote the whole field and double the quote", offset: at)
                        : .malformed(.malformedQuoting, "carriage return not followed by a line feed", offset: at)
                }
            }
            if column < columns.count, let field = columns[column] {
                slices[field.rawValue] = Slice(start: start, end: fieldEnd, escaped: escaped, isString: true, present: true)
            }
            if hasAttributes, column < layout.attributeOfColumn.count, let a = layout.attributeOfColumn[column] {
                attributeSlices[a] = Slice(start: start, end: fieldEnd, escaped: escaped, isString: true, present: true)
            }
            column += 1
            if p >= end {
                c.position = end
                break
            }
            let byte = b[p]
            if byte == sep {
                p += 1
                continue
            }
            p += byte == 0x0D ? 2 : 1
            p = min(p, end)
            c.line += 1
            c.position = p
            break
        }
        if column == 1 && !slicesHaveContent(recordStart: recordStart, c: c) { return .blank }
        return .fields(column)
    }

    /// A record of one empty unquoted field is a blank line.
    private func slicesHaveContent(recordStart: Int, c: Cursor) -> Bool {
        let b = c.bytes
        let first = b[recordStart]
        return !(first == 0x0A || first == 0x0D)
    }

    static func lineFeeds(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var p = from
        while p < to, let hit = memchr(b.baseAddress! + p, 0x0A, to - p) {
            count += 1
            p = b.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return count
    }

    /// One NDJSON line: a flat JSON object; nested values are skipped, unknown keys ignored.
    private func scanJSONLine(_ c: inout Cursor) -> ScanOutcome {
        resetSlices()
        let b = c.bytes
        let lineStart = c.position
        var lineEnd = b.count
        if let lf = memchr(b.baseAddress! + lineStart, 0x0A, b.count - lineStart) {
            lineEnd = b.baseAddress!.distance(to: lf.assumingMemoryBound(to: UInt8.self))
            c.position = lineEnd + 1
            c.line += 1
        } else {
            c.position = b.count
        }
        var json = JSONScanner(bytes: b, position: lineStart, end: lineEnd)
        json.skipSpace()
        // Blank, also with CRLF line ends (`skipSpace` leaves a CR that ends the line).
        if json.position == lineEnd || (json.position + 1 == lineEnd && b[json.position] == 0x0D) { return .blank }
        do {
            try json.expect(0x7B)  // {
            json.skipSpace()
            if json.peek() == 0x7D {
                json.position += 1
            } else {
                while true {
                    json.skipSpace()
                    let key = try json.string()
                    json.skipSpace()
                    try json.expect(0x3A)  // :
                    json.skipSpace()
                    let valueStart = json.position
                    let value = try json.value()
                    if let field = fieldForKey(b, key) {
                        if slices[field.rawValue].present {
                            return .malformed(.malformedJSON, "key '\(layout.names[field.rawValue])' appears twice", offset: key.start)
                        }
                        switch value {
                        case .string(let s): slices[field.rawValue] = Slice(start: s.start, end: s.end, escaped: s.escaped, isString: true, present: true)
                        case .number(let range): slices[field.rawValue] = Slice(start: range.lowerBound, end: range.upperBound, isString: false, present: true)
                        case .null: break
                        case .other:
                            return .malformed(.malformedJSON, "'\(layout.names[field.rawValue])' must be a string or a number", offset: valueStart)
                        }
                    } else if hasAttributes, let a = attributeForKey(b, key) {
                        if attributeSlices[a].present {
                            return .malformed(.malformedJSON, "key '\(layout.attributes[a].name)' appears twice", offset: key.start)
                        }
                        switch value {
                        case .string(let s): attributeSlices[a] = Slice(start: s.start, end: s.end, escaped: s.escaped, isString: true, present: true)
                        case .number(let range): attributeSlices[a] = Slice(start: range.lowerBound, end: range.upperBound, isString: false, present: true)
                        case .null: break
                        case .other:
                            return .malformed(.malformedJSON, "attribute '\(layout.attributes[a].name)' must be a string or a number", offset: valueStart)
                        }
                    }
                    json.skipSpace()
                    if json.peek() == 0x2C {
                        json.position += 1
                        continue
                    }
                    try json.expect(0x7D)
                    break
                }
            }
            json.skipSpace()
            if json.position < lineEnd && b[json.position] == 0x0D && json.position + 1 == lineEnd { json.position += 1 }
            guard json.position == lineEnd else {
                return .malformed(.malformedJSON, "text after the end of the JSON object", offset: json.position)
            }
        } catch {
            return .malformed(.malformedJSON, error.message, offset: error.offset)
        }
        return .fields(0)
    }

    private func fieldForKey(_ b: UnsafeBufferPointer<UInt8>, _ key: JSONScanner.StringToken) -> EventField? {
        Self.index(of: key, in: b, among: layout.keys).flatMap { EventField(rawValue: $0) }
    }

    private func attributeForKey(_ b: UnsafeBufferPointer<UInt8>, _ key: JSONScanner.StringToken) -> Int? {
        Self.index(of: key, in: b, among: layout.attributeKeys)
    }

    /// The index of the key's (unescaped) bytes in `keys`, or nil.
    private static func index(of key: JSONScanner.StringToken, in b: UnsafeBufferPointer<UInt8>, among keys: [[UInt8]]) -> Int? {
        if key.escaped {
            var decoded: [UInt8] = []
            guard unescapeJSON(UnsafeBufferPointer(rebasing: b[key.start..<key.end]), into: &decoded) == nil else {
                return nil
            }
            return keys.firstIndex(of: decoded)
        }
        let count = key.end - key.start
        for (i, name) in keys.enumerated() where name.count == count {
            if name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, b.baseAddress! + key.start, count) == 0 }) {
                return i
            }
        }
        return nil
    }

    // MARK: - Unescaping

    static func unescapeCSV(_ s: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var i = 0
        while i < s.count {
            out.append(s[i])
            i += s[i] == 0x22 ? 2 : 1
        }
    }

    /// Decodes a JSON string body into UTF-8; returns a reason on a bad escape.
    static func unescapeJSON(_ s: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> String? {
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= s.count else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = s[k]
                let d: UInt8
                switch c {
                case 48...57: d = c - 48
                case 65...70: d = c - 55
                case 97...102: d = c - 87
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < s.count {
            let c = s[i]
            if c != 0x5C {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < s.count else { return "string ends inside an escape" }
            let e = s[i + 1]
            i += 2
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { return "\\u needs four hex digits" }
                i += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 1 < s.count, s[i] == 0x5C, s[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2),
                        (0xDC00..<0xE000).contains(low)
                    else { return "unpaired UTF-16 surrogate in \\u escape" }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00..<0xE000).contains(scalar) {
                    return "unpaired UTF-16 surrogate in \\u escape"
                }
                if scalar == 0 { return "\\u0000 (NUL) is not allowed" }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                return "unknown escape \\\(Character(Unicode.Scalar(e)))"
            }
        }
        return nil
    }

    // MARK: - Positions and bad bytes

    /// Offsets of NUL bytes and of bytes that start no valid UTF-8 sequence, in order.
    static func findBadBytes(_ b: UnsafeBufferPointer<UInt8>) -> [Int] {
        var bad: [Int] = []
        let n = b.count
        let raw = UnsafeRawPointer(b.baseAddress!)
        var i = 0
        while i < n {
            // Fast path: eight ASCII bytes, none of them NUL.
            while i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let hasHigh = w & 0x8080_8080_8080_8080
                let hasZero = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
                if hasHigh | hasZero != 0 { break }
                i += 8
            }
            guard i < n else { break }
            let c = b[i]
            if c == 0 {
                bad.append(i)
                i += 1
            } else if c < 0x80 {
                i += 1
            } else {
                let length = utf8SequenceLength(b, i)
                if length == 0 {
                    bad.append(i)
                    i += 1
                } else {
                    i += length
                }
            }
        }
        return bad
    }

    /// Length of the valid UTF-8 sequence at `i`, or 0 (overlongs, surrogates and > U+10FFFF are invalid).
    static func utf8SequenceLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let c = b[i]
        func cont(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            i + k < b.count && b[i + k] >= low && b[i + k] <= high
        }
        switch c {
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE, 0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }

    /// Where `offset` is, in a record that starts at `recordStart` on block line `recordLine`.
    static func place(_ b: UnsafeBufferPointer<UInt8>, at offset: Int, recordStart: Int, recordLine: Int) -> BlockPlace {
        let at = min(max(offset, recordStart), b.count)
        let line = recordLine + lineFeeds(b, recordStart, at)
        var lineStart = at
        while lineStart > 0 && b[lineStart - 1] != 0x0A { lineStart -= 1 }
        // Column in characters: count bytes that are not UTF-8 continuation bytes.
        var column = 1
        for k in lineStart..<at where b[k] & 0xC0 != 0x80 { column += 1 }
        return BlockPlace(line: line, column: column)
    }

    static func makeIssue(
        _ b: UnsafeBufferPointer<UInt8>, _ code: JourneyError.Code, _ message: String, at offset: Int,
        recordStart: Int, recordEnd: Int, recordLine: Int, fatal: Bool
    ) -> BlockIssue {
        let spot = Self.place(b, at: offset, recordStart: recordStart, recordLine: recordLine)
        var end = recordEnd
        while end > recordStart && (b[end - 1] == 0x0A || b[end - 1] == 0x0D) { end -= 1 }
        let record = Array(b[recordStart..<min(end, recordStart + (64 << 10))])
        return BlockIssue(line: spot.line, column: spot.column, code: code, message: message, record: record, fatal: fatal)
    }
}
