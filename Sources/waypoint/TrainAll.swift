import ArgumentParser
import Decisioning
import Features
import Foundation
import Journeys
import WaypointScoring

struct TrainAll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "The main job: fit every model from one config and write a model bundle.",
        discussion: """
            Reads the log the config names (or --events), then fits
              - the Markov journey model (attribution chain and next-channel predictor),
              - the customer feature schema, at rolling cutoffs (features from events before each cutoff only),
              - churn: no activity in the horizon after a cutoff, for customers active in the lookback before it,
              - conversion: a conversion event in the horizon after a cutoff,
            measures churn and conversion on the latest cutoff (held out), and writes the bundle folder \
            atomically: manifest.json (versions, data fingerprint, parameters, metrics, SHA-256 per file) and \
            one JSON file per model. 'waypoint score' loads it.

            The config is JSON; every field has a default, an unknown field is an error. Example \
            (datasets/sample/waypoint.json):
              {
                "data": {"events": "events.csv"},
                "journeyTimeoutDays": 14,
                "markov": {"order": 2},
                "features": {"categoricalAttributes": ["segment", "region"],
                             "numericAttributes": ["tenure_days", "customer_value"]},
                "snapshots": {"count": 4, "spacingDays": 14},
                "churn": {"horizonDays": 30, "lookbackDays": 60},
                "conversionModel": {"horizonDays": 14}
              }
            Paths in the config are relative to the config file. Set "churn": null or \
            "conversionModel": null to skip a model.

            Example:
              waypoint train all --config datasets/sample/waypoint.json --out models/demo
            """
    )

    @OptionGroup var bundle: BundleTrainingArguments

    func run() throws { try bundle.train { _ in } }
}

/// What every `train` command that writes a bundle takes.
struct BundleTrainingArguments: ParsableArguments {
    @Option(help: "Training config (JSON).")
    var config: String

    @Option(help: "The bundle folder to write (replaced atomically if it exists).")
    var out: String

    @Option(help: "Touchpoint log; overrides the config's data.events.")
    var events: String?

    @OptionGroup(title: "Reading the log") var reader: ReaderArguments

    /// Reads the config, lets `adjust` switch models on or off, trains and writes the bundle.
    func train(adjust: (inout TrainingConfiguration) throws -> Void) throws {
        let started = Date()
        var configuration = try loadConfiguration(config)
        try adjust(&configuration)
        let problems = configuration.problems()
        guard problems.isEmpty else { throw CLIFailure("\(config): " + problems.joined(separator: "; ")) }
        let base = URL(fileURLWithPath: config).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path == "-" || path.hasPrefix("/") ? path : base.appendingPathComponent(path).path
        }
        guard let eventsPath = events ?? configuration.data.events.map(resolve) else {
            throw CLIFailure("no events: give --events FILE or \"data\": {\"events\": \"FILE\"} in \(config)")
        }
        let options = try reader.options()
        let (store, readReport) = try reader.readLog(eventsPath, extraColumns: configuration.data.columns)
        printError("read \(eventsPath): \(rowsLine(readReport, rejects: reader.rejects)); \(store.customerCount) customers")

        let declared = configuration.features
        var attributes = CustomerAttributes(customerCount: store.customerCount)
        if !declared.numericAttributes.isEmpty || !declared.categoricalAttributes.isEmpty {
            let path = configuration.data.attributes.map(resolve) ?? eventsPath
            guard path != "-" else { throw CLIFailure("attributes cannot be read from standard input: set data.attributes to a file") }
            do {
                attributes = try CustomerAttributes.read(
                    path: path, customers: store.customerIDs, numeric: declared.numericAttributes,
                    categorical: declared.categoricalAttributes, separator: options.separator
                ).attributes
            } catch { throw CLIFailure(error.description) }
        }

        var catalog: ActionCatalog?
        if let nba = configuration.nba {
            let path = resolve(nba.catalog)
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure("cannot read the action catalog \(path)") }
            do { catalog = try ActionCatalog(json: data) } catch { throw CLIFailure("\(path): \(error)") }
        }

        let (models, report): (TrainedModels, TrainingReport)
        do {
            (models, report) = try BundleTrainer.train(
                store: store, attributes: attributes, configuration: configuration, catalog: catalog, threads: reader.threads,
                progress: { printError($0) })
        } catch let error as TrainingError {
            throw CLIFailure(error.message)
        } catch {
            throw CLIFailure("\(error)")
        }

        var fingerprint: TrainingDataFingerprint?
        if eventsPath != "-", let range = store.timeRange {
            do {
                fingerprint = TrainingDataFingerprint(
                    source: events ?? configuration.data.events ?? eventsPath, rows: readReport.rowsKept, customers: store.customerCount,
                    firstEvent: TimestampFormat.iso8601(range.lowerBound), lastEvent: TimestampFormat.iso8601(range.upperBound),
                    sha256: try TrainingDataFingerprint.sha256(ofFile: eventsPath))
            } catch { throw CLIFailure(error.description) }
        }
        let manifest = BundleManifest(
            waypointVersion: Waypoint.version, trainingData: fingerprint, parameters: report.parameters, metrics: report.metrics)
        do {
            try ModelBundle.write(try models.bundleFiles(), manifest: manifest, to: out)
        } catch let error as BundleError {
            throw CLIFailure(error.description)
        }
        for note in report.notes { printError("note: \(note)") }
        print("bundle       \(out)")
        for (name, value) in report.metrics.sorted(by: { $0.key < $1.key }) {
            let text = value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.4f", value)
            print("  \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(text)")
        }
        print(String(format: "done in %.1f s", Date().timeIntervalSince(started)))
    }
}

