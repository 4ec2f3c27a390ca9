import ArgumentParser
import Decisioning
import Features
import Foundation
import Journeys
import WaypointScoring

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the recommendation for a few customers: next channel, churn, conversion, best action and why.",
        discussion: """
            For each --customer, replays its events before --at (default: just after the log's last event) \
            and prints what 'score' computes, in full: the likely next channels and when, the journey's \
            conversion probability and the touch that would raise it most, churn and conversion with the \
            features that push them, every eligible action ranked by expected gain (uplift x value - cost) \
            with its reasons, and the actions a rule, a contact limit or an unsubscribe ruled out.

            Example:
              waypoint recommend --model models/demo --events datasets/sample/events.csv --customer c000002
            """
    )

    @Option(help: "Model bundle folder written by 'waypoint train all'.")
    var model: String

    @Option(help: "Touchpoint log holding the customers' events.")
    var events: String

    @Option(help: "A customer id (repeatable).")
    var customer: [String]

    @Option(help: "Time of the recommendation (ISO 8601 or Unix seconds/milliseconds), or 'end'.")
    var at: String = "end"

    @Option(help: "Customer attributes file; default: the events file.")
    var attributes: String?

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments

    func validate() throws {
        guard !customer.isEmpty else { throw ValidationError("give at least one --customer ID") }
    }

    func run() throws {
        let scorer: Scorer
        do { scorer = try Scorer(bundle: model) } catch { throw CLIFailure(error.description) }
        let options = try reader.options()
        let store = try reader.readLog(events).store
        guard let range = store.timeRange else { throw CLIFailure("\(events) has no events") }
        let time: Int64
        if at == "end" { time = range.upperBound + 1 } else {
            do { time = try reader.timestampFormat.parse(at) } catch { throw CLIFailure("--at \(error.message)") }
        }
        let table = try readAttributes(scorer, store: store, events: events, attributes: attributes, separator: options.separator)
        let (scores, _) = try scorer.scoreAll(store, attributes: table, at: time, threads: reader.threads)
        let byID = Dictionary(uniqueKeysWithValues: scores.map { ($0.customerID, $0) })
        var missing: [String] = []
        for id in customer {
            guard let s = byID[id] else {
                missing.append(id)
                continue
            }
            print(Self.describe(s))
        }
        if !missing.isEmpty {
            throw CLIFailure("no events before \(TimestampFormat.iso8601(time)) for: \(missing.joined(separator: ", "))")
        }
    }

    static func describe(_ s: CustomerScore) -> String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        var out = "customer \(s.customerID) at \(TimestampFormat.iso8601(s.time))\n"
        let next = s.nextChannels.map { "\($0.channel) \(pct($0.probability))" }.joined(separator: ", ")
        out += "  next channel     \(next)"
        if let median = s.nextTouchMedian { out += String(format: "; median wait %.1f h", median / 3.6e9) }
        out += "\n  journey          P(convert) \(pct(s.journeyConversionProbability))\(s.journeyStateKnown ? "" : " (state unseen in training: start value)")"
        if let best = s.bestNextChannel { out += String(format: "; best next touch %@ (%+.1f pt)", best.channel, 100 * best.gain) }
        out += "\n"
        func reasons(_ r: [Reason]) -> String {
            r.map { String(format: "%@ = %.4g (%+.2f)", $0.feature, $0.value, $0.contribution) }.joined(separator: ", ")
        }
        if let p = s.churnProbability { out += "  churn            \(pct(p)): \(reasons(s.churnReasons))\n" }
        if let p = s.conversionProbability { out += "  conversion       \(pct(p)): \(reasons(s.conversionReasons))\n" }
        if let r = s.recommendation {
            out += "  actions (expected gain = uplift x value - cost)\n"
            for a in r.ranked {
                out += "    " + a.actionID.padding(toLength: 18, withPad: " ", startingAt: 0)
                out += String(format: " %+6.1f pt  gain %7.2f", 100 * a.uplift, a.expectedIncrementalValue)
                if !a.reasons.isEmpty {
                    out += "  because " + a.reasons.map { String(format: "%@ %+.2f", $0.feature, $0.contribution) }.joined(separator: ", ")
                }
                out += "\n"
            }
            for b in r.blocked { out += "    \(b.actionID.padding(toLength: 18, withPad: " ", startingAt: 0)) blocked: \(b.reason)\n" }
        }
        return out
    }
}

