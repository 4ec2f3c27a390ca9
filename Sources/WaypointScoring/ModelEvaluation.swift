import Evaluation
import Features
import Journeys
import Linalg
import Logistic

/// The bundle's logistic models.
public enum ModelTarget: String, Sendable, CaseIterable {
    /// No activity in the churn horizon after a cutoff.
    case churn
    /// A conversion within the conversion horizon after a cutoff.
    case conversion
}

/// How a bundle's churn or conversion model does on a log at some cutoffs.
public struct ModelEvaluationReport: Sendable {
    /// ROC AUC, PR AUC, log-loss, Brier score, calibration and lift of the model's probabilities.
    public var evaluation: BinaryEvaluation
    /// Rows, positives and skipped customers per cutoff.
    public var snapshot: SnapshotReport
}

extension Scorer {
    /// Measures the bundle's `target` model on `store`: rows at each cutoff built exactly as in training
    /// (features from events before the cutoff, the label from the horizon after it, the bundle's feature
    /// schema and Markov chain), scored by the model.
    ///
    /// - Throws: ``ScoringError`` when the bundle has no such model; `FeatureError` for a cutoff whose
    ///   horizon passes the end of the log, no rows, or attributes lacking a declared column;
    ///   `EvaluationError` when the rows have one class only.
    public func evaluate(
        _ target: ModelTarget, on store: EventStore, attributes: CustomerAttributes?, cutoffs: [Int64], threads: Int = systemCoreCount()
    ) throws -> ModelEvaluationReport {
        let model: LogisticModel
        let label: LabelDefinition
        switch target {
        case .churn:
            guard let m = models.churn, let section = models.configuration.churn else { throw ScoringError("the bundle has no churn model") }
            model = m
            label = .churn(
                horizon: microseconds(days: section.horizonDays), lookback: microseconds(days: section.lookbackDays),
                churnEvent: section.churnEvent)
        case .conversion:
            guard let m = models.conversion, let section = models.configuration.conversionModel else {
                throw ScoringError("the bundle has no conversion model")
            }
            model = m
            label = .conversion(horizon: microseconds(days: section.horizonDays))
        }
        let snapshot = try Snapshot.build(
            store: store, attributes: attributes ?? CustomerAttributes(customerCount: store.customerCount), schema: schema,
            cutoffs: cutoffs, label: label, threads: threads, external: BundleTrainer.markovExternal(table))
        guard !snapshot.rows.isEmpty else { throw ScoringError("no customer is a row at these cutoffs") }
        let x = try Matrix(rows: snapshot.rows.count, columns: snapshot.featureCount, columnMajor: snapshot.features)
        let scores = try model.probabilities(x)
        let evaluation = try BinaryEvaluation(scores: scores, labels: snapshot.labels.map { $0 == 1 })
        return ModelEvaluationReport(evaluation: evaluation, snapshot: snapshot.report)
    }
}
