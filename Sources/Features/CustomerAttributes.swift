import Foundation
import Journeys

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-customer attributes (numeric and categorical), keyed by an event store's customer numbers.
///
/// Read from any CSV with a customer id column and the declared columns, for example the events file
/// itself: for each customer and column the last non-empty value in file order is kept. A customer
/// without a row (or with only empty fields) has missing values: a missing numeric value reads as the
/// training mean, a missing categorical value as the reserved `(unseen)` level.
///
/// Attributes are one value per customer, not a history: taken from a file written after a cutoff,
/// they may carry information from after it. Use attributes fixed before the earliest cutoff (sign-up
/// region, segment at the start) when that matters.
public struct CustomerAttributes: Sendable {
    /// Numeric attribute names, in the order of `numeric`.
    public let numericNames: [String]
    /// Categorical attribute names, in the order of `categorical`.
    public let categoricalNames: [String]
    /// `numeric[a][customer]`: value of numeric attribute `a`, NaN when missing.
    public let numeric: [[Double]]
    /// `categorical[a][customer]`: value of categorical attribute `a`, nil when missing.
    public let categorical: [[String?]]
    /// Number of customers (the store's customer count).
    public let customerCount: Int

    /// No attributes, for `customerCount` customers.
    public init(customerCount: Int) {
        self.init(numericNames: [], numeric: [], categoricalNames: [], categorical: [], customerCount: customerCount)
    }

    /// The attribute columns an event store read along with its events
    /// (`EventReaderOptions.attributeColumns`): numeric columns as numeric attributes, the others as
    /// categorical ones.
    public init(_ columns: CustomerAttributeColumns, customerCount: Int) {
        var numericNames: [String] = []
        var numeric: [[Double]] = []
        var categoricalNames: [String] = []
        var categorical: [[String?]] = []
        for (a, column) in columns.columns.enumerated() {
            if column.isNumeric {
                numericNames.append(column.name)
                numeric.append(columns.values[a])
            } else {
                categoricalNames.append(column.name)
                categorical.append(columns.values[a].map { $0.isNaN ? nil : columns.levels[a][Int($0)] })
            }
        }
        self.init(
            numericNames: numericNames, numeric: numeric, categoricalNames: categoricalNames, categorical: categorical,
            customerCount: customerCount)
    }

    /// Attributes given as columns, one entry per customer of the store: NaN or nil for missing values
    /// (an infinite value is refused when rows are built).
    ///
    /// - Precondition: one column per name, each with `customerCount` entries.
    public init(numericNames: [String], numeric: [[Double]], categoricalNames: [String], categorical: [[String?]], customerCount: Int) {
        precondition(numericNames.count == numeric.count, "\(numericNames.count) numeric names for \(numeric.count) columns")
        precondition(categoricalNames.count == categorical.count, "\(categoricalNames.count) categorical names for \(categorical.count) columns")
        precondition(numeric.allSatisfy { $0.count == customerCount } && categorical.allSatisfy { $0.count == customerCount },
                     "every attribute column needs \(customerCount) entries")
        self.numericNames = numericNames
        self.numeric = numeric
        self.categoricalNames = categoricalNames
        self.categorical = categorical
        self.customerCount = customerCount
    }

    /// What `read` found.
    public struct ReadReport: Sendable, Hashable {
        /// Data rows read (the header excluded, blank lines skipped).
        public var rows = 0
        /// Rows whose customer id is not in the store (ignored).
        public var rowsOfUnknownCustomers = 0
        /// Store customers with at least one row.
        public var customersFound = 0
        /// Store customers without any row (all their attributes are missing).
        public var customersMissing = 0
    }

