import ArgumentParser
import Foundation
import Journeys
import Markov

struct Attribute: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Credit conversions to channels: exact Markov removal effects and rule-based heuristics.",
        discussion: """
            Fits an order-k Markov chain on customer journeys (start, channel states, conversion, null) and \
            computes each channel's removal effect exactly, by solving the absorbing chain with and without \
            the channel: 1 - P(conversion without it) / P(conversion). Conversions and their value are then \
            shared in proportion to the removal effects. First-touch, last-touch, linear, position-based \
            (40/20/40) and time-decay credit come in the same table.

            Input is either an event log (--events; journeys cut as in 'events summarize', censored journeys \
            left out) or aggregated paths (--paths, ChannelAttribution's format: \
            path;total_conversions;total_conversion_value;total_null with steps joined by ' > ').

            --semantics history (default) keeps repeated touches and uses the last k channels as the state; \
            channel-attribution reproduces ChannelAttribution's markov_model (repeats collapsed, sliding \
            windows of k channels) for parity checks.

            Examples:
              waypoint attribute --paths Data.csv --order 2
              waypoint attribute --events events.csv --order 1 --format json
              waypoint attribute --paths Data.csv --semantics channel-attribution --order 3 --format csv
            """
    )

    @Option(help: "Event log (CSV or NDJSON, or - for standard input).")
    var events: String?

    @Option(help: "Aggregated paths file (path;total_conversions;total_conversion_value;total_null).")
    var paths: String?

    @Option(help: "Markov order: channels of history in a state, 1...6.")
    var order: Int = 1

    @Option(help: "State semantics: history or channel-attribution.")
    var semantics: StateSemantics = .history

    @Option(help: "Absorbing-chain solver: auto (Gauss-Seidel to a 1e-12 residual; LU if that does not converge), dense (LU) or iterative.")
    var solver: SolveMethod = .automatic

    @Option(help: "Half-life of time-decay credit: a duration (7d, 12h) for --events, a number of steps for --paths. Default 7d or 1 step.")
    var halfLife: String?

    @Option(name: .customLong("paths-separator"), help: "Field separator of --paths files.")
    var pathsSeparator: String = ";"

    @Option(help: "What joins the steps of a path in --paths files (spaces around steps are trimmed).")
    var stepSeparator: String = ">"

    @Option(help: "Output: table, csv or json (one object per channel).")
    var format: OutputFormat = .table

    @Option(help: "Bootstrap replicates for 95% intervals of removal effects and credited conversions (0: none). Each replicate redraws every path's counts (Poisson bootstrap) and solves exactly.")
    var bootstrap: Int = 0

    @Option(help: "Seed of the bootstrap draws; the same seed gives the same intervals.")
    var seed: UInt64 = 1

    @Flag(help: "Print the time spent reading, fitting and solving to standard error.")
    var timings = false

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments
    @OptionGroup(title: "Cutting journeys (--events)") var journeys: JourneyArguments

    enum OutputFormat: String, ExpressibleByArgument { case table, csv, json }

    func validate() throws {
        guard (events == nil) != (paths == nil) else {
            throw ValidationError("give exactly one input: --events FILE or --paths FILE")
        }
        guard (1...6).contains(order) else { throw ValidationError("--order must be 1...6, got \(order)") }
        guard pathsSeparator.utf8.count == 1 else { throw ValidationError("--paths-separator must be one character") }
        guard !stepSeparator.isEmpty, !stepSeparator.contains(pathsSeparator) else {
            throw ValidationError("--step-separator must be non-empty and differ from --paths-separator")
        }
        _ = try halfLifeValue()
        guard bootstrap == 0 || bootstrap >= 20 else { throw ValidationError("--bootstrap needs at least 20 replicates, got \(bootstrap)") }
    }

    /// Steps for paths, microseconds for events.
    func halfLifeValue() throws -> Double {
        if paths != nil {
            guard let text = halfLife else { return 1 }
            guard let steps = Double(text), steps > 0, steps.isFinite else {
                throw ValidationError("--half-life for --paths is a positive number of steps, got '\(text)'")
            }
            return steps
        }
        guard let micros = try parseDuration(halfLife ?? "7d") else {
            throw ValidationError("--half-life must be a duration such as 7d")
        }
        return Double(micros)
    }

    func run() throws {
        let started = Date()
        var counts = try TransitionCounts(configuration: MarkovConfiguration(order: order, semantics: semantics))
        var heuristics = HeuristicAttribution(halfLife: try halfLifeValue())
        var weighted = WeightedPaths()
        var readTime = started
        do {
            if let paths {
                var options = PathTableOptions()
                options.separator = pathsSeparator.utf8.first!
                options.stepSeparator = stepSeparator
                if bootstrap > 0 {
                    let table = try PathTable.read(path: paths, options: options)
                    readTime = Date()
                    counts.add(table)
                    heuristics.add(table)
                    weighted = WeightedPaths(table)
                } else {
                    // One parallel pass: parsing, counting and heuristic credit fused, no table kept.
                    try counts.add(pathsFile: paths, options: options, heuristics: &heuristics)
                    readTime = Date()
                }
            } else if let events {
                let (store, _) = try EventReader.read(path: events, options: try reader.options())
                let cut = store.journeys(try journeys.options())
                readTime = Date()
                counts.add(cut, from: store)
                heuristics.add(cut, from: store)
                if bootstrap > 0 { weighted = WeightedPaths(cut, from: store) }
            }
        } catch let error as JourneyError {
            throw CLIFailure(error.description)
        }
        let fitted = Date()
        let removal: RemovalAttribution
        do { removal = try counts.removalAttribution(method: solver) } catch { throw CLIFailure(error.message) }
        if timings {
            let solved = Date()
            // With --paths (no bootstrap), reading and counting are one pass.
            let fused = paths != nil && bootstrap == 0
            let phases = fused
                ? String(format: "read+count %.4f s", readTime.timeIntervalSince(started))
                : String(format: "read %.4f s, count %.4f s", readTime.timeIntervalSince(started), fitted.timeIntervalSince(readTime))
            printError("timings: \(phases), " + String(
                format: "solve %.4f s, total %.4f s (%d states)",
                solved.timeIntervalSince(fitted), solved.timeIntervalSince(started), removal.stateCount))
        }
        var intervals: AttributionIntervals?
        if bootstrap > 0 {
            do {
                intervals = try weighted.bootstrapRemovalAttribution(
                    configuration: counts.configuration, replicates: bootstrap, seed: seed, method: solver)
            } catch { throw CLIFailure(error.message) }
        }
        let rows = AttributionRow.rows(removal: removal, heuristics: heuristics, intervals: intervals)
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        case .csv:
            print(AttributionRow.csvHeader)
            for row in rows { print(row.csvLine) }
        case .table:
            print("P(conversion) \(String(format: "%.6f", removal.conversionProbability)) over \(removal.stateCount) states (order \(order), \(semantics.rawValue)); \(formatCount(removal.totalConversions)) conversions worth \(String(format: "%.2f", removal.totalConversionValue))")
            print("")
            print(AttributionRow.table(rows))
        }
    }
}

