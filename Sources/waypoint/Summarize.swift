import ArgumentParser
import Foundation
import Journeys

struct EventsSummarize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Count rows, customers, journeys and conversions in a touchpoint log.",
        discussion: """
            Reads the whole log the way training will (same parsing, same checks) and prints rows read, kept \
            and rejected, customers, journeys by outcome, conversions, events per channel and event type, \
            and the time range. A bad row stops the read with file:line:column and the reason, unless \
            --max-errors allows skipping it.

            Examples:
              waypoint events summarize events.csv
              waypoint events summarize events.csv --max-errors 100 --rejects rejects.csv
              zcat events.csv.gz | waypoint events summarize - --input-format csv --format json
            """
    )

    @Argument(help: "Touchpoint log (CSV or NDJSON), or - for standard input.")
    var file: String

    @OptionGroup var reader: ReaderArguments
    @OptionGroup var journeys: JourneyArguments

    @Option(help: "Output: table (for people) or json (for programs).")
    var format: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    func run() throws {
        let options = try reader.options()
        let rejectWriter = try reader.rejects.map { try RejectWriter(path: $0) }
        let progress = ProgressLine()
        let rssBefore = currentResidentBytes()
        let (store, report): (EventStore, EventReadReport)
        do {
            (store, report) = try EventReader.read(
                path: file, options: options,
                onReject: rejectWriter.map { writer in { writer.write($0) } },
                onProgress: { progress.update("read \(formatBytes($0.bytesRead)), \($0.rowsKept) rows") })
        } catch {
            progress.clear()
            try rejectWriter?.close()
            throw CLIFailure(error.description)
        }
        progress.clear()
        try rejectWriter?.close()
        let memory = (before: rssBefore, peakAfterRead: peakResidentBytes())
        let summary = Summary(store: store, report: report, journeyOptions: try journeys.options(), file: file, memory: memory)
        switch format {
        case .table: print(summary.table())
        case .json: print(try summary.json())
        }
        if report.rowsKept == 0 { printError("warning: no events were read from \(file)") }
    }
}

/// What `events summarize` reports.
struct Summary {
    let store: EventStore
    let report: EventReadReport
    let journeyOptions: JourneyOptions
    let file: String
    /// Resident memory before reading, and the peak right after reading (before the summary's own work).
    let memory: (before: Int, peakAfterRead: Int)

    var journeyCounts: (converted: Int, lapsed: Int, censored: Int, value: Double) {
        var counts = (converted: 0, lapsed: 0, censored: 0, value: 0.0)
        for journey in store.journeys(journeyOptions) {
            switch journey.outcome {
            case .converted:
                counts.converted += 1
                counts.value += journey.conversionValue
            case .lapsed: counts.lapsed += 1
            case .censored: counts.censored += 1
            }
        }
        return counts
    }

    func countsByName(_ codes: [UInt16], _ names: InternedStrings) -> [(name: String, count: Int)] {
        var counts = [Int](repeating: 0, count: names.count)
        for code in codes { counts[Int(code)] += 1 }
        return zip(names, counts).map { (name: $0, count: $1) }.sorted { $0.count > $1.count || ($0.count == $1.count && $0.name < $1.name) }
    }

    func table() -> String {
        let j = journeyCounts
        var lines: [String] = []
        let journeys = j.converted + j.lapsed + j.censored
        lines.append("file         \(file)")
        lines.append("rows         \(report.rowsRead) read = \(report.rowsKept) kept + \(report.rowsRejected) rejected" + (report.blankLines > 0 ? " (\(report.blankLines) blank lines skipped)" : ""))
        lines.append("customers    \(store.customerCount)")
        lines.append("journeys     \(journeys): \(j.converted) converted, \(j.lapsed) lapsed, \(j.censored) censored (still open at the end of the data)")
        lines.append("conversions  \(j.converted), value \(String(format: "%.2f", j.value))")
        if let range = store.timeRange {
            lines.append("time range   \(TimestampFormat.iso8601(range.lowerBound)) to \(TimestampFormat.iso8601(range.upperBound))")
        }
        lines.append("read in      \(String(format: "%.2f", report.seconds)) s (\(formatBytes(report.bytesRead)))")
        lines.append("")
        lines.append(Self.table(title: "channel", rows: countsByName(store.channels, store.channelNames), total: store.count))
        lines.append("")
        lines.append(Self.table(title: "event", rows: countsByName(store.eventTypes, store.eventTypeNames), total: store.count))
        return lines.joined(separator: "\n")
    }

    static func table(title: String, rows: [(name: String, count: Int)], total: Int) -> String {
        let width = max(title.count, rows.map(\.name.count).max() ?? 0)
        var lines = ["\(title.padding(toLength: width, withPad: " ", startingAt: 0))  \("events".leftPadded(10))  share"]
        for row in rows {
            let share = total > 0 ? 100 * Double(row.count) / Double(total) : 0
            lines.append("\(row.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(row.count).leftPadded(10))  \(String(format: "%5.1f%%", share))")
        }
        return lines.joined(separator: "\n")
    }

    func json() throws -> String {
        let j = journeyCounts
        var object: [String: Any] = [
            "file": file,
            "rows_read": report.rowsRead, "rows_kept": report.rowsKept, "rows_rejected": report.rowsRejected,
            "blank_lines": report.blankLines, "customers": store.customerCount,
            "journeys": ["converted": j.converted, "lapsed": j.lapsed, "censored": j.censored],
            "conversions": j.converted, "conversion_value": j.value,
            "events_per_channel": Dictionary(uniqueKeysWithValues: countsByName(store.channels, store.channelNames).map { ($0.name, $0.count) }),
            "events_per_type": Dictionary(uniqueKeysWithValues: countsByName(store.eventTypes, store.eventTypeNames).map { ($0.name, $0.count) }),
            "load_seconds": report.seconds, "bytes_read": report.bytesRead,
            "column_bytes": store.columnBytes,
            "distinct_id_bytes": store.customerIDs.byteCount + store.channelNames.byteCount + store.eventTypeNames.byteCount + store.actionNames.byteCount,
            "distinct_id_table_bytes": store.customerIDs.memoryFootprint + store.channelNames.memoryFootprint + store.eventTypeNames.memoryFootprint + store.actionNames.memoryFootprint,
            "rss_before_read_bytes": memory.before,
            "peak_rss_after_read_bytes": memory.peakAfterRead,
        ]
        if let range = store.timeRange {
            object["time_range"] = ["start": TimestampFormat.iso8601(range.lowerBound), "end": TimestampFormat.iso8601(range.upperBound)]
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
