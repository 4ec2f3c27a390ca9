import ArgumentParser
import Journeys

/// Options for reading a touchpoint log, shared by every command that reads one.
struct ReaderArguments: ParsableArguments {
    @Option(help: "Input format: auto (by extension: .ndjson/.jsonl are NDJSON, the rest CSV), csv or ndjson.")
    var inputFormat: EventFormat = .auto

    @Option(help: "CSV field separator: one character, or 'tab'.")
    var separator: String = ","

    @Option(
        name: .customLong("column"),
        help: ArgumentHelp(
            "Map an event field to the input's column: FIELD=NAME (repeatable).",
            discussion: "Fields: customer_id, timestamp, channel, event, value, action, propensity. Example: --column customer_id=user --column timestamp=ts",
            valueName: "field=name"))
    var columns: [String] = []

    @Option(help: "Timestamp format: auto, iso8601, unix-seconds or unix-milliseconds. auto reads ISO 8601 text, and numbers as seconds below 10^11, milliseconds from there on.")
    var timestampFormat: TimestampFormat = .auto

    @Option(help: "Bad rows to skip before stopping (default 0: stop at the first, naming file, line and column). Use with --rejects.")
    var maxErrors: Int = 0

    @Option(help: "Write each skipped row to this CSV file with its line number and reason.")
    var rejects: String?

    @Option(help: "Longest record accepted, in bytes.")
    var maxRecordBytes: Int = 1 << 20

    @Option(help: "Threads that parse in parallel (default: all cores).")
    var threads: Int = systemCoreCount()

    func validate() throws {
        if rejects != nil && maxErrors == 0 {
            throw ValidationError("--rejects needs --max-errors N (N > 0): with 0, the first bad row stops the read")
        }
        _ = try options()
    }

    func options() throws -> EventReaderOptions {
        var options = EventReaderOptions()
        options.format = inputFormat
        switch separator {
        case "tab", "\\t", "\t": options.separator = 0x09
        default:
            guard separator.utf8.count == 1, let byte = separator.utf8.first else {
                throw ValidationError("--separator must be one ASCII character or 'tab', got '\(separator)'")
            }
            options.separator = byte
        }
        for mapping in columns {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ValidationError("--column takes FIELD=NAME, got '\(mapping)'")
            }
            do { try options.columns.map(parts[0], to: parts[1]) } catch { throw ValidationError(error.message) }
        }
        options.timestampFormat = timestampFormat
        options.maxErrors = maxErrors
        options.maxRecordBytes = maxRecordBytes
        options.threads = threads
        return options
    }
}

/// How journeys are cut from events.
struct JourneyArguments: ParsableArguments {
    @Option(name: .customLong("conversion-event"), help: "Event type that counts as a conversion (repeatable). Default: purchase.")
    var conversionEvents: [String] = []

    @Option(name: .customLong("conversion-channel"), help: "Channel on which an event counts as a conversion (repeatable). With --conversion-event, an event must match both.")
    var conversionChannels: [String] = []

    @Option(help: "Inactivity that ends a journey without conversion: 30d, 12h, 90m, 3600s, or 'none'.")
    var timeout: String = "30d"

    func validate() throws { _ = try options() }

    func options() throws -> JourneyOptions {
        var options = JourneyOptions()
        let events = conversionEvents.isEmpty && conversionChannels.isEmpty ? ["purchase"] : conversionEvents
        options.conversion = ConversionRule(
            events: events.isEmpty ? nil : Set(events),
            channels: conversionChannels.isEmpty ? nil : Set(conversionChannels))
        options.inactivityTimeout = try parseDuration(timeout)
        return options
    }
}

/// `30d`, `12h`, `90m`, `3600s` or `none`, in microseconds.
func parseDuration(_ text: String) throws -> Int64? {
    if text == "none" { return nil }
    let units: [Character: Int64] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
    guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount > 0, amount.isFinite, amount < 1e6
    else {
        throw ValidationError("--timeout takes a positive number with a unit d, h, m or s (30d, 12h), or 'none'; got '\(text)'")
    }
    return Int64(amount * Double(unit) * 1e6)
}

extension EventFormat: ExpressibleByArgument {}
extension TimestampFormat: ExpressibleByArgument {}

extension ReaderArguments {
    /// Reads a touchpoint log with these options: progress on a terminal, rejected rows to `--rejects`
    /// when asked, and the failure as `file:line:column: reason`.
    func readLog(
        _ path: String, extraColumns: [String: String] = [:], attributeColumns: [AttributeColumn] = []
    ) throws -> (store: EventStore, report: EventReadReport) {
        var options = try options()
        for (field, column) in extraColumns.sorted(by: { $0.key < $1.key }) {
            do { try options.columns.map(field, to: column) } catch { throw CLIFailure(error.message) }
        }
        return try reading(options, attributeColumns: attributeColumns) { options, onReject, onProgress in
            try EventReader.read(path: path, options: options, onReject: onReject, onProgress: onProgress)
        }
    }

    /// Reads a log sorted by customer in batches of whole customers (`EventReader.readByCustomer`), with
    /// the same progress, rejects and messages as `readLog`. `body` gets each batch in input order.
    func readLogByCustomer(
        _ path: String, attributeColumns: [AttributeColumn] = [], batchEvents: Int = 1 << 18, body: (EventStore) throws -> Void
    ) throws -> EventReadReport {
        try reading(try options(), attributeColumns: attributeColumns) { options, onReject, onProgress in
            try EventReader.readByCustomer(
                path: path, options: options, batchEvents: batchEvents, onReject: onReject, onProgress: onProgress, body: body)
        }
    }

    /// Runs one read with the progress line and the reject file around it; a `JourneyError` becomes the
    /// CLI's `file:line:column: reason`, any other error (from a batch consumer) passes through.
    private func reading<R>(
        _ options: EventReaderOptions, attributeColumns: [AttributeColumn],
        _ read: (EventReaderOptions, ((RejectedRow) -> Void)?, @escaping (EventReadReport) -> Void) throws -> R
    ) throws -> R {
        var options = options
        options.attributeColumns = attributeColumns
        let rejectWriter = try rejects.map { try RejectWriter(path: $0) }
        let progress = ProgressLine()
        defer { progress.clear() }
        let result: R
        do {
            result = try read(
                options, rejectWriter.map { writer in { writer.write($0) } },
                { progress.update("read \(formatBytes($0.bytesRead)), \($0.rowsKept) rows") })
        } catch let error as JourneyError {
            try rejectWriter?.close()
            throw CLIFailure(error.description)
        } catch {
            try rejectWriter?.close()
            throw error
        }
        try rejectWriter?.close()
        return result
    }
}

/// `rows N read = kept + rejected`, and where the rejected rows went.
func rowsLine(_ report: EventReadReport, rejects: String?) -> String {
    "\(report.rowsRead) rows read = \(report.rowsKept) kept + \(report.rowsRejected) rejected"
        + (report.rowsRejected > 0 ? (rejects.map { " (written to \($0))" } ?? "") : "")
}
