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

    @Option(help: "Training config (JSON).")
    var config: String

    @Option(help: "The bundle folder to write (replaced atomically if it exists).")
    var out: String

    @Option(help: "Touchpoint log; overrides the config's data.events.")
    var events: String?

    @OptionGroup(title: "Reading the log") var reader: ReaderArguments

    func run() throws {
        let started = Date()
        let configuration = try loadConfiguration(config)
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
                    firstEvent: isoString(range.lowerBound), lastEvent: isoString(range.upperBound),
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
    let problems = configuration.problems()
    guard problems.isEmpty else { throw CLIFailure("\(path): " + problems.joined(separator: "; ")) }
    return configuration
}