struct EvaluatePolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Off-policy evaluation: what the bundle's next-best-action policy would have achieved on a logged log.",
        discussion: """
            Every event with a propensity is a decision point. At each, the customer's state is replayed up to \
            just before it and the bundle's policy picks its action (rules and contact limits included); the \
            outcome is a conversion within the bundle's NBA horizon. Estimates of the outcome rate per decision \
            point, with bootstrap 95% intervals: IPS, self-normalised IPS and doubly robust (reward model: the \
            uplift model), for the bundle's policy, for 'none' and for always taking each action, beside the \
            logging policy's observed rate. Evaluate on a log the bundle was not trained on.

            Example:
              waypoint simulate --customers 5000 --seed 99 --out /tmp/fresh
              waypoint evaluate policy --model models/demo --events /tmp/fresh/events.csv
            """
    )

    @Option(help: "Model bundle folder written by 'waypoint train all' with an nba section.")
    var model: String

    @Option(help: "Touchpoint log with action and propensity columns.")
    var events: String

    @Option(help: "Bootstrap replicates for the intervals.")
    var replicates: Int = 500

    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 1

    @Option(help: "Customer attributes file; default: the events file.")
    var attributes: String?

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments

    func validate() throws {
        guard replicates >= 0 else { throw ValidationError("--replicates must be at least 0") }
    }

    func run() throws {
        let scorer: Scorer
        do { scorer = try Scorer(bundle: model) } catch { throw CLIFailure(error.description) }
        let options = try reader.options()
        let store = try reader.readLog(events).store
        let table = try readAttributes(scorer, store: store, events: events, attributes: attributes, separator: options.separator)
        let report: PolicyEvaluationReport
        do {
            report = try scorer.evaluatePolicy(store, attributes: table, configuration: .init(replicates: replicates, seed: seed))
        } catch { throw CLIFailure("\(error)") }
        print("decision points  \(report.decisionPoints) (\(report.censored) too recent to judge, \(report.unknownActions) with actions the catalog lacks)")
        print(String(format: "logging policy   observed outcome rate %.4f", report.loggedOutcomeRate))
        print("policy                       IPS [95%]                      SNIPS [95%]                    DR [95%]")
        for row in report.rows {
            func cell(_ e: IntervalEstimate?) -> String {
                guard let e else { return "-" }
                return String(format: "%.4f [%.4f, %.4f]", e.value, e.lower, e.upper).padding(toLength: 30, withPad: " ", startingAt: 0)
            }
            print(row.policy.padding(toLength: 28, withPad: " ", startingAt: 0) + " " + cell(row.estimates.inversePropensity)
                + " " + cell(row.estimates.selfNormalizedInversePropensity) + " " + cell(row.estimates.doublyRobust))
        }
    }
}

/// The declared attributes of the bundle, from `attributes` or the events file; nil when none are declared.
func readAttributes(_ scorer: Scorer, store: EventStore, events: String, attributes: String?, separator: UInt8) throws -> CustomerAttributes? {
    let declared = scorer.attributeNames
    guard !declared.numeric.isEmpty || !declared.categorical.isEmpty else { return nil }
    if attributes == nil, let captured = store.attributes {
        return CustomerAttributes(captured, customerCount: store.customerCount)
    }
    let path = attributes ?? events
    guard path != "-" else { throw CLIFailure("attributes cannot be read from standard input: give --attributes FILE") }
    do {
        return try CustomerAttributes.read(
            path: path, customers: store.customerIDs, numeric: declared.numeric, categorical: declared.categorical, separator: separator
        ).attributes
    } catch {
        throw CLIFailure(error.description + (attributes == nil ? " (the bundle declares attributes; give --attributes FILE)" : ""))
    }
}

/// The bundle's declared attributes as columns for the event reader to read along with the events.
func attributeColumns(_ scorer: Scorer) -> [AttributeColumn] {
    let declared = scorer.attributeNames
    return declared.numeric.map { AttributeColumn(name: $0, isNumeric: true) }
        + declared.categorical.map { AttributeColumn(name: $0, isNumeric: false) }
}