extension StateSemantics: ExpressibleByArgument {}
extension SolveMethod: ExpressibleByArgument {}

/// One channel's line of the attribution table.
struct AttributionRow: Codable {
    var channel: String
    var removalEffect: Double
    var conversions: Double
    var conversionValue: Double
    var valueRemovalEffect: Double
    /// 95% bootstrap intervals, with `--bootstrap`.
    var removalEffectInterval: [Double]?
    var conversionsInterval: [Double]?
    /// Conversions credited by each heuristic rule, keyed by rule name.
    var heuristics: [String: Credit]

    struct Credit: Codable {
        var conversions: Double
        var conversionValue: Double
        enum CodingKeys: String, CodingKey { case conversions, conversionValue = "conversion_value" }
    }

    enum CodingKeys: String, CodingKey {
        case channel, removalEffect = "removal_effect", conversions, conversionValue = "conversion_value"
        case valueRemovalEffect = "value_removal_effect", heuristics
        case removalEffectInterval = "removal_effect_ci", conversionsInterval = "conversions_ci"
    }

    static func rows(removal: RemovalAttribution, heuristics: HeuristicAttribution, intervals: AttributionIntervals?) -> [AttributionRow] {
        removal.channels.map { c in
            var credits: [String: Credit] = [:]
            let index = heuristics.channelNames.firstIndex(of: c.channel)
            for (r, rule) in HeuristicAttribution.Rule.allCases.enumerated() {
                credits[rule.rawValue] = Credit(
                    conversions: index.map { heuristics.conversions[r][$0] } ?? 0,
                    conversionValue: index.map { heuristics.conversionValues[r][$0] } ?? 0)
            }
            return AttributionRow(
                channel: c.channel, removalEffect: c.removalEffect, conversions: c.conversions,
                conversionValue: c.conversionValue, valueRemovalEffect: c.valueRemovalEffect,
                removalEffectInterval: intervals?.removalEffect[c.channel].map { [$0.lower, $0.upper] },
                conversionsInterval: intervals?.conversions[c.channel].map { [$0.lower, $0.upper] },
                heuristics: credits)
        }.sorted { $0.conversions > $1.conversions || ($0.conversions == $1.conversions && $0.channel < $1.channel) }
    }

    static let rules = HeuristicAttribution.Rule.allCases.map(\.rawValue)

    static var csvHeader: String {
        (["channel", "removal_effect", "conversions", "conversion_value", "value_removal_effect"] + rules.flatMap { [$0, $0 + "_value"] })
            .joined(separator: ",")
    }

    var csvLine: String {
        ([RejectWriter.quote(channel), "\(removalEffect)", "\(conversions)", "\(conversionValue)", "\(valueRemovalEffect)"]
            + Self.rules.flatMap { ["\(heuristics[$0]!.conversions)", "\(heuristics[$0]!.conversionValue)"] })
            .joined(separator: ",")
    }

    static func table(_ rows: [AttributionRow]) -> String {
        let width = max(7, rows.map(\.channel.count).max() ?? 0)
        let withIntervals = rows.first?.conversionsInterval != nil
        let columns = ["removal", "markov"] + (withIntervals ? ["95% interval"] : []) + ["value", "first", "last", "linear", "position", "decay"]
        var lines = ["channel".padding(toLength: width, withPad: " ", startingAt: 0) + columns.map { " " + $0.leftPadded($0 == "95% interval" ? 20 : 11) }.joined()]
        for row in rows {
            var values = [String(format: "%.4f", row.removalEffect).leftPadded(11), formatCount(row.conversions).leftPadded(11)]
            if let ci = row.conversionsInterval { values.append(String(format: "%.1f-%.1f", ci[0], ci[1]).leftPadded(20)) }
            values += ([String(format: "%.2f", row.conversionValue)] + rules.map { formatCount(row.heuristics[$0]!.conversions) }).map { $0.leftPadded(11) }
            lines.append(row.channel.padding(toLength: width, withPad: " ", startingAt: 0) + values.map { " " + $0 }.joined())
        }
        lines.append("")
        lines.append("removal: removal effect; markov: conversions credited by it; value: their value; first, last, linear, position (40/20/40), decay: conversions credited by each rule")
        return lines.joined(separator: "\n")
    }
}

func formatCount(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.2f", x)
}