struct TrainChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Fit the churn model (with the Markov model it reads) and write a bundle.",
        discussion: """
            'train all' with only the churn model (and the Markov journey model, whose conversion probability \
            is one of its features). The config's "churn" section applies; its defaults if it has none.

            Cutoff: a point in time T. Features use events before T only. Rolling snapshots: \
            "snapshots": {"count": 4, "spacingDays": 14} cuts 4 cutoffs 14 days apart, the latest one the \
            horizon before the log's end; the latest is held out to measure the model.
            Horizon: the days after T a label looks at ("horizonDays", default 30).
            Lookback: the days before T a customer must have been active in to be a row ("lookbackDays", default 60).
            Label: 1 when the customer has no event in [T, T + horizon), or an event of type "churnEvent" \
            (e.g. unsubscribe) in it; customers inactive in the lookback are not rows.

            Example:
              waypoint train churn --config datasets/sample/waypoint.json --out models/churn
            """
    )

    @OptionGroup var bundle: BundleTrainingArguments

    func run() throws {
        try bundle.train { c in
            if c.churn == nil { c.churn = TrainingConfiguration.ChurnSection() }
            c.conversionModel = nil
            c.nba = nil
        }
    }
}

struct TrainConversion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversion",
        abstract: "Fit the conversion model (with the Markov model it reads) and write a bundle.",
        discussion: """
            'train all' with only the conversion model (and the Markov journey model, whose conversion \
            probability is one of its features). The config's "conversionModel" section applies; its defaults \
            if it has none.

            Cutoff: a point in time T. Features use events before T only; rolling snapshots as in 'train churn'.
            Horizon: the days after T a label looks at ("horizonDays", default 14).
            Label: 1 when the customer has a conversion event (the config's "conversion" rule, default \
            event == purchase) in [T, T + horizon). Rows: customers with at least one event before T.

            Example:
              waypoint train conversion --config datasets/sample/waypoint.json --out models/conversion
            """
    )

    @OptionGroup var bundle: BundleTrainingArguments

    func run() throws {
        try bundle.train { c in
            if c.conversionModel == nil { c.conversionModel = TrainingConfiguration.ConversionSection() }
            c.churn = nil
            c.nba = nil
        }
    }
}

struct TrainNBA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nba",
        abstract: "Fit next-best-action (uplift models for an action catalog) with the models it reads, and write a bundle.",
        discussion: """
            'train all' for next-best-action: the config's "nba" section (or --catalog) names the action \
            catalog; the Markov model and the churn and conversion models of the config are fitted too, \
            because rules and features read them. Decision points: logged events with a propensity; outcome: \
            a conversion within the nba horizon. See 'waypoint train all --help' for the catalog and rules.

            Example:
              waypoint train nba --config datasets/sample/waypoint.json --out models/nba
            """
    )

    @OptionGroup var bundle: BundleTrainingArguments

    @Option(help: "Action catalog (JSON); sets or replaces the config's nba.catalog.")
    var catalog: String?

    func run() throws {
        try bundle.train { c in
            if let catalog {
                var section = c.nba ?? TrainingConfiguration.NBASection()
                section.catalog = URL(fileURLWithPath: catalog).path
                c.nba = section
            }
            guard c.nba != nil else { throw CLIFailure("no action catalog: give --catalog FILE or an \"nba\" section in \(bundle.config)") }
        }
    }
}

/// Reads a training config, naming the file and the field on any problem.
func loadConfiguration(_ path: String) throws -> TrainingConfiguration {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure("cannot read the config \(path)") }
    let configuration: TrainingConfiguration
    do {
        configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: data)
    } catch DecodingError.dataCorrupted(let context) {
        let field = context.codingPath.map(\.stringValue).joined(separator: ".")
        let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        throw CLIFailure("\(path): \(field.isEmpty ? "" : field + ": ")\(context.debugDescription)\(detail.map { " (\($0))" } ?? "")")
    } catch DecodingError.typeMismatch(let type, let context) {
        throw CLIFailure("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)")
    } catch DecodingError.valueNotFound(let type, let context) {
        throw CLIFailure("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type), found null")
    } catch {
        throw CLIFailure("\(path): \(error)")
    }
    return configuration
}
