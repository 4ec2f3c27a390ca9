import ArgumentParser
import Features
import Foundation
import Journeys
import WaypointScoring

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score every customer of a log with a model bundle: next channel, churn, conversion.",
        discussion: """
            Replays each customer's events before --at (default: just after the log's last event) and writes \
            one row per customer with at least one such event:
              customer_id, scored_at, next_channel (+ probability), next_touch_median_hours,
              journey_conversion_probability (Markov chain, from the open journey's state),
              best_next_channel (+ gain: the touch that raises that probability most),
              churn_probability, conversion_probability, and the top reason of each (the feature adding
              most to its log-odds),
              best_action (+ channel, uplift, expected gain = uplift x value - cost, top reason) when the
              bundle has an action catalog: 'none' when no eligible, allowed action pays; blocked_actions
              lists the actions a rule, a contact limit or an unsubscribe ruled out.
            Rows come in the log's customer order whatever the thread count. The output is written to a \
            temporary file and renamed, so a crash never leaves half a file under the name. The summary on \
            stderr reconciles customers in = scored + without history before --at.

            Examples:
              waypoint score --model models/demo --events datasets/sample/events.csv --out scores.csv
              waypoint score --model models/demo --events events.csv --at 2024-06-01 --format table --limit 10
              waypoint score --model models/demo --events events.csv --format table --sort gain
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, ndjson, table }

    @Option(help: "Model bundle folder written by 'waypoint train all'.")
    var model: String

    @Option(help: "Touchpoint log to score (CSV or NDJSON, or - for standard input).")
    var events: String

    @Option(help: "Score as of this time (ISO 8601 or Unix seconds/milliseconds), or 'end': just after the last event.")
    var at: String = "end"

    @Option(help: "Where to write the scores, or - for standard output.")
    var out: String = "-"

    @Option(help: "Output: csv, ndjson, or table (readable, with --limit rows).")
    var format: Format = .csv

    @Option(help: "Rows shown by --format table.")
    var limit: Int = 20

    enum Order: String, ExpressibleByArgument, CaseIterable { case customer, gain }

    @Option(help: "Row order: customer (the log's order) or gain (best action's expected gain, largest first).")
    var sort: Order = .customer

    @Option(help: "Customer attributes file (customer_id and the bundle's declared attributes); default: the events file.")
    var attributes: String?

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be at least 0, got \(limit)") }
    }

    func run() throws {
        let scorer: Scorer
        do { scorer = try Scorer(bundle: model) } catch { throw CLIFailure(error.description) }
        let options = try reader.options()
        let (store, readReport) = try reader.readLog(events)
        guard let range = store.timeRange else { throw CLIFailure("\(events) has no events to score") }
        let time: Int64
        if at == "end" {
            time = range.upperBound + 1
        } else {
            do { time = try reader.timestampFormat.parse(at) } catch { throw CLIFailure("--at \(error.message)") }
        }

        let table = try readAttributes(scorer, store: store, events: events, attributes: attributes, separator: options.separator)
        var (scores, report): ([CustomerScore], BatchScoringReport)
        do { (scores, report) = try scorer.scoreAll(store, attributes: table, at: time, threads: reader.threads) } catch {
            throw CLIFailure("\(error)")
        }

        if sort == .gain {
            // Stable: equal gains keep the log's customer order.
            scores = scores.enumerated().sorted { a, b in
                let (x, y) = (a.element.recommendation?.best.expectedIncrementalValue ?? 0, b.element.recommendation?.best.expectedIncrementalValue ?? 0)
                return x != y ? x > y : a.offset < b.offset
            }.map { $0.element }
        }
        let text: String
        switch format {
        case .csv: text = Self.csv(scores)
        case .ndjson: text = Self.ndjson(scores)
        case .table: text = Self.table(scores, limit: limit)
        }
        try writeAtomically(text, to: out)
        printError(
            "scored \(report.scored) of \(report.customers) customers at \(isoString(time)) (\(report.withoutHistory) without events before it); "
                + rowsLine(readReport, rejects: reader.rejects) + "; \(report.eventsUsed) events used, \(report.eventsAfterTime) at or after --at"
                + (report.unknownChannelEvents > 0 ? "; \(report.unknownChannelEvents) events on channels the models never saw" : ""))
    }

    static let header = [
        "customer_id", "scored_at", "next_channel", "next_channel_probability", "next_touch_median_hours",
        "journey_conversion_probability", "best_next_channel", "best_next_channel_gain", "churn_probability",
        "conversion_probability", "top_churn_reason", "top_conversion_reason", "best_action", "best_action_channel",
        "best_action_uplift", "best_action_expected_gain", "best_action_reason", "blocked_actions",
    ]

    static func fields(_ s: CustomerScore) -> [String] {
        func number(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
        return [
            s.customerID, isoString(s.time), s.nextChannels.first?.channel ?? "", number(s.nextChannels.first?.probability),
            number(s.nextTouchMedian.map { $0 / 3.6e9 }), number(s.journeyConversionProbability), s.bestNextChannel?.channel ?? "",
            number(s.bestNextChannel?.gain), number(s.churnProbability), number(s.conversionProbability),
            s.churnReasons.first?.feature ?? "", s.conversionReasons.first?.feature ?? "",
            s.recommendation?.best.actionID ?? "", s.recommendation?.best.channel ?? "", number(s.recommendation?.best.uplift),
            number(s.recommendation?.best.expectedIncrementalValue), s.recommendation?.best.reasons.first?.feature ?? "",
            s.recommendation.map { $0.blocked.map(\.actionID).joined(separator: " ") } ?? "",
        ]
    }

    static func csv(_ scores: [CustomerScore]) -> String {
        var out = header.joined(separator: ",") + "\n"
        for s in scores { out += fields(s).map(RejectWriter.quote).joined(separator: ",") + "\n" }
        return out
    }

    static func ndjson(_ scores: [CustomerScore]) -> String {
        var out = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for s in scores {
            var object: [String: String] = [:]
            for (k, v) in zip(header, fields(s)) where !v.isEmpty { object[k] = v }
            out += String(decoding: (try? encoder.encode(object)) ?? Data(), as: UTF8.self) + "\n"
        }
        return out
    }

    static func table(_ scores: [CustomerScore], limit: Int) -> String {
        let columns = ["customer", "next channel", "p", "p(churn)", "p(convert)", "best action", "uplift", "expected gain"]
        var rows: [[String]] = []
        for s in scores.prefix(limit) {
            func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
            let best = s.recommendation?.best
            rows.append([
                s.customerID, s.nextChannels.first?.channel ?? "-", pct(s.nextChannels.first?.probability),
                pct(s.churnProbability), pct(s.conversionProbability), best?.actionID ?? "-",
                best.map { String(format: "%+.1f pt", 100 * $0.uplift) } ?? "-",
                best.map { String(format: "%.2f", $0.expectedIncrementalValue) } ?? "-",
            ])
        }
        let widths = columns.indices.map { j in max(columns[j].count, rows.map { $0[j].count }.max() ?? 0) }
        func line(_ r: [String]) -> String {
            r.enumerated().map { j, v in j == 0 ? v.padding(toLength: widths[j], withPad: " ", startingAt: 0) : v.leftPadded(widths[j]) }
                .joined(separator: "  ")
        }
        var out = line(columns) + "\n"
        for r in rows { out += line(r) + "\n" }
        if scores.count > limit { out += "… \(scores.count - limit) more customers (--limit, or --format csv for all)\n" }
        return out
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so the final name
/// never holds a partial file; `-` writes to standard output.
func writeAtomically(_ text: String, to path: String) throws {
    if path == "-" {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
        throw CLIFailure("cannot write \(temporary)")
    }
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw CLIFailure("cannot rename \(temporary) to \(path): \(reason)")
    }
}
