#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Metrics of scores against binary outcomes, with optional sample weights.
///
/// Built once from `scores`, `labels` and optional `weights`, which it sorts and collapses into groups
/// of tied scores; every metric is then read from those groups, so ties are handled exactly and row
/// order does not matter (up to floating-point summation order inside a tie).
///
/// ```swift
/// let eval = try BinaryEvaluation(scores: [0.8, 0.2, 0.8], labels: [true, false, false])
/// eval.rocAUC                 // 0.75
/// eval.prAUC                  // 0.5
/// try eval.logLoss()          // needs scores in [0, 1]
/// eval.calibration()          // deciles by predicted probability
/// eval.lift()                 // deciles by score, highest first
/// ```
///
/// A weight `w` counts a row as `w` rows: integer weights give exactly the metrics of the replicated
/// rows. Scikit-learn's names for each metric are in the module documentation.
public struct BinaryEvaluation: Sendable {
    /// Rows that share one score.
    struct Group: Sendable {
        var score: Double
        /// Rows with a weight above 0.
        var count: Int
        var positiveWeight: Double
        var negativeWeight: Double
        var weight: Double { positiveWeight + negativeWeight }
    }

    /// Tied-score groups in ascending score order.
    let groups: [Group]

    /// Number of rows, including those with weight 0.
    public let count: Int
    /// Total weight of rows with a positive (`true`) label; the number of positives when unweighted.
    public let positiveWeight: Double
    /// Total weight of rows with a negative (`false`) label; the number of negatives when unweighted.
    public let negativeWeight: Double

    /// Total weight of all rows.
    public var totalWeight: Double { positiveWeight + negativeWeight }

    /// Area under the ROC curve: the probability that a random positive scores above a random
    /// negative, ties counting one half (the Mann–Whitney statistic divided by `P·N`).
    ///
    /// `Σ_g P_g (N_below(g) + N_g / 2) / (P · N)` over tied groups `g`, with `P_g`, `N_g` the positive
    /// and negative weight in the group; equal to the trapezoid under the ROC curve drawn through
    /// distinct thresholds. Nil when either class has zero weight.
    public let rocAUC: Double?

    /// Area under the precision–recall curve as average precision (scikit-learn's
    /// `average_precision_score`): `Σ_n (R_n − R_{n−1}) P_n` over distinct thresholds from the highest
    /// score down, with tied scores entering together. Nil when positives have zero weight; 1 when
    /// there are no negatives.
    public let prAUC: Double?

    /// Validates the inputs and sorts them by score.
    ///
    /// - Parameters:
    ///   - scores: one finite score per row; higher means "more likely positive". Log-loss and the
    ///     Brier score also need them in [0, 1].
    ///   - labels: the outcome of each row.
    ///   - weights: optional finite, non-negative weight per row, not all zero; nil weighs every row 1.
    /// - Throws: `EvaluationError` (`.emptyInput`, `.lengthMismatch`, `.invalidScore`,
    ///   `.invalidWeight`, `.zeroTotalWeight`), listing every problem found.
    /// - Complexity: O(n log n).
    public init(scores: [Double], labels: [Bool], weights: [Double]? = nil) throws {
        try Self.validate(scores: scores, labels: labels, weights: weights)
        let order = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var groups: [Group] = []
        var positive = 0.0
        var negative = 0.0
        for i in order {
            let w = weights?[i] ?? 1
            if groups.isEmpty || groups[groups.count - 1].score != scores[i] {
                groups.append(Group(score: scores[i], count: 0, positiveWeight: 0, negativeWeight: 0))
            }
            if w > 0 { groups[groups.count - 1].count += 1 }
            if labels[i] {
                groups[groups.count - 1].positiveWeight += w
            } else {
                groups[groups.count - 1].negativeWeight += w
            }
        }
        for g in groups {
            positive += g.positiveWeight
            negative += g.negativeWeight
        }
        self.groups = groups
        self.count = scores.count
        self.positiveWeight = positive
        self.negativeWeight = negative
        self.rocAUC = Self.rocAUC(groups, positive: positive, negative: negative)
        self.prAUC = Self.averagePrecision(groups, positive: positive)
    }

