import Foundation
import Linalg

/// Binary logistic regression with an L2 penalty, fitted by Newton's method (IRLS).
///
/// ```swift
/// let fit = try LogisticRegression.fit(features, labels: churned, configuration: .init(l2Penalty: 1))
/// fit.model.probability(row)   // P(y = 1)
/// fit.report.converged         // not converging is reported, not thrown
/// ```
public enum LogisticRegression {
    /// Hyper-parameters of ``LogisticRegression/fit(_:labels:configuration:)``. Every field has a default.
    public struct Configuration: Sendable, Codable, Equatable {
        /// `λ ≥ 0`, the L2 penalty `(λ/2)‖β‖²` on the feature coefficients (never the intercept).
        /// Default 1, which is scikit-learn's default `C = 1`; `λ = 1/C`. Use 0 for the unpenalized MLE.
        public var l2Penalty: Double
        /// Whether to fit an unpenalized intercept. Default true. The design matrix must not contain a
        /// column of ones when this is true (that column would be collinear with the intercept).
        public var fitIntercept: Bool
        /// Non-negative weights `wᵢ`, one per row, multiplying each row's loss; `nil` means all 1.
        /// An integer weight `k` is the same as repeating the row `k` times.
        public var sampleWeights: [Double]?
        /// Stop when `‖∇‖∞ ≤ tolerance`. Default 1e-10: the gradient is a sum over rows, so for a few
        /// thousand well-scaled rows this is near full double precision; raise it for millions of rows.
        public var tolerance: Double
        /// The most Newton steps to take. Default 100; Newton usually needs fewer than 10.
        public var maxIterations: Int

        public init(
            l2Penalty: Double = 1, fitIntercept: Bool = true, sampleWeights: [Double]? = nil,
            tolerance: Double = 1e-10, maxIterations: Int = 100
        ) {
            self.l2Penalty = l2Penalty
            self.fitIntercept = fitIntercept
            self.sampleWeights = sampleWeights
            self.tolerance = tolerance
            self.maxIterations = maxIterations
        }
    }

    /// Fits L2-regularized binary logistic regression by Newton's method (IRLS) with step halving.
    ///
    /// Minimizes, over the intercept `β₀` and coefficients `β`,
    /// `-Σ wᵢ [yᵢ log pᵢ + (1 - yᵢ) log(1 - pᵢ)] + (λ/2)‖β‖²` with `pᵢ = σ(β₀ + xᵢᵀβ)` and the intercept
    /// unpenalized. This is exactly scikit-learn's `LogisticRegression(C: 1/λ)` (default `l2` penalty),
    /// whose objective is `(1/(2C))‖β‖² + Σ sᵢ ℓᵢ` (equivalently `C Σ sᵢ ℓᵢ + ½‖β‖²`); `λ = 0` is the
    /// unpenalized maximum-likelihood fit of statsmodels' `Logit` (scikit-learn's `penalty=None`).
    ///
    /// Each step computes the gradient `Xᵀ(w∘(p − y)) + λβ` with `gemv`, and the Hessian `XᵀWX + λI`
    /// (`W = diag(wᵢpᵢ(1 − pᵢ))`, no `λ` on the intercept) by scaling the rows of `X` by `√(wᵢpᵢ(1−pᵢ))`
    /// and one `syrk`; the step is solved by `Cholesky`. If the Hessian is not positive definite or its
    /// reciprocal condition estimate is below 1e-13 (collinear or constant columns with `λ = 0`, or
    /// probabilities saturated at 0 or 1), a ridge `δI` is added, starting at `δ = 1e-10·max diag(H)` and
    /// growing ×10 until the factorization succeeds; this changes only the step, not the objective, and is
    /// reported in ``LogisticFitReport/hessianRidge`` and its notes. The step is halved until the
    /// objective does not increase. The log-likelihood uses `log(1 + e^t) = max(t, 0) + log1p(e^−|t|)`.
    ///
    /// Perfect or quasi-perfect separation (with `λ = 0`, or one class absent with an intercept) makes the
    /// coefficients grow without bound; the fit stops and sets ``LogisticFitReport/separationDetected``.
    /// For `λ = 0` the report also holds Wald standard errors, z scores and p-values from the inverse
    /// Hessian (as statsmodels' `Logit(y, add_constant(X)).fit()`).
    ///
    /// - Parameters:
    ///   - x: n×d design matrix, one row per observation, without an intercept column.
    ///   - labels: n outcomes, each 0 or 1.
    ///   - configuration: penalty, intercept, weights and stopping rule; see ``Configuration``.
    /// - Returns: the model and a report; not converging is reported, not thrown.
    /// - Throws: ``LogisticError``: `.dimensionMismatch` if `labels` or `sampleWeights` do not have n
    ///   elements; `.invalidLabel` for a label other than 0 or 1; `.notFinite` for NaN or ±∞ in `x`;
    ///   `.invalidConfiguration` for a negative penalty or weight, or a non-positive tolerance;
    ///   `.numericalFailure` if even a large ridge cannot make the Hessian factorizable.
    /// - Complexity: O(iterations · (n·d² + d³)).
    public static func fit(
        _ x: Matrix, labels: [Double], configuration: Configuration = .init()
    ) throws -> LogisticFit {
        try validate(x, labels: labels, configuration: configuration)
        var solver = NewtonSolver(x, labels: labels, configuration: configuration)
        return try solver.run()
    }

