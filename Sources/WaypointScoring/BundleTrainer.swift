import Decisioning
import Evaluation
import Features
import Foundation
import Journeys
import Linalg
import Logistic
import Markov

/// The fitted models of one bundle, in memory: what `BundleTrainer` makes, what a bundle stores and
/// what a `Scorer` runs.
public struct TrainedModels: Sendable {
    /// The configuration they were trained with (resolved: every default filled in).
    public var configuration: TrainingConfiguration
    /// The Markov journey model (attribution chain and next-channel predictor).
    public var markov: MarkovModel
    /// How customer features are built; nil when the bundle has no churn or conversion model.
    public var features: FeatureSchema?
    /// P(churn in the horizon) from the features; nil when not trained.
    public var churn: LogisticModel?
    /// P(conversion in the horizon) from the features; nil when not trained.
    public var conversion: LogisticModel?
    /// The actions next-best-action chooses from; nil without next-best-action.
    public var catalog: ActionCatalog?
    /// P(outcome | features, action) for "none" and each catalog action; nil without next-best-action.
    public var uplift: UpliftModel?

    /// Name of the external feature the Markov model supplies to the logistic models.
    public static let markovFeature = "markov_conversion_probability"

    /// Pairs models that were trained together.
    public init(
        configuration: TrainingConfiguration, markov: MarkovModel, features: FeatureSchema?, churn: LogisticModel?,
        conversion: LogisticModel?, catalog: ActionCatalog? = nil, uplift: UpliftModel? = nil
    ) {
        self.configuration = configuration
        self.markov = markov
        self.features = features
        self.churn = churn
        self.conversion = conversion
        self.catalog = catalog
        self.uplift = uplift
    }
}

/// Metrics and notes of a training run, for the manifest and the summary people read.
public struct TrainingReport: Sendable {
    /// Metrics by name: `markov.*`, `churn.*`, `conversion.*` (held-out unless the name says otherwise).
    public var metrics: [String: Double] = [:]
    /// Parameters by name, as people write them (also recorded in the manifest).
    public var parameters: [String: String] = [:]
    /// Things a user should know (a held-out set without positives, a fit that did not converge, …).
    public var notes: [String] = []
}

/// Why training could not run: a configuration problem or a model that could not be fitted.
public struct TrainingError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for people.
    public var message: String
    /// An error with a message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Fits every model of a bundle from one event store.