    private static func validate(scores: [Double], labels: [Bool], weights: [Double]?) throws {
        var problems: [(EvaluationError.Code, String, Int?)] = []
        if scores.isEmpty && labels.isEmpty && (weights?.isEmpty ?? true) {
            throw EvaluationError(.emptyInput, "no rows: pass at least one score and label")
        }
        if scores.count != labels.count || (weights.map { $0.count != scores.count } ?? false) {
            let w = weights.map { ", \($0.count) weights" } ?? ""
            problems.append((.lengthMismatch,
                "got \(scores.count) scores, \(labels.count) labels\(w); pass one of each per row", nil))
        }
        let badScores = scores.indices.filter { !scores[$0].isFinite }
        if let first = badScores.first {
            problems.append((.invalidScore,
                "\(badScores.count) score(s) are NaN or infinite, first at row \(first) (\(scores[first])); "
                    + "drop or impute those rows", first))
        }
        if let weights {
            let badWeights = weights.indices.filter { !(weights[$0] >= 0) || !weights[$0].isFinite }
            if let first = badWeights.first {
                problems.append((.invalidWeight,
                    "\(badWeights.count) weight(s) are negative, NaN or infinite, first at row \(first) "
                        + "(\(weights[first])); weights must be finite and >= 0", first))
            } else if !weights.isEmpty && weights.allSatisfy({ $0 == 0 }) {
                problems.append((.zeroTotalWeight, "every weight is 0; give some rows a positive weight", nil))
            }
        }
        if let (code, _, index) = problems.first {
            throw EvaluationError(code, problems.map(\.1).joined(separator: "; "), index: index)
        }
    }

    private static func rocAUC(_ groups: [Group], positive: Double, negative: Double) -> Double? {
        guard positive > 0, negative > 0 else { return nil }
        var below = 0.0
        var area = 0.0
        for g in groups {
            area += g.positiveWeight * (below + g.negativeWeight / 2)
            below += g.negativeWeight
        }
        return area / positive / negative
    }

    private static func averagePrecision(_ groups: [Group], positive: Double) -> Double? {
        guard positive > 0 else { return nil }
        var truePositives = 0.0
        var falsePositives = 0.0
        var sum = 0.0
        for g in groups.reversed() {
            truePositives += g.positiveWeight
            falsePositives += g.negativeWeight
            if g.positiveWeight > 0 {
                sum += (g.positiveWeight / positive) * (truePositives / (truePositives + falsePositives))
            }
        }
        return sum
    }

    private func requireProbabilities(for metric: String) throws {
        if let bad = groups.first(where: { !(0...1).contains($0.score) }) {
            throw EvaluationError(.notProbability,
                "\(metric) needs probabilities in [0, 1], got score \(bad.score); "
                    + "pass predicted probabilities, not raw scores")
        }
    }

    /// Mean negative log-likelihood (natural log), weighted by row weights.
    ///
    /// `−Σ wᵢ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] / Σ wᵢ`, each `pᵢ` first clipped to `[ε, 1 − ε]` so
    /// that a confident wrong answer costs `−log ε` instead of infinity.
    ///
    /// - Parameter epsilon: the clipping bound; the default, `Double.ulpOfOne` (≈ 2.2e-16), is what
    ///   scikit-learn's `log_loss` uses since 1.5. Pass `1e-15` for older scikit-learn.
    /// - Throws: `EvaluationError` `.notProbability` if a score is outside [0, 1].
    /// - Complexity: O(number of distinct scores).
    public func logLoss(epsilon: Double = .ulpOfOne) throws -> Double {
        try requireProbabilities(for: "log-loss")
        var sum = 0.0
        for g in groups {
            let p = min(max(g.score, epsilon), 1 - epsilon)
            if g.positiveWeight > 0 { sum -= g.positiveWeight * log(p) }
            if g.negativeWeight > 0 { sum -= g.negativeWeight * log(1 - p) }
        }
        return sum / totalWeight
    }

    /// Brier score: the weighted mean squared difference between probability and outcome,
    /// `Σ wᵢ (pᵢ − yᵢ)² / Σ wᵢ` (scikit-learn's `brier_score_loss`). 0 is perfect.
    ///
    /// - Throws: `EvaluationError` `.notProbability` if a score is outside [0, 1].
    /// - Complexity: O(number of distinct scores).
    public func brierScore() throws -> Double {
        try requireProbabilities(for: "Brier score")
        var sum = 0.0
        for g in groups {
            sum += g.positiveWeight * (1 - g.score) * (1 - g.score) + g.negativeWeight * g.score * g.score
        }
        return sum / totalWeight
    }

    /// Assigns each tied group to one of `bins` bins of (nearly) equal weight, walking the groups in
    /// ascending or descending score order. A group goes wholly to the bin holding the midpoint of its
    /// cumulative weight, so ties are never split. Rows of weight 0 are skipped.
    private func binned(_ bins: Int, descending: Bool) -> [[Group]] {
        precondition(bins >= 1, "bins must be >= 1, got \(bins)")
        var result = [[Group]](repeating: [], count: bins)
        let total = totalWeight
        var before = 0.0
        for g in descending ? Array(groups.reversed()) : groups where g.weight > 0 {
            let midpoint = before + g.weight / 2
            let bin = min(bins - 1, Int((midpoint * Double(bins) / total).rounded(.down)))
            result[bin].append(g)
            before += g.weight
        }
        return result
    }