    /// Checks shapes, labels, finiteness and configuration, reporting every problem at once.
    static func validate(_ x: Matrix, labels: [Double], configuration c: Configuration) throws {
        var problems: [(LogisticError.Code, String, LogisticError.Position?)] = []
        let n = x.rows
        if labels.count != n {
            problems.append((.dimensionMismatch, "labels has \(labels.count) elements but x has \(n) rows", nil))
        }
        if let weights = c.sampleWeights {
            if weights.count != n {
                problems.append(
                    (.dimensionMismatch, "sampleWeights has \(weights.count) elements but x has \(n) rows", nil))
            }
            if let i = weights.firstIndex(where: { !$0.isFinite }) {
                problems.append((.notFinite, "sampleWeights[\(i)] is \(weights[i]); weights must be finite",
                    .init(row: i)))
            } else if let i = weights.firstIndex(where: { $0 < 0 }) {
                problems.append((.invalidConfiguration, "sampleWeights[\(i)] is \(weights[i]); weights must be ≥ 0",
                    .init(row: i)))
            } else if weights.count == n && n > 0 && weights.allSatisfy({ $0 == 0 }) {
                problems.append((.invalidConfiguration, "every sample weight is 0; at least one must be > 0", nil))
            }
        }
        if !(c.l2Penalty >= 0 && c.l2Penalty.isFinite) {
            problems.append((.invalidConfiguration, "l2Penalty must be finite and ≥ 0, got \(c.l2Penalty)", nil))
        }
        if !(c.tolerance > 0 && c.tolerance.isFinite) {
            problems.append((.invalidConfiguration, "tolerance must be finite and > 0, got \(c.tolerance)", nil))
        }
        if c.maxIterations < 0 {
            problems.append((.invalidConfiguration, "maxIterations must be ≥ 0, got \(c.maxIterations)", nil))
        }
        if n == 0 {
            problems.append((.dimensionMismatch, "x has no rows; logistic regression needs at least one", nil))
        }
        if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            let count = labels.count(where: { $0 != 0 && $0 != 1 })
            problems.append((.invalidLabel,
                "labels[\(i)] is \(labels[i]); labels must be 0 or 1 (\(count) invalid in all)", .init(row: i)))
        }
        if let index = x.columnMajor.firstIndex(where: { !$0.isFinite }) {
            let (i, j) = (index % n, index / n)
            problems.append((.notFinite,
                "x[\(i), \(j)] is \(x.columnMajor[index]); features must be finite, so impute or drop missing "
                    + "values first", .init(row: i, column: j)))
        }
        guard let first = problems.first else { return }
        throw LogisticError(
            first.0, problems.map(\.1).joined(separator: "; "),
            position: first.2 ?? problems.lazy.compactMap(\.2).first)
    }
}