///
/// ```swift
/// let (models, report) = try BundleTrainer.train(store: store, attributes: attributes, configuration: config)
/// try ModelBundle.write(try models.bundleFiles(), manifest: manifest, to: "models/demo")
/// ```
///
/// Steps, each reported to `progress`:
/// 1. Journeys: events cut at conversions and at `journeyTimeoutDays` of inactivity.
/// 2. Markov: the attribution chain of `markov.order` on every journey, and the next-channel model
///    (order fixed or chosen by held-out log-loss; its held-out top-1/top-3 accuracy and log-loss are
///    reported).
/// 3. Snapshots: `snapshots.count` cutoffs `spacingDays` apart, the latest one the longest label horizon
///    before the data's end. Features use events before each cutoff only (see `Snapshot`). The latest
///    cutoff is held out: the models are fitted on the earlier ones and measured on it (ROC AUC, PR AUC,
///    log-loss, Brier, base rate). With one cutoff, it trains and nothing is measured.
/// 4. The feature `markov_conversion_probability` (the chain's P(conversion) from the customer's open
///    journey) comes from a chain fitted only on journeys finished before the held-out cutoff, so the
///    held-out metrics see no future; the bundle's chain (step 2) uses all the data, as scoring should.
/// 5. Churn and conversion: L2 logistic regression by Newton on the training rows.
public enum BundleTrainer {
    /// Trains every model the configuration asks for.
    ///
    /// - Parameters:
    ///   - store: the events.
    ///   - attributes: customer attributes holding the configuration's declared attributes.
    ///   - configuration: what to fit; see ``TrainingConfiguration``.
    ///   - threads: worker threads for feature building.
    ///   - progress: called with one line per step.
    /// - Throws: ``TrainingError`` for an invalid configuration or too little data (naming the step);
    ///   `FeatureError`, `MarkovError`, `LogisticError` from the steps.
    public static func train(
        store: EventStore, attributes: CustomerAttributes, configuration: TrainingConfiguration, catalog: ActionCatalog? = nil,
        threads: Int = systemCoreCount(), progress: ((String) -> Void)? = nil
    ) throws -> (models: TrainedModels, report: TrainingReport) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw TrainingError("invalid configuration: " + problems.joined(separator: "; ")) }
        guard (configuration.nba == nil) == (catalog == nil) else {
            throw TrainingError(catalog == nil ? "nba is configured but no action catalog was given" : "an action catalog was given but nba is not configured")
        }
        guard let range = store.timeRange else { throw TrainingError("the event log is empty: nothing to train on") }
        var report = TrainingReport()
        let timeout = microseconds(days: configuration.journeyTimeoutDays)

        // 1-2. Journeys and the Markov model on all of them.
        var options = JourneyOptions()
        options.conversion = configuration.conversion
        options.inactivityTimeout = timeout
        let journeys = store.journeys(options)
        progress?("journeys: \(journeys.count) (\(journeys.filter { $0.outcome == .converted }.count) converted)")
        let markovConfiguration = MarkovConfiguration(order: configuration.markov.order)
        var chain = try TransitionCounts(configuration: markovConfiguration)
        chain.add(journeys, from: store)
        var nextConfiguration = NextChannelConfiguration()
        if let order = configuration.markov.nextChannelOrder { nextConfiguration.order = .fixed(order) }
        let next = try NextChannelModel.fit(journeys, in: store, configuration: nextConfiguration)
        let markov = MarkovModel(chain: chain, nextChannel: next.model)
        report.parameters["markov.order"] = "\(configuration.markov.order)"
        report.parameters["markov.next_channel_order"] = "\(next.model.order)"
        if let chosen = next.report.candidates.first(where: { $0.order == next.model.order }) {
            report.metrics["markov.next_channel_top1"] = chosen.heldOut.top1Accuracy
            report.metrics["markov.next_channel_top3"] = chosen.heldOut.top3Accuracy
            report.metrics["markov.next_channel_log_loss"] = chosen.heldOut.logLoss
        }
        progress?(
            "markov: \(chain.stateCount) chain states at order \(configuration.markov.order); next-channel order \(next.model.order)"
        )

        var features: FeatureSchema?
        var churn: LogisticModel?
        var conversion: LogisticModel?
        var horizons: [Double] = []
        if let c = configuration.churn { horizons.append(c.horizonDays) }
        if let c = configuration.conversionModel { horizons.append(c.horizonDays) }
        var resolved = configuration
        resolved.features.journeyTimeoutDays = configuration.journeyTimeoutDays
        resolved.features.conversion = configuration.conversion
        resolved.features.lastK = max(configuration.features.lastK, configuration.markov.order, next.model.order)

        if let longest = horizons.max() {
            // 3. Cutoffs, at whole days (UTC), the latest one the longest horizon before the end.
            let day = microseconds(days: 1)
            let latest = floorDiv(range.upperBound - microseconds(days: longest), day) * day
            let spacing = microseconds(days: configuration.snapshots.spacingDays)
            let cutoffs = (0..<configuration.snapshots.count).reversed().map { latest - Int64($0) * spacing }
            guard cutoffs[0] > range.lowerBound else {
                throw TrainingError(
                    "the log spans \(formatDay(range.lowerBound))…\(formatDay(range.upperBound)): too short for \(cutoffs.count) cutoffs \(configuration.snapshots.spacingDays) days apart plus a \(longest)-day horizon; lower snapshots.count or spacingDays"
                )
            }
            let heldOut = cutoffs.count > 1 ? cutoffs.last : nil
            let training = heldOut == nil ? cutoffs : Array(cutoffs.dropLast())
            report.parameters["snapshots.cutoffs"] = cutoffs.map(formatDay).joined(separator: ",")
            report.parameters["snapshots.held_out"] = heldOut.map(formatDay) ?? "none"
            progress?("snapshots: train at \(training.map(formatDay).joined(separator: ", ")); held out: \(heldOut.map(formatDay) ?? "none")")

            // 4. The Markov feature, from journeys finished before the held-out cutoff.
            let horizonEnd = heldOut ?? (cutoffs.last! + 1)
            let past = journeys.filter { j in
                let last = store.timestamps[j.events.upperBound - 1]
                switch j.outcome {
                case .converted: return last < horizonEnd
                case .lapsed: return last + timeout < horizonEnd
                case .censored: return false
                }
            }
            var featureChain = try TransitionCounts(configuration: markovConfiguration)
            featureChain.add(past, from: store)
            let featureTable = try MarkovModel(chain: featureChain, nextChannel: next.model).conversionTable()
            let external = markovExternal(featureTable)

            // 5. Schema on the training rows of the first model's label, then each model.
            let conversionLabel = configuration.conversionModel.map { LabelDefinition.conversion(horizon: microseconds(days: $0.horizonDays)) }
            let churnLabel = configuration.churn.map {
                LabelDefinition.churn(horizon: microseconds(days: $0.horizonDays), lookback: microseconds(days: $0.lookbackDays), churnEvent: $0.churnEvent)
            }
            let (schema, firstSnapshot) = try FeatureSchema.fit(
                store: store, attributes: attributes, configuration: resolved.features, cutoffs: training,
                label: conversionLabel ?? churnLabel!, externalNames: [TrainedModels.markovFeature], threads: threads, external: external)
            features = schema
            progress?("features: \(schema.featureNames.count) columns")
            if let catalog {
                // The rules read feature names and model outputs: check them now, before any model is fitted.
                do {
                    _ = try ActionCatalog(
                        actions: catalog.actions, contactPolicy: catalog.contactPolicy, channels: catalog.channels,
                        ruleNames: schema.featureNames + Scorer.outputNames)
                } catch {
                    throw TrainingError("the action catalog's rules do not fit this bundle's features: \(error)")
                }
            }

            func fitModel(_ name: String, label: LabelDefinition, l2: Double, snapshot: Snapshot?) throws -> LogisticModel {
                let train = try snapshot ?? Snapshot.build(
                    store: store, attributes: attributes, schema: schema, cutoffs: training, label: label, threads: threads, external: external)
                guard train.rows.count > 0 else { throw TrainingError("\(name): no training rows at the training cutoffs") }
                let x = try Matrix(rows: train.rows.count, columns: train.featureCount, columnMajor: train.features)
                // The gradient is a sum over rows: 1e-6 on it is ~1e-10 per row on thousands of rows, near
                // full precision, and reachable when one-hot levels are collinear with the intercept.
                let fit = try LogisticRegression.fit(x, labels: train.labels, configuration: .init(l2Penalty: l2, tolerance: 1e-6))
                report.metrics["\(name).training_rows"] = Double(train.rows.count)
                report.metrics["\(name).training_positive_rate"] = train.labels.reduce(0, +) / Double(train.rows.count)
                report.metrics["\(name).iterations"] = Double(fit.report.iterations)
                report.parameters["\(name).l2"] = "\(l2)"
                if !fit.report.converged { report.notes.append("\(name): the fit did not converge (gradient norm \(fit.report.gradientNorm))") }
                if fit.report.separationDetected { report.notes.append("\(name): perfect separation detected; coefficients may be unstable") }
                var line = "\(name): \(train.rows.count) training rows, \(Int(train.labels.reduce(0, +))) positive"
                if let heldOut {
                    let test = try Snapshot.build(
                        store: store, attributes: attributes, schema: schema, cutoffs: [heldOut], label: label, threads: threads, external: external)
                    if test.rows.isEmpty {
                        report.notes.append("\(name): no held-out rows at \(formatDay(heldOut))")
                    } else {
                        let scores = try fit.model.probabilities(try Matrix(rows: test.rows.count, columns: test.featureCount, columnMajor: test.features))
                        let evaluation = try BinaryEvaluation(scores: scores, labels: test.labels.map { $0 == 1 })
                        report.metrics["\(name).held_out_rows"] = Double(test.rows.count)
                        report.metrics["\(name).held_out_positive_rate"] = test.labels.reduce(0, +) / Double(test.rows.count)
                        report.metrics["\(name).held_out_log_loss"] = try evaluation.logLoss()
                        report.metrics["\(name).held_out_brier"] = try evaluation.brierScore()
                        if let auc = evaluation.rocAUC { report.metrics["\(name).held_out_roc_auc"] = auc }
                        if let ap = evaluation.prAUC { report.metrics["\(name).held_out_pr_auc"] = ap }
                        if evaluation.rocAUC == nil { report.notes.append("\(name): the held-out rows have one class only; no AUC") }
                        line += "; held out \(test.rows.count) rows" + (evaluation.rocAUC.map { ", ROC AUC \(rounded($0))" } ?? "")
                    }
                }
                progress?(line)
                return fit.model
            }
            if let section = configuration.conversionModel, let label = conversionLabel {
                report.parameters["conversion.horizon_days"] = "\(section.horizonDays)"
                conversion = try fitModel("conversion", label: label, l2: section.l2, snapshot: firstSnapshot)
            }
            if let section = configuration.churn, let label = churnLabel {
                report.parameters["churn.horizon_days"] = "\(section.horizonDays)"
                report.parameters["churn.lookback_days"] = "\(section.lookbackDays)"
                // Without a conversion model the schema was fitted on the churn rows: reuse them.
                let reused = configuration.conversionModel == nil ? firstSnapshot : nil
                churn = try fitModel("churn", label: label, l2: section.l2, snapshot: reused)
            }
        }
        // 6. Next-best-action: uplift models on the logged decision points.
        var uplift: UpliftModel?
        if let section = configuration.nba, let catalog, let schema = features {
            let table = try markov.conversionTable()
            let columns = try DecisionPoints.columns(of: schema, selecting: section.features)
            let points = try DecisionPoints.build(
                store: store, attributes: attributes, schema: schema, table: table, conversion: configuration.conversion,
                horizon: microseconds(days: section.horizonDays), dataEnd: range.upperBound, columns: columns)
            guard points.outcomes.count > 0 else {
                throw TrainingError("nba: no decision point ends its \(section.horizonDays)-day outcome window before the data ends")
            }
            let fit = try UpliftLearner.fit(
                UpliftTrainingData(
                    features: points.features, featureNames: columns.map { schema.featureNames[$0] }, actionIDs: catalog.actions.map(\.id),
                    loggedActions: points.loggedActions, outcomes: points.outcomes, propensities: points.propensities),
                configuration: .init(learner: section.learner, l2Penalty: section.l2))
            // Binding the catalog to the model compiles its rules against the scorer's names: fail now, not at scoring.
            _ = try Arbitrator(catalog: catalog, model: fit.model, outputNames: Scorer.outputNames, ruleFeatureNames: schema.featureNames)
            uplift = fit.model
            report.metrics["nba.decision_points"] = Double(points.outcomes.count)
            report.metrics["nba.decision_points_censored"] = Double(points.censored)
            report.metrics["nba.outcome_rate"] = points.outcomes.reduce(0, +) / Double(points.outcomes.count)
            report.parameters["nba.horizon_days"] = "\(section.horizonDays)"
            report.parameters["nba.learner"] = section.learner.rawValue
            report.parameters["nba.actions"] = catalog.actions.map(\.id).joined(separator: ",")
            for (id, count) in fit.report.skippedRows.sorted(by: { $0.key < $1.key }) {
                report.notes.append("nba: \(count) decision points logged action '\(id)', which the catalog lacks: left out")
            }
            for arm in fit.report.arms where arm.kind == .pooledFallback {
                report.notes.append("nba: arm '\(arm.id)' uses the pooled model: \(arm.fallbackReason ?? "too few rows")")
            }
            report.parameters["nba.features"] = section.features?.joined(separator: ",") ?? "all"
            progress?("nba: \(points.outcomes.count) decision points (\(points.censored) too recent to judge), \(catalog.actions.count) actions")
        }
        let models = TrainedModels(
            configuration: resolved, markov: markov, features: features, churn: churn, conversion: conversion,
            catalog: uplift == nil ? nil : catalog, uplift: uplift)
        return (models, report)
    }

    /// The external-feature closure: P(conversion) of the customer's open journey under `table`.
    static func markovExternal(_ table: MarkovConversionTable) -> Snapshot.ExternalFeatures {
        return { _, cutoff, history in [table.probability(after: history.currentJourneyChannelNames(at: cutoff)).probability] }
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// `yyyy-mm-dd` (UTC) of a time in microseconds.
func formatDay(_ micros: Int64) -> String { String(TimestampFormat.iso8601(micros).prefix(10)) }

func rounded(_ x: Double, digits: Int = 3) -> String {
    let scale = pow(10.0, Double(digits))
    return "\((x * scale).rounded() / scale)"
}