    /// Reads the declared attribute columns of a CSV file (RFC 4180, header line first, UTF-8).
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - customers: the store's customer ids (`store.customerIDs`); rows of other ids are counted and ignored.
    ///   - numeric: columns read as finite numbers (an empty field is missing).
    ///   - categorical: columns read as text levels (an empty field is missing).
    ///   - customerIDColumn: the header name of the customer id column.
    ///   - separator: the field separator byte.
    /// - Throws: `FeatureError` with `file:line:column` for a field that is not a number, bytes that are
    ///   not UTF-8, a missing column, a wrong field count, bad quoting or an empty file.
    public static func read(
        path: String, customers: InternedStrings, numeric: [String], categorical: [String],
        customerIDColumn: String = "customer_id", separator: UInt8 = UInt8(ascii: ",")
    ) throws(FeatureError) -> (attributes: CustomerAttributes, report: ReadReport) {
        guard let bytes = readWholeFile(path) else {
            throw FeatureError(.cannotRead, "cannot read the attributes file \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(bytes, file: path, customers: customers, numeric: numeric, categorical: categorical,
                         customerIDColumn: customerIDColumn, separator: separator)
    }

    static func parse(
        _ bytes: [UInt8], file: String, customers: InternedStrings, numeric: [String], categorical: [String],
        customerIDColumn: String, separator: UInt8
    ) throws(FeatureError) -> (attributes: CustomerAttributes, report: ReadReport) {
        var reader = CSVRecords(bytes: bytes, file: file, separator: separator)
        try reader.validateUTF8()
        var record = CSVRecords.Record()
        guard try reader.next(into: &record) else {
            throw FeatureError(.emptyInput, "\(file) is empty; expected a header line with '\(customerIDColumn)' and the attribute columns", at: InputPosition(file: file, line: 1, column: 1))
        }
        let names = (0..<record.count).map { record.string($0) }
        var columnOf: [String: Int] = [:]
        for (k, name) in names.enumerated() where columnOf.updateValue(k, forKey: name) != nil {
            throw FeatureError(.duplicateColumn, "column '\(name)' appears twice in the header", at: reader.position(of: record, field: k))
        }
        let wanted = [customerIDColumn] + numeric + categorical
        let missing = wanted.filter { columnOf[$0] == nil }
        guard missing.isEmpty else {
            throw FeatureError(
                .missingColumn,
                "missing column\(missing.count > 1 ? "s" : "") \(missing.map { "'\($0)'" }.joined(separator: ", ")); the header has \(names.joined(separator: ","))",
                at: InputPosition(file: file, line: record.line))
        }
        let idColumn = columnOf[customerIDColumn]!
        let numericColumns = numeric.map { columnOf[$0]! }
        let categoricalColumns = categorical.map { columnOf[$0]! }
        let n = customers.count
        var numericValues = Array(repeating: [Double](repeating: .nan, count: n), count: numeric.count)
        var categoricalValues = Array(repeating: [String?](repeating: nil, count: n), count: categorical.count)
        var seen = [Bool](repeating: false, count: n)
        var report = ReadReport()
        // An events file repeats a customer's id and attributes row after row: the last field seen in each
        // column and what it parsed to are kept, so repeats cost a byte comparison.
        var lastID: [UInt8] = []
        var lastCustomer: Int? = nil
        var lastNumeric = numeric.map { _ in (bytes: [UInt8](), value: 0.0) }
        var lastCategorical = categorical.map { _ in (bytes: [UInt8](), value: "") }
        while try reader.next(into: &record) {
            if record.count == 1 && record.isEmpty(0) { continue }  // blank line
            report.rows += 1
            guard record.count == names.count else {
                throw FeatureError(.wrongFieldCount, "the record has \(record.count) fields; the header has \(names.count)", at: InputPosition(file: file, line: record.line))
            }
            if !record.equals(idColumn, lastID) {
                lastID = Array(record.field(idColumn))
                lastCustomer = customers.id(of: String(decoding: lastID, as: UTF8.self))
            }
            guard let customer = lastCustomer else {
                report.rowsOfUnknownCustomers += 1
                continue
            }
            seen[customer] = true
            for (a, column) in numericColumns.enumerated() where !record.isEmpty(column) {
                if !record.equals(column, lastNumeric[a].bytes) {
                    let text = String(decoding: record.field(column), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    guard let value = Double(text), value.isFinite else {
                        throw FeatureError(
                            .invalidNumber, "'\(numeric[a])': '\(text)' is not a finite number",
                            at: reader.position(of: record, field: column))
                    }
                    lastNumeric[a] = (Array(record.field(column)), value)
                }
                numericValues[a][customer] = lastNumeric[a].value
            }
            for (a, column) in categoricalColumns.enumerated() where !record.isEmpty(column) {
                if !record.equals(column, lastCategorical[a].bytes) {
                    lastCategorical[a] = (Array(record.field(column)), record.string(column))
                }
                categoricalValues[a][customer] = lastCategorical[a].value
            }
        }
        report.customersFound = seen.reduce(0) { $0 + ($1 ? 1 : 0) }
        report.customersMissing = n - report.customersFound
        let attributes = CustomerAttributes(
            numericNames: numeric, numeric: numericValues, categoricalNames: categorical, categorical: categoricalValues,
            customerCount: n)
        return (attributes, report)
    }

    /// Column positions of `configuration`'s attributes in this table.
    package func columns(for configuration: FeatureConfiguration) throws(FeatureError) -> (numeric: [Int], categorical: [Int]) {
        var missing: [String] = []
        let numericColumns = configuration.numericAttributes.map { name in
            numericNames.firstIndex(of: name) ?? { missing.append(name); return -1 }()
        }
        let categoricalColumns = configuration.categoricalAttributes.map { name in
            categoricalNames.firstIndex(of: name) ?? { missing.append(name); return -1 }()
        }
        guard missing.isEmpty else {
            throw FeatureError(
                .missingColumn,
                "the configuration declares attributes the attribute table does not hold: \(missing.joined(separator: ", ")) "
                    + "(numeric: \(numericNames.joined(separator: ", ")); categorical: \(categoricalNames.joined(separator: ", ")))")
        }
        return (numericColumns, categoricalColumns)
    }

    /// Customer `customer`'s values for `configuration`'s declared attributes, in its order.
    ///
    /// - Throws: `FeatureError.missingColumn` when this table lacks a declared attribute.
    public func values(of customer: Int, for configuration: FeatureConfiguration) throws(FeatureError) -> AttributeValues {
        let (numericColumns, categoricalColumns) = try columns(for: configuration)
        return AttributeValues(
            numeric: numericColumns.map { numeric[$0][customer] },
            categorical: categoricalColumns.map { categorical[$0][customer] })
    }

    /// `values(of:for:)` with the columns looked up once (`columns(for:)`), written over `values` (no
    /// allocation once sized): for a batch that visits every customer.
    package func write(_ customer: Int, columns: (numeric: [Int], categorical: [Int]), into values: inout AttributeValues) {
        values.numeric.removeAll(keepingCapacity: true)
        values.categorical.removeAll(keepingCapacity: true)
        for j in columns.numeric { values.numeric.append(numeric[j][customer]) }
        for j in columns.categorical { values.categorical.append(categorical[j][customer]) }
    }
}

/// The bytes of a file, read straight into one array sized from `fstat` (no second copy), or nil with
/// `errno` set.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    var bytes = [UInt8](repeating: 0, count: Swift.max(Int(info.st_size), 0))
    var filled = 0
    while filled < bytes.count {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { break }
        filled += n
    }
    bytes.removeLast(bytes.count - filled)
    // A pipe or a file that grew: read on to the end.
    var more = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = more.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { return bytes }
        bytes.append(contentsOf: more[0..<n])
    }
}