    /// Reliability diagram data: rows cut into `bins` bins of equal weight by predicted probability,
    /// lowest first, each with its mean prediction and observed positive rate.
    ///
    /// With no ties and no weights, bin `k` holds the rows of ascending rank `i` with
    /// `⌊(i + ½) · bins / n⌋ = k`, so counts differ by at most one. **Ties are never split**: all rows
    /// sharing a score go to the bin holding the midpoint of their cumulative weight, so bins can be
    /// uneven or empty when many scores tie. Rows of weight 0 are ignored, as if absent, and empty
    /// bins are left out, as scikit-learn's `calibration_curve` leaves them out. Its
    /// `strategy="quantile"` cuts at interpolated percentiles instead: the same bins when all scores
    /// differ and `n` is a multiple of `bins`, different ones with ties.
    ///
    /// - Parameter bins: how many bins to cut into (default 10, deciles).
    /// - Precondition: `bins >= 1`.
    /// - Complexity: O(number of distinct scores + bins).
    public func calibration(bins: Int = 10) -> [CalibrationBin] {
        binned(bins, descending: false).compactMap { members -> CalibrationBin? in
            let weight = members.reduce(0.0) { $0 + $1.weight }
            guard weight > 0, let first = members.first, let last = members.last else { return nil }
            let positives = members.reduce(0.0) { $0 + $1.positiveWeight }
            let predicted = members.reduce(0.0) { $0 + $1.weight * $1.score }
            return CalibrationBin(
                lowestScore: first.score, highestScore: last.score,
                count: members.reduce(0) { $0 + $1.count }, weight: weight,
                meanPredicted: predicted / weight, observedRate: positives / weight)
        }
    }

    /// Lift (gains) table: rows cut into `bins` bins of equal weight by score, **highest first**.
    ///
    /// For each bin: rows, weight, positives, the cumulative share of all positives captured so far
    /// (gains), and lift = positive rate in the bin / overall positive rate. Bins are cut as in
    /// ``calibration(bins:)`` but from the top score down: ties are never split, rows of weight 0 are
    /// ignored, as if absent, and empty bins are left out.
    ///
    /// - Parameter bins: how many bins to cut into (default 10, deciles).
    /// - Returns: the bins, or nil when positives have zero weight (lift is then undefined).
    /// - Precondition: `bins >= 1`.
    /// - Complexity: O(number of distinct scores + bins).
    public func lift(bins: Int = 10) -> [LiftBin]? {
        guard positiveWeight > 0 else { return nil }
        let overallRate = positiveWeight / totalWeight
        var capturedPositives = 0.0
        return binned(bins, descending: true).compactMap { members -> LiftBin? in
            let weight = members.reduce(0.0) { $0 + $1.weight }
            guard weight > 0, let first = members.first, let last = members.last else { return nil }
            let positives = members.reduce(0.0) { $0 + $1.positiveWeight }
            capturedPositives += positives
            return LiftBin(
                highestScore: first.score, lowestScore: last.score,
                count: members.reduce(0) { $0 + $1.count }, weight: weight, positives: positives,
                gains: capturedPositives / positiveWeight, lift: positives / weight / overallRate)
        }
    }
}

/// One bin of ``BinaryEvaluation/calibration(bins:)``.
public struct CalibrationBin: Sendable, Hashable {
    /// Lowest score in the bin.
    public var lowestScore: Double
    /// Highest score in the bin.
    public var highestScore: Double
    /// Number of rows in the bin (rows of weight 0 are not in any bin).
    public var count: Int
    /// Total weight of the rows in the bin (equal to `count` when unweighted).
    public var weight: Double
    /// Weighted mean of the predicted probabilities in the bin.
    public var meanPredicted: Double
    /// Weighted share of positive outcomes in the bin.
    public var observedRate: Double
}

/// One bin of ``BinaryEvaluation/lift(bins:)``, ordered from the highest scores down.
public struct LiftBin: Sendable, Hashable {
    /// Highest score in the bin.
    public var highestScore: Double
    /// Lowest score in the bin.
    public var lowestScore: Double
    /// Number of rows in the bin (rows of weight 0 are not in any bin).
    public var count: Int
    /// Total weight of the rows in the bin (equal to `count` when unweighted).
    public var weight: Double
    /// Weight of positive rows in the bin (their number when unweighted).
    public var positives: Double
    /// Share of all positives in this bin and the bins above it: the cumulative gains curve.
    public var gains: Double
    /// Positive rate in the bin divided by the overall positive rate; 1 means no better than random.
    public var lift: Double
}
