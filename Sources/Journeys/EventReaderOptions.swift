/// The header names (CSV) or keys (NDJSON) of the event fields.
public struct EventColumns: Sendable, Codable, Hashable {
    /// Column of the customer id (required). Default `customer_id`.
    public var customerID = "customer_id"
    /// Column of the event time (required; parsed as `EventReaderOptions.timestampFormat`). Default `timestamp`.
    public var timestamp = "timestamp"
    /// Column of the channel (required). Default `channel`.
    public var channel = "channel"
    /// Column of the event type (optional; a missing column or empty field is
    /// `EventReaderOptions.defaultEventType`). Default `event`.
    public var event = "event"
    /// Column of the event's value (optional; an empty field is 0). Default `value`.
    public var value = "value"
    /// Column of the action id (optional; an empty field is no action). Default `action`.
    public var action = "action"
    /// Column of the logging propensity, a probability in (0, 1] (optional; an empty field is NaN
    /// in the store). Default `propensity`.
    public var propensity = "propensity"

    /// The default names: `customer_id`, `timestamp`, `channel`, `event`, `value`, `action`, `propensity`.
    public init() {}

    /// The fields in a fixed order: the three required ones first.
    static let fieldNames = ["customer_id", "timestamp", "channel", "event", "value", "action", "propensity"]

    var names: [String] { [customerID, timestamp, channel, event, value, action, propensity] }

    /// Maps field `field` (one of `customer_id`, `timestamp`, `channel`, `event`, `value`, `action`,
    /// `propensity`) to the input's column `name`.
    ///
    /// - Throws: `JourneyError` `.invalidOption` naming the fields when `field` is not one of them.
    public mutating func map(_ field: String, to name: String) throws(JourneyError) {
        switch field {
        case "customer_id": customerID = name
        case "timestamp": timestamp = name
        case "channel": channel = name
        case "event": event = name
        case "value": value = name
        case "action": action = name
        case "propensity": propensity = name
        default:
            throw JourneyError(
                .invalidOption,
                "unknown event field '\(field)'; the fields are \(Self.fieldNames.joined(separator: ", "))")
        }
    }
}

/// Which text format the input is in.
public enum EventFormat: String, Sendable, Codable, CaseIterable {
    /// `.ndjson` and `.jsonl` files are NDJSON; anything else (and standard input) is CSV.
    case auto
    /// RFC 4180 CSV with a header line.
    case csv
    /// One JSON object per line.
    case ndjson
}

/// A per-customer column read along with the events (`EventReaderOptions.attributeColumns`).
public struct AttributeColumn: Sendable, Hashable {
    /// The column's header name (CSV) or key (NDJSON).
    public var name: String
    /// Values are finite numbers (else text levels).
    public var isNumeric: Bool

    public init(name: String, isNumeric: Bool) {
        self.name = name
        self.isNumeric = isNumeric
    }
}

/// How `EventReader` reads touchpoint events. Every field has a default.
public struct EventReaderOptions: Sendable {
    /// Input format. Default `.auto`: NDJSON for paths ending in `.ndjson` or `.jsonl`, CSV otherwise.
    public var format: EventFormat = .auto
    /// CSV field separator: one ASCII byte, not a quote, CR or LF. Default `,`.
    public var separator: UInt8 = UInt8(ascii: ",")
    /// Column names of the event fields.
    public var columns = EventColumns()
    /// How `timestamp` fields are parsed. Default `.auto`: ISO 8601, or Unix epoch seconds or
    /// milliseconds by magnitude.
    public var timestampFormat: TimestampFormat = .auto
    /// Event type used when the input has no `event` column or the field is empty.
    public var defaultEventType = "touch"
    /// Rows that may be rejected before reading stops. 0 (default): the first bad row stops reading
    /// with an error. Rejected rows go to `onReject`.
    public var maxErrors = 0
    /// Longest record accepted, in bytes. Default 1 MiB.
    public var maxRecordBytes = 1 << 20
    /// Threads that parse in parallel. Default: the machine's active cores.
    public var threads = systemCoreCount()
    /// Bytes read per block; each block is parsed as one unit of work. Default 2 MiB.
    public var blockBytes = 2 << 20
    /// Per-customer columns to read along with the events (a segment, a region, a tenure): for each
    /// customer the last non-empty value in file order lands in `EventStore.attributes`. A CSV input must
    /// have each column in its header; an NDJSON line may lack the key. A numeric column's values must be
    /// finite numbers, or the row is bad like any other. Default: none.
    public var attributeColumns: [AttributeColumn] = []

    /// Options with every field at its default. Checked when a read starts: `EventReader.read` throws
    /// `.invalidOption` listing every bad field.
    public init() {}

    func validate() throws(JourneyError) {
        var problems: [String] = []
        if [UInt8(ascii: "\""), 0x0A, 0x0D].contains(separator) || separator >= 0x80 {
            problems.append("separator must be one ASCII character other than a quote, CR or LF")
        }
        if maxErrors < 0 { problems.append("maxErrors must be >= 0, got \(maxErrors)") }
        if maxRecordBytes < 64 { problems.append("maxRecordBytes must be >= 64, got \(maxRecordBytes)") }
        if threads < 1 { problems.append("threads must be >= 1, got \(threads)") }
        if blockBytes < 4096 { problems.append("blockBytes must be >= 4096, got \(blockBytes)") }
        let names = columns.names
        if Set(names).count != names.count { problems.append("two event fields are mapped to the same column") }
        let attributeNames = attributeColumns.map(\.name)
        if Set(attributeNames).count != attributeNames.count { problems.append("an attribute column is declared twice") }
        if attributeColumns.count > Int(UInt16.max) { problems.append("more than 65,535 attribute columns") }
        if !problems.isEmpty { throw JourneyError(.invalidOption, problems.joined(separator: "; ")) }
    }
}

/// A row the reader skipped (only when `maxErrors > 0`).
public struct RejectedRow: Sendable {
    /// Where the row is: file, 1-based line and, when known, the 1-based column (in characters)
    /// of the problem.
    public var position: InputPosition
    /// What kind of problem made the reader skip it.
    public var code: JourneyError.Code
    /// What is wrong with the row, for people (the message a `JourneyError` would carry).
    public var reason: String
    /// The record's bytes as read (at most 64 KiB; longer ones are cut and say so in `reason`).
    public var record: [UInt8]
}

/// What a read did: every record is either kept or rejected.
public struct EventReadReport: Sendable {
    /// Data records read (the header not counted, blank lines not counted).
    public var rowsRead = 0
    /// Records stored as events.
    public var rowsKept = 0
    /// Records skipped as bad (only with `maxErrors > 0`; otherwise the first bad record throws).
    public var rowsRejected = 0
    /// Lines holding nothing, skipped.
    public var blankLines = 0
    /// Bytes read from the input so far, the header included.
    public var bytesRead = 0
    /// Wall-clock duration of the whole read, in seconds; 0 in the reports passed to `onProgress`,
    /// which arrive before the read ends.
    public var seconds = 0.0
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of cores this process may use.
public func systemCoreCount() -> Int {
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