/// A small RFC 4180 record reader with line numbers and character columns, for attribute files.
/// Fields are unescaped into one reused buffer, so reading allocates nothing per record once warm.
struct CSVRecords {
    struct Record {
        /// The unescaped fields, one after the other; field k is `bytes[bounds[k] ..< bounds[k + 1]]`.
        var bytes: [UInt8] = []
        var bounds: [Int] = [0]
        /// Byte offsets in the input where each field starts.
        var starts: [Int] = []
        /// 1-based line of the record's first byte.
        var line = 1
        /// Byte offset of that line's start.
        var lineStart = 0

        var count: Int { bounds.count - 1 }
        func field(_ k: Int) -> ArraySlice<UInt8> { bytes[bounds[k]..<bounds[k + 1]] }
        func isEmpty(_ k: Int) -> Bool { bounds[k] == bounds[k + 1] }
        func string(_ k: Int) -> String { String(decoding: field(k), as: UTF8.self) }
        func equals(_ k: Int, _ other: [UInt8]) -> Bool {
            let start = bounds[k]
            let count = bounds[k + 1] - start
            guard count == other.count else { return false }
            guard count > 0 else { return true }
            return bytes.withUnsafeBytes { a in other.withUnsafeBytes { o in memcmp(a.baseAddress! + start, o.baseAddress!, count) == 0 } }
        }

        mutating func clear(line: Int, lineStart: Int) {
            bytes.removeAll(keepingCapacity: true)
            bounds.removeAll(keepingCapacity: true)
            bounds.append(0)
            starts.removeAll(keepingCapacity: true)
            self.line = line
            self.lineStart = lineStart
        }
    }

    let bytes: [UInt8]
    let file: String
    let separator: UInt8
    var offset = 0
    var line = 1
    var lineStart = 0

