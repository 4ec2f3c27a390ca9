import ArgumentParser
import Features
import Foundation
import Journeys

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write a feature table (customer, cutoff, features, label) for churn or conversion models.",
        discussion: """
            For each cutoff T and each eligible customer, builds one row: features from the customer's events \
            strictly before T, and a 0/1 label from the horizon after T. Nothing at or after T reaches a feature.

            Cutoff (--cutoff T): the time features are computed at, 2024-06-01 (midnight UTC) or \
            2024-06-01T12:00:00Z. Repeat it to stack rolling snapshots: a customer gets one row per cutoff.

            Horizon (--horizon H): the label window [T, T + H), as 30d, 12h, 90m or 3600s. T + H must not pass \
            the last event of the log, or the labels would be censored: such a cutoff is refused.

            --label conversion: 1 when the customer has a conversion event (--conversion-event, default \
            purchase; --conversion-channel) in [T, T + H). Rows: customers with an event before T.

            --label churn: 1 when the customer has no event at all in [T, T + H), or an event of type \
            --churn-event (such as unsubscribe) there. Rows: customers active in the lookback, that is with an \
            event in [T - lookback, T) (--lookback, default 90d); the others are counted as skipped.

            Features (raw values unless --standardize; names as in the table header): count_<channel>_<w>d, \
            events_<event>_<w>d and value_<w>d in each window (an event exactly w days before T is inside); \
            touches_total, value_total; recency_days and recency_days_<channel> (days since the last touch, \
            capped at 365, the cap when never touched); days_since_first_touch; touches_per_30d; \
            distinct_channels; last<p>_channel=<channel> (the open journey's last --last-k channels, 'none' \
            when shorter; a journey ends at a conversion or after --timeout without events); \
            transition_<a>><b> counts within journeys; then declared attributes: numeric as they are (missing: \
            the training mean), categorical one-hot with a reserved '=(unseen)' level (also for missing values). \
            Vocabularies come from the events before the latest cutoff. Attributes come from --attributes-file \
            (default: the events file), the last non-empty value per customer.

            Examples:
              waypoint features --events events.csv --cutoff 2024-05-01 \\
                --horizon 30d --label conversion --out table.csv
              waypoint features --events events.csv \\
                --cutoff 2024-04-01 --cutoff 2024-05-01 --horizon 30d \\
                --label churn --lookback 60d --churn-event unsubscribe \\
                --attributes segment,region \\
                --numeric-attributes tenure_days,customer_value --out churn.csv
            """
    )

    enum Label: String, ExpressibleByArgument, CaseIterable { case churn, conversion }

    @Option(help: "Touchpoint log (CSV or NDJSON), or - for standard input.")
    var events: String

    @OptionGroup var reader: ReaderArguments
    @OptionGroup var journeys: JourneyArguments

    @Option(name: .customLong("cutoff"), help: "Cutoff time T: 2024-06-01 or 2024-06-01T12:00:00Z (repeatable).")
    var cutoffs: [String] = []

    @Option(help: "Label window after each cutoff, [T, T + horizon): 30d, 12h, 90m, 3600s.")
    var horizon: String

    @Option(help: "What the label means: churn or conversion (see the discussion above).")
    var label: Label

    @Option(help: "Churn only: customers need an event in [T − lookback, T) to be rows.")
    var lookback: String = "90d"

    @Option(help: "Churn only: an event type that counts as churn when it happens in the horizon (e.g. unsubscribe).")
    var churnEvent: String?

    @Option(help: "Categorical attribute columns, comma-separated (one-hot with an unseen level).")
    var attributes: String = ""

    @Option(help: "Numeric attribute columns, comma-separated.")
    var numericAttributes: String = ""

    @Option(help: "CSV with customer_id and the attribute columns (default: the events file).")
    var attributesFile: String?

    @Option(help: "Windows in days for the windowed counts and values, comma-separated.")
    var windows: String = "7,30,90"

    @Option(help: "How many of the open journey's last channels to one-hot encode.")
    var lastK: Int = 3

    @Flag(help: "Leave out the channel-to-channel transition counts.")
    var noTransitions = false

    @Flag(help: "Write standardized values (centered and scaled by the table's own mean and sd) instead of raw ones.")
    var standardize = false

    @Option(help: "Also write the fitted feature schema (JSON) here, to rebuild the same columns later.")
    var schema: String?

    @Option(help: "Where to write the table (CSV), or - for standard output.")
    var out: String

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func duration(_ text: String, flag: String) throws -> Int64 {
        do {
            guard let micros = try parseDuration(text) else { throw ValidationError("") }
            return micros
        } catch {
            throw ValidationError("--\(flag) takes a positive number with a unit d, h, m or s (30d, 12h); got '\(text)'")
        }
    }

    /// `2024-06-01` (midnight UTC) or `2024-06-01T12:00:00Z`, in microseconds.
    static func cutoff(_ text: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.count == 10 ? [.withFullDate] : [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        guard let date = formatter.date(from: text) else {
            throw ValidationError("--cutoff takes a date (2024-06-01) or a UTC time (2024-06-01T12:00:00Z); got '\(text)'")
        }
        return Int64((date.timeIntervalSince1970 * 1e6).rounded())
    }

    func configuration() throws -> FeatureConfiguration {
        let windowDays = try Self.list(windows).map { text -> Int in
            guard let w = Int(text) else { throw ValidationError("--windows takes whole days separated by commas (7,30,90); got '\(windows)'") }
            return w
        }
        let journeyOptions = try journeys.options()
        guard let timeout = journeyOptions.inactivityTimeout else {
            throw ValidationError("features need a journey timeout: give --timeout a duration such as 30d, not 'none'")
        }
        let configuration = FeatureConfiguration(
            windowDays: windowDays, lastK: lastK, includeTransitions: !noTransitions,
            journeyTimeoutDays: Double(timeout) / 86_400e6, conversion: journeyOptions.conversion,
            numericAttributes: Self.list(numericAttributes), categoricalAttributes: Self.list(attributes),
            standardize: standardize)
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return configuration
    }

    func labelDefinition() throws -> LabelDefinition {
        let h = try Self.duration(horizon, flag: "horizon")
        switch label {
        case .conversion:
            if churnEvent != nil { throw ValidationError("--churn-event is for --label churn") }
            return .conversion(horizon: h)
        case .churn:
            return .churn(horizon: h, lookback: try Self.duration(lookback, flag: "lookback"), churnEvent: churnEvent)
        }
    }

    func validate() throws {
        if cutoffs.isEmpty { throw ValidationError("give at least one --cutoff (2024-06-01)") }
        _ = try cutoffs.map(Self.cutoff)
        _ = try labelDefinition()
        let configuration = try configuration()
        let declared = configuration.numericAttributes + configuration.categoricalAttributes
        if attributesFile == nil && !declared.isEmpty {
            if events == "-" {
                throw ValidationError("the events come from standard input: give the attributes with --attributes-file")
            }
            let lower = events.lowercased()
            if reader.inputFormat == .ndjson || (reader.inputFormat == .auto && (lower.hasSuffix(".ndjson") || lower.hasSuffix(".jsonl"))) {
                throw ValidationError("attributes are read from CSV: give --attributes-file for an NDJSON event log")
            }
        }
    }

    func run() throws {
        let started = Date()
        let configuration = try configuration()
        let label = try labelDefinition()
        let cutoffTimes = try cutoffs.map(Self.cutoff)
        let options = try reader.options()
        let rejectWriter = try reader.rejects.map { try RejectWriter(path: $0) }
        let store: EventStore
        do {
            store = try EventReader.read(path: events, options: options, onReject: rejectWriter.map { writer in { writer.write($0) } }).store
        } catch {
            try rejectWriter?.close()
            throw CLIFailure(error.description)
        }
        try rejectWriter?.close()
        let read = Date()

        let attributeTable: CustomerAttributes
        if configuration.numericAttributes.isEmpty && configuration.categoricalAttributes.isEmpty {
            attributeTable = CustomerAttributes(customerCount: store.customerCount)
        } else {
            let path = attributesFile ?? events
            do {
                let (table, report) = try CustomerAttributes.read(
                    path: path, customers: store.customerIDs, numeric: configuration.numericAttributes,
                    categorical: configuration.categoricalAttributes, customerIDColumn: options.columns.customerID,
                    separator: options.separator)
                attributeTable = table
                if report.customersMissing > 0 {
                    printError("note: \(report.customersMissing) customers have no row in \(path): their attributes are missing")
                }
            } catch {
                throw CLIFailure(error.description)
            }
        }

        let attributesRead = Date()
        let fitted: (schema: FeatureSchema, snapshot: Snapshot)
        do {
            fitted = try FeatureSchema.fit(
                store: store, attributes: attributeTable, configuration: configuration, cutoffs: cutoffTimes, label: label,
                threads: options.threads)
        } catch {
            throw CLIFailure(error.description)
        }
        let built = Date()
        try writeTable(fitted.snapshot, schema: fitted.schema, store: store)
        if let schemaPath = schema {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(fitted.schema).write(to: URL(fileURLWithPath: schemaPath), options: .atomic)
            } catch {
                throw CLIFailure("cannot write the schema to \(schemaPath): \(error.localizedDescription)")
            }
        }

        let report = fitted.snapshot.report
        var lines = ["\(report.rows) rows × \(fitted.schema.featureCount) features, \(report.positives) labelled 1 (\(label == .conversion(horizon: label.horizon) ? "converted" : "churned")), written to \(out)"]
        for c in report.cutoffs {
            var line = "  cutoff \(TimestampFormat.iso8601(c.cutoff)): \(c.rows) rows, \(c.positives) positive, \(c.skippedWithoutHistory) without history"
            if case .churn = label { line += ", \(c.skippedInactive) inactive in the lookback" }
            lines.append(line)
        }
        lines.append(String(format: "  %d events of %d customers; read %.2f s, attributes %.2f s, features %.2f s, total %.2f s",
                            store.count, store.customerCount, read.timeIntervalSince(started), attributesRead.timeIntervalSince(read),
                            built.timeIntervalSince(attributesRead), Date().timeIntervalSince(started)))
        printError(lines.joined(separator: "\n"))
    }

    /// `1` for whole numbers, the shortest round-trip text otherwise.
    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    func writeTable(_ snapshot: Snapshot, schema: FeatureSchema, store: EventStore) throws {
        let toStdout = out == "-"
        let temporary = toStdout ? out : out + ".tmp-\(getpid())"
        let handle: FileHandle
        if toStdout {
            handle = FileHandle.standardOutput
        } else {
            guard FileManager.default.createFile(atPath: temporary, contents: nil),
                  let h = FileHandle(forWritingAtPath: temporary) else {
                throw CLIFailure("cannot create \(out)")
            }
            handle = h
        }
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        func flush() {
            handle.write(Data(buffer.utf8))
            buffer.removeAll(keepingCapacity: true)
        }
        buffer += (["customer_id", "cutoff"] + schema.featureNames + ["label"]).map(RejectWriter.quote).joined(separator: ",") + "\n"
        let n = snapshot.rows.count
        for (r, row) in snapshot.rows.enumerated() {
            buffer += RejectWriter.quote(store.customerIDs[row.customer])
            buffer += ","
            buffer += TimestampFormat.iso8601(row.cutoff)
            for j in 0..<snapshot.featureCount {
                buffer += ","
                buffer += Self.format(snapshot.features[j * n + r])
            }
            buffer += snapshot.labels[r] == 1 ? ",1\n" : ",0\n"
            if buffer.utf8.count > 1 << 20 { flush() }
        }
        flush()
        if !toStdout {
            try handle.close()
            // rename(2) replaces the destination atomically: readers see the old table or the new one.
            guard rename(temporary, out) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw CLIFailure("cannot write \(out): \(String(cString: strerror(errno)))")
            }
        }
    }
}