/// What `evaluate churn` and `evaluate conversion` take.
struct ModelEvaluationArguments: ParsableArguments {
    @Option(help: "Model bundle folder written by 'waypoint train all' (or train churn / train conversion).")
    var model: String

    @Option(help: "Touchpoint log to evaluate on: customers or a period the model was not fitted on.")
    var events: String

    @Option(help: "Cutoff (repeatable): features from events before it, the label from the horizon after it. Default: the latest cutoff the log allows.")
    var cutoff: [String] = []

    @Option(help: "Customer attributes file; default: the events file.")
    var attributes: String?

    @Option(help: "Output: table or json.")
    var format: Attribute.OutputFormat = .table

    @OptionGroup(title: "Reading --events") var reader: ReaderArguments

    func run(_ target: ModelTarget) throws {
        let scorer: Scorer
        do { scorer = try Scorer(bundle: model) } catch { throw CLIFailure(error.description) }
        let options = try reader.options()
        let store = try reader.readLog(events).store
        guard let range = store.timeRange else { throw CLIFailure("\(events) has no events") }
        var cutoffs: [Int64] = []
        for text in cutoff {
            do { cutoffs.append(try reader.timestampFormat.parse(text)) } catch { throw CLIFailure("--cutoff \(error.message)") }
        }
        if cutoffs.isEmpty {
            let days = target == .churn ? scorer.models.configuration.churn?.horizonDays : scorer.models.configuration.conversionModel?.horizonDays
            let day: Int64 = 86_400_000_000
            let horizon = Int64(((days ?? 0) * 86_400_000_000).rounded())
            cutoffs = [((range.upperBound - horizon) / day) * day]
        }
        let table = try readAttributes(scorer, store: store, events: events, attributes: attributes, separator: options.separator)
        let report: ModelEvaluationReport
        do { report = try scorer.evaluate(target, on: store, attributes: table, cutoffs: cutoffs, threads: reader.threads) } catch {
            throw CLIFailure("\(error)")
        }
        let e = report.evaluation
        let metrics: [(String, Double?)] = [
            ("rows", Double(e.count)), ("positive_rate", e.positiveWeight / max(e.totalWeight, 1e-300)),
            ("roc_auc", e.rocAUC), ("pr_auc", e.prAUC), ("log_loss", try? e.logLoss()), ("brier", try? e.brierScore()),
        ]
        switch format {
        case .json:
            var object: [String: Any] = ["target": target.rawValue, "cutoffs": cutoffs.map(TimestampFormat.iso8601)]
            for (k, v) in metrics { object[k] = v ?? NSNull() }
            object["calibration"] = e.calibration().map {
                ["lowest": $0.lowestScore, "highest": $0.highestScore, "count": $0.count, "mean_predicted": $0.meanPredicted, "observed_rate": $0.observedRate]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        default:
            print("\(target.rawValue) model of \(model) at \(cutoffs.map(TimestampFormat.iso8601).joined(separator: ", "))")
            for (k, v) in metrics {
                let text = v.map { k == "rows" ? String(Int($0)) : String(format: "%.4f", $0) } ?? "n/a"
                print("  \(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(text)")
            }
            print("  calibration    predicted -> observed, by decile of the score")
            for bin in e.calibration() {
                print(String(format: "    %.3f-%.3f  n=%-6d  %.3f -> %.3f", bin.lowestScore, bin.highestScore, bin.count, bin.meanPredicted, bin.observedRate))
            }
        }
    }
}

struct EvaluateChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "ROC AUC, PR AUC, log-loss, Brier and calibration of a bundle's churn model on a log.",
        discussion: "Rows and labels as in training (see 'waypoint train churn --help'), with the bundle's feature schema.")
    @OptionGroup var arguments: ModelEvaluationArguments
    func run() throws { try arguments.run(.churn) }
}

struct EvaluateConversion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversion",
        abstract: "ROC AUC, PR AUC, log-loss, Brier and calibration of a bundle's conversion model on a log.",
        discussion: "Rows and labels as in training (see 'waypoint train conversion --help'), with the bundle's feature schema.")
    @OptionGroup var arguments: ModelEvaluationArguments
    func run() throws { try arguments.run(.conversion) }
}