    init(bytes: [UInt8], file: String, separator: UInt8) {
        self.bytes = bytes
        self.file = file
        self.separator = separator
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    }

    /// 1-based column (in Unicode scalars) of byte `at` on the line starting at `lineStart`.
    func column(_ at: Int, lineStart: Int) -> Int {
        var column = 1
        for k in min(lineStart, at)..<min(at, bytes.count) where bytes[k] & 0xC0 != 0x80 { column += 1 }
        return column
    }

    /// The line and column of byte `at`.
    func position(ofByte at: Int) -> InputPosition {
        var line = 1
        var start = 0
        for k in 0..<min(at, bytes.count) where bytes[k] == 0x0A {
            line += 1
            start = k + 1
        }
        return InputPosition(file: file, line: line, column: column(at, lineStart: start))
    }

    func position(of record: Record, field: Int) -> InputPosition {
        // A quoted field may span lines; count line feeds between the record start and the field.
        var line = record.line
        var start = record.lineStart
        for k in record.lineStart..<record.starts[field] where bytes[k] == 0x0A {
            line += 1
            start = k + 1
        }
        return InputPosition(file: file, line: line, column: column(record.starts[field], lineStart: start))
    }

    /// Throws `.invalidText` at the first byte that does not belong to a well-formed UTF-8 sequence
    /// (no overlong forms, no surrogates, nothing above U+10FFFF).
    func validateUTF8() throws(FeatureError) {
        let failure = bytes.withUnsafeBufferPointer { b -> Int? in
            var k = offset
            let n = b.count
            while k < n {
                let lead = b[k]
                if lead < 0x80 {
                    k += 1
                    continue
                }
                let length: Int
                var low: UInt8 = 0x80
                var high: UInt8 = 0xBF
                switch lead {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED: length = 3; high = 0x9F
                case 0xF0: length = 4; low = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; high = 0x8F
                default: return k
                }
                guard k + length <= n, (low...high).contains(b[k + 1]) else { return k }
                for c in (k + 2)..<(k + length) where b[c] & 0xC0 != 0x80 { return k }
                k += length
            }
            return nil
        }
        if let failure {
            throw FeatureError(.invalidText, "the bytes here are not UTF-8; save the file as UTF-8", at: position(ofByte: failure))
        }
    }

    /// Reads the next record into `record`; false at the end of the input.
    mutating func next(into record: inout Record) throws(FeatureError) -> Bool {
        guard offset < bytes.count else { return false }
        record.clear(line: line, lineStart: lineStart)
        while true {
            record.starts.append(offset)
            let fieldLine = line
            let fieldLineStart = lineStart
            if offset < bytes.count && bytes[offset] == 0x22 {
                let open = offset
                offset += 1
                while true {
                    guard offset < bytes.count else {
                        throw FeatureError(.malformedQuoting, "the quote opened here is never closed", at: InputPosition(file: file, line: fieldLine, column: column(open, lineStart: fieldLineStart)))
                    }
                    let b = bytes[offset]
                    if b == 0x22 {
                        if offset + 1 < bytes.count && bytes[offset + 1] == 0x22 {
                            record.bytes.append(0x22)
                            offset += 2
                            continue
                        }
                        offset += 1
                        break
                    }
                    if b == 0x0A {
                        line += 1
                        lineStart = offset + 1
                    }
                    record.bytes.append(b)
                    offset += 1
                }
            } else {
                let fieldStart = offset
                while offset < bytes.count {
                    let b = bytes[offset]
                    if b == separator || b == 0x0A || b == 0x0D { break }
                    if b == 0x22 {
                        throw FeatureError(.malformedQuoting, "a quote inside an unquoted field", at: InputPosition(file: file, line: line, column: column(offset, lineStart: lineStart)))
                    }
                    offset += 1
                }
                record.bytes.append(contentsOf: bytes[fieldStart..<offset])
            }
            record.bounds.append(record.bytes.count)
            guard offset < bytes.count else { return true }
            let b = bytes[offset]
            if b == separator {
                offset += 1
                continue
            }
            if b == 0x0D && offset + 1 < bytes.count && bytes[offset + 1] == 0x0A { offset += 1 }
            if bytes[offset] == 0x0A || bytes[offset] == 0x0D {
                offset += 1
                line += 1
                lineStart = offset
                return true
            }
            throw FeatureError(.malformedQuoting, "unexpected character after a closing quote", at: InputPosition(file: file, line: line, column: column(offset, lineStart: lineStart)))
        }
    }
}
