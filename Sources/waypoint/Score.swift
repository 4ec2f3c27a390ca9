import ArgumentParser
import CNumberFormat
import Decisioning
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

            A log sorted by customer_id can be scored with --sorted in memory that does not grow with the log: \
            customers are read, scored and written a batch at a time. Sorted means each customer's rows are \
            together and ids ascend (as whole numbers when they all are, else byte by byte, as \
            LC_ALL=C sort -t, -k1,1 -s gives); a row that breaks this stops the run, naming it. --sorted needs \
            --at and takes attributes from the log's own columns.

            Examples:
              waypoint score --model models/demo --events datasets/sample/events.csv --out scores.csv
              waypoint score --model models/demo --events events.csv --at 2024-06-01 --format table --limit 10
              waypoint score --model models/demo --events events.csv --format table --sort gain
              LC_ALL=C sort -t, -k1,1 -s big.csv | waypoint score --model models/demo --events - --sorted --at 2024-07-01 --out scores.csv
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

    @Option(
        help: ArgumentHelp(
            "Explore instead of always taking the best action: epsilon:E (e.g. epsilon:0.1) or softmax:T (T in the unit of the expected gain).",
            discussion: "Adds the columns chosen_action and chosen_propensity: log them as the action and propensity of the contact, so 'waypoint evaluate policy' can evaluate other policies on the outcome. Draws are seeded (--seed) per customer: the same input gives the same choices on any number of threads."))
    var explore: String?

    @Option(help: "Seed of the --explore draws.")
    var seed: UInt64 = 1

    @Flag(help: "The log is sorted by customer: score it a batch of customers at a time, in memory that does not grow with the log (needs --at).")
    var sorted = false

    @Option(help: .hidden)
    var batchEvents: Int = 1 << 18

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be at least 0, got \(limit)") }
        _ = try explorationPolicy()
        guard batchEvents >= 1 else { throw ValidationError("--batch-events must be at least 1, got \(batchEvents)") }
        if sorted {
            guard at != "end" else {
                throw ValidationError("--sorted needs --at TIME: 'end' (just after the last event) is known only once the whole log is read")
            }
            guard sort == .customer else { throw ValidationError("--sort gain needs every score in memory; drop --sorted") }
            guard attributes == nil else {
                throw ValidationError("--sorted reads attributes from the log's own columns; join them into the log, or drop --sorted")
            }
        }
    }

    func explorationPolicy() throws -> ExplorationPolicy? {
        guard let explore else { return nil }
        let parts = explore.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]) else {
            throw ValidationError("--explore takes epsilon:E or softmax:T, got '\(explore)'")
        }
        switch parts[0] {
        case "epsilon":
            guard value >= 0 && value <= 1 else { throw ValidationError("--explore epsilon must be in [0, 1], got \(value)") }
            return .epsilonGreedy(epsilon: value)
        case "softmax":
            guard value > 0 && value.isFinite else { throw ValidationError("--explore softmax temperature must be > 0, got \(value)") }
            return .softmax(temperature: value)
        default:
            throw ValidationError("--explore takes epsilon:E or softmax:T, got '\(explore)'")
        }
    }

    func run() throws {
        let scorer: Scorer
        do { scorer = try Scorer(bundle: model) } catch { throw CLIFailure(error.description) }
        if sorted { return try runSorted(scorer) }
        let options = try reader.options()
        // Attributes from the log itself are read along with the events: one pass over the file.
        let (store, readReport) = try reader.readLog(events, attributeColumns: attributes == nil ? attributeColumns(scorer) : [])
        guard let range = store.timeRange else { throw CLIFailure("\(events) has no events to score") }
        let time: Int64
        if at == "end" {
            time = range.upperBound + 1
        } else {
            time = try scoringTime()
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
        let output = try ScoreOutput(self, scorer: scorer)
        do {
            try output.write(scores)
            try output.finish(total: scores.count)
        } catch {
            output.abandon()
            throw error
        }
        printSummary(report, readReport: readReport, time: time)
    }

    /// `--sorted`: read, score and write a batch of whole customers at a time.
    func runSorted(_ scorer: Scorer) throws {
        let time = try scoringTime()
        let output = try ScoreOutput(self, scorer: scorer)
        var report = BatchScoringReport()
        let columns = attributeColumns(scorer)
        let readReport: EventReadReport
        do {
            readReport = try reader.readLogByCustomer(events, attributeColumns: columns, batchEvents: batchEvents) { batch in
                let table = columns.isEmpty ? nil : batch.attributes.map { CustomerAttributes($0, customerCount: batch.customerCount) }
                let (scores, part): ([CustomerScore], BatchScoringReport)
                do { (scores, part) = try scorer.scoreAll(batch, attributes: table, at: time, threads: reader.threads) } catch {
                    throw CLIFailure("\(error)")
                }
                try output.write(scores)
                report.add(part)
            }
        } catch {
            output.abandon()
            throw error
        }
        guard readReport.rowsKept > 0 else {
            output.abandon()
            throw CLIFailure("\(events) has no events to score")
        }
        try output.finish(total: report.scored)
        printSummary(report, readReport: readReport, time: time)
    }

    func scoringTime() throws -> Int64 {
        do { return try reader.timestampFormat.parse(at) } catch { throw CLIFailure("--at \(error.message)") }
    }

    func printSummary(_ report: BatchScoringReport, readReport: EventReadReport, time: Int64) {
        printError(
            "scored \(report.scored) of \(report.customers) customers at \(TimestampFormat.iso8601(time)) (\(report.withoutHistory) without events before it); "
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
        func number(_ x: Double?) -> String { x.map(sixDigits) ?? "" }
        return [
            s.customerID, TimestampFormat.iso8601(s.time), s.nextChannels.first?.channel ?? "", number(s.nextChannels.first?.probability),
            number(s.nextTouchMedian.map { $0 / 3.6e9 }), number(s.journeyConversionProbability), s.bestNextChannel?.channel ?? "",
            number(s.bestNextChannel?.gain), number(s.churnProbability), number(s.conversionProbability),
            s.churnReasons.first?.feature ?? "", s.conversionReasons.first?.feature ?? "",
            s.recommendation?.best.actionID ?? "", s.recommendation?.best.channel ?? "", number(s.recommendation?.best.uplift),
            number(s.recommendation?.best.expectedIncrementalValue), s.recommendation?.best.reasons.first?.feature ?? "",
            s.recommendation.map { $0.blocked.map(\.actionID).joined(separator: " ") } ?? "",
        ]
    }

    static func explored(_ c: ExploredChoice?) -> [String] {
        [c?.action.actionID ?? "", c.map { sixDigits($0.propensity) } ?? ""]
    }

    /// Appends `row` as one CSV line to `text` (no intermediate strings: this runs for every customer).
    static func appendCSVLine(_ row: [String], to text: inout String) {
        for (k, field) in row.enumerated() {
            if k > 0 { text += "," }
            text += RejectWriter.quote(field)
        }
        text += "\n"
    }

    static func ndjsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func ndjsonLine(_ row: [String], columns: [String], encoder: JSONEncoder) -> String {
        var object: [String: String] = [:]
        for (k, v) in zip(columns, row) where !v.isEmpty { object[k] = v }
        return String(decoding: (try? encoder.encode(object)) ?? Data(), as: UTF8.self) + "\n"
    }

    static func table(_ scores: [CustomerScore], total: Int, limit: Int) -> String {
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
        if total > limit { out += "… \(total - limit) more customers (--limit, or --format csv for all)\n" }
        return out
    }
}

/// Where `score` writes: rows as they come (CSV or NDJSON), or the first --limit rows for the table, to a
/// temporary file renamed at the end (`AtomicOutput`).
final class ScoreOutput {
    let format: Score.Format
    let limit: Int
    let policy: ExplorationPolicy?
    let seed: UInt64
    let columns: [String]
    private let file: AtomicOutput
    private var tableRows: [CustomerScore] = []

    init(_ command: Score, scorer: Scorer) throws {
        format = command.format
        limit = command.limit
        seed = command.seed
        policy = try command.explorationPolicy()
        if policy != nil && scorer.models.catalog == nil {
            throw CLIFailure("--explore needs a bundle with next-best-action (an nba section)")
        }
        columns = Score.header + (policy == nil ? [] : ["chosen_action", "chosen_propensity"])
        file = try AtomicOutput(path: command.out)
        if format == .csv { try file.write(columns.joined(separator: ",") + "\n") }
    }

    /// Writes the next scores, in order.
    func write(_ scores: [CustomerScore]) throws {
        if format == .table {
            tableRows += scores.prefix(max(0, limit - tableRows.count))
            return
        }
        // Rows are formatted on every core (number formatting is most of the cost) and written in order.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, scores.count / 512))
        let parts = Slots<String>(count: workers)
        let failures = Slots<any Error>(count: workers)
        let (format, columns, policy, seed) = (self.format, self.columns, self.policy, self.seed)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var text = ""
            let encoder = Score.ndjsonEncoder()
            do {
                for s in scores[(scores.count * w / workers)..<(scores.count * (w + 1) / workers)] {
                    var row = Score.fields(s)
                    if let policy {
                        var choice: ExploredChoice? = nil
                        if let r = s.recommendation {
                            // One generator per customer, from the seed and the id: independent of order and threads.
                            var rng = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: stableHash(s.customerID)))
                            choice = try r.choose(policy, using: &rng)
                        }
                        row += Score.explored(choice)
                    }
                    if format == .csv {
                        Score.appendCSVLine(row, to: &text)
                    } else {
                        text += Score.ndjsonLine(row, columns: columns, encoder: encoder)
                    }
                }
                parts.set(w, text)
            } catch {
                failures.set(w, error)
            }
        }
        if let failure = failures.values.compactMap({ $0 }).first { throw failure }
        for part in parts.values { try file.write(part ?? "") }  // in order, without joining them first
    }

    /// Writes the table (if that is the format) and puts the file in place; `total`: rows scored.
    func finish(total: Int) throws {
        if format == .table { try file.write(Score.table(tableRows, total: total, limit: limit)) }
        try file.commit()
    }

    /// Removes the temporary file after a failure.
    func abandon() { file.abandon() }
}

/// A file written through a temporary name in the same folder and renamed on `commit`, so the final name
/// never holds a partial file; `-` writes straight to standard output. Writes are buffered.
final class AtomicOutput {
    let path: String
    private let temporary: String?
    private let handle: FileHandle
    private var buffer = Data()

    init(path: String) throws {
        self.path = path
        if path == "-" {
            temporary = nil
            handle = FileHandle.standardOutput
            return
        }
        let url = URL(fileURLWithPath: path)
        removeStalePartials(of: url.lastPathComponent, in: url.deletingLastPathComponent().path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else { throw CLIFailure("cannot write \(temporary)") }
        self.temporary = temporary
        self.handle = handle
    }

    func write(_ text: String) throws {
        if buffer.count + text.utf8.count < 1 << 20 {
            buffer.append(contentsOf: text.utf8)
            return
        }
        // A megabyte or more: written from the string's own bytes, not copied into the buffer first.
        try flush()
        var text = text
        try text.withUTF8 { bytes in try put(UnsafeRawBufferPointer(bytes)) }
    }

    private func flush() throws {
        try put(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func put(_ bytes: some DataProtocol) throws {
        do { try handle.write(contentsOf: bytes) } catch { throw CLIFailure("cannot write \(temporary ?? "standard output"): \(error)") }
    }

    /// Flushes, closes and renames the temporary file to `path`.
    func commit() throws {
        try flush()
        guard let temporary else { return }
        try? handle.close()
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIFailure("cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    /// Closes and removes the temporary file.
    func abandon() {
        guard let temporary else { return }
        try? handle.close()
        unlink(temporary)
    }
}

/// Writes `text` to `path` atomically (`AtomicOutput`); `-` writes to standard output.
func writeAtomically(_ text: String, to path: String) throws {
    let output = try AtomicOutput(path: path)
    try output.write(text)
    try output.commit()
}

/// `x` as C's `%.6g` prints it (six significant digits), through `vsnprintf` on a stack buffer: several
/// times faster than `String(format:)`, which goes through NSString, and this is most of the cost of
/// writing scores.
func sixDigits(_ x: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
        let count = waypoint_format_g6(buffer.baseAddress, 32, x)
        return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(max(0, min(count, 31)))), as: UTF8.self)
    }
}

/// FNV-1a of a string's UTF-8 bytes: a seed that depends on the text only (Swift's `hashValue` is
/// randomized per process).
func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x100_0000_01b3
    }
    return h
}
