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
    /// Which algorithm minimizes the objective.
    public enum Solver: String, Sendable, Codable, CaseIterable {
        /// Newton when there is no L1 term and at most ``LogisticRegression/newtonWidthLimit`` features
        /// (binary only); L-BFGS (OWL-QN with an L1 term) otherwise.
        case auto
        /// Newton/IRLS: Hessian by BLAS `syrk`, step by LAPACK Cholesky. Binary, L2 only. O(n·d²) per step.
        case newton
        /// L-BFGS (10 correction pairs, Wolfe line search); with an L1 term this runs OWL-QN. O(n·d) per step.
        case lbfgs
        /// OWL-QN: L-BFGS on the pseudo-gradient, restricted to an orthant (Andrew and Gao, 2007), for L1
        /// terms. Forcing it without an L1 term is plain L-BFGS. Reported by fits that had an L1 term.
        case owlqn
    }

    /// How rows are weighted by class, on top of ``Configuration/sampleWeights``.
    public enum ClassWeight: String, Sendable, Codable, CaseIterable {
        /// scikit-learn's `class_weight='balanced'`: a row of class c gets weight `n / (K·n_c)`, where n is the
        /// number of rows, `n_c` the number of rows of class c (counted without sample weights, as
        /// scikit-learn does) and K the number of classes present; for binary labels `n / (2·n_c)`.
        case balanced
    }

    /// Features above this count make ``Solver/auto`` choose L-BFGS: Newton's O(d²) Hessian and O(d³)
    /// factorization stop paying for their few iterations.
    public static let newtonWidthLimit = 500

    /// Standard errors need `H⁻¹`; they are skipped (with a note) above this many parameters.
    static let inferenceLimit = 2000

    /// Hyper-parameters of ``LogisticRegression/fit(_:labels:configuration:)``. Every field has a default.
    ///
    /// The penalty is `λ·(r‖β‖₁ + (1 − r)/2·‖β‖²)` with `λ = l2Penalty` and `r = l1Ratio`, on the feature
    /// coefficients only. This is scikit-learn's `LogisticRegression(C=1/λ, l1_ratio=r)` objective
    /// `C Σ sᵢℓᵢ + r‖β‖₁ + (1 − r)/2‖β‖²` divided by `C`, so the coefficients are the same.
    public struct Configuration: Sendable, Codable, Equatable {
        /// `λ ≥ 0`, the penalty strength: with ``l1Ratio`` `r`, the penalty is `λ(r‖β‖₁ + (1 − r)/2‖β‖²)` on the
        /// feature coefficients (never the intercept); with the default `r = 0`, the L2 penalty `(λ/2)‖β‖²`.
        /// Default 1, which is scikit-learn's default `C = 1`; `λ = 1/C`. Use 0 for the unpenalized MLE.
        public var l2Penalty: Double
        /// Whether to fit an unpenalized intercept. Default true. The design matrix must not contain a
        /// column of ones when this is true (that column would be collinear with the intercept).
        public var fitIntercept: Bool
        /// Non-negative weights `wᵢ`, one per row, multiplying each row's loss; `nil` means all 1.
        /// An integer weight `k` is the same as repeating the row `k` times.
        public var sampleWeights: [Double]?
        /// Stop when `‖∇‖∞ ≤ tolerance` (for an L1 term, the pseudo-gradient's). Default 1e-10: the gradient
        /// is a sum over rows, so for a few thousand well-scaled rows this is near full double precision;
        /// raise it for millions of rows (about `n · 1e-13`).
        public var tolerance: Double
        /// The most Newton steps to take. Default 100; Newton usually needs fewer than 10.
        public var maxIterations: Int
        /// `r ∈ [0, 1]`, the elastic-net mix: the L1 share of the penalty (scikit-learn's `l1_ratio`).
        /// Default 0 (pure L2). Any `r > 0` with `l2Penalty > 0` needs L-BFGS (OWL-QN).
        public var l1Ratio: Double
        /// Class weights multiplying ``sampleWeights``; `nil` (default) weighs every class 1.
        public var classWeight: ClassWeight?
        /// The solver; default ``Solver/auto``.
        public var solver: Solver
        /// The most L-BFGS / OWL-QN iterations. Default 2000; a well-conditioned problem needs tens to hundreds.
        public var maxQuasiNewtonIterations: Int

        public init(
            l2Penalty: Double = 1, fitIntercept: Bool = true, sampleWeights: [Double]? = nil,
            tolerance: Double = 1e-10, maxIterations: Int = 100, l1Ratio: Double = 0,
            classWeight: ClassWeight? = nil, solver: Solver = .auto, maxQuasiNewtonIterations: Int = 2000
        ) {
            self.l2Penalty = l2Penalty
            self.fitIntercept = fitIntercept
            self.sampleWeights = sampleWeights
            self.tolerance = tolerance
            self.maxIterations = maxIterations
            self.l1Ratio = l1Ratio
            self.classWeight = classWeight
            self.solver = solver
            self.maxQuasiNewtonIterations = maxQuasiNewtonIterations
        }

        private enum CodingKeys: String, CodingKey {
            case l2Penalty, fitIntercept, sampleWeights, tolerance, maxIterations, l1Ratio, classWeight, solver
            case maxQuasiNewtonIterations
        }

        /// Decodes a configuration; fields missing from older JSON take their defaults.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Configuration()
            l2Penalty = try c.decodeIfPresent(Double.self, forKey: .l2Penalty) ?? defaults.l2Penalty
            fitIntercept = try c.decodeIfPresent(Bool.self, forKey: .fitIntercept) ?? defaults.fitIntercept
            sampleWeights = try c.decodeIfPresent([Double].self, forKey: .sampleWeights)
            tolerance = try c.decodeIfPresent(Double.self, forKey: .tolerance) ?? defaults.tolerance
            maxIterations = try c.decodeIfPresent(Int.self, forKey: .maxIterations) ?? defaults.maxIterations
            l1Ratio = try c.decodeIfPresent(Double.self, forKey: .l1Ratio) ?? defaults.l1Ratio
            classWeight = try c.decodeIfPresent(ClassWeight.self, forKey: .classWeight)
            solver = try c.decodeIfPresent(Solver.self, forKey: .solver) ?? defaults.solver
            maxQuasiNewtonIterations =
                try c.decodeIfPresent(Int.self, forKey: .maxQuasiNewtonIterations) ?? defaults.maxQuasiNewtonIterations
        }

        /// The L1 coefficient `λr` and the L2 coefficient `λ(1 − r)` of the objective.
        var penalties: (l1: Double, l2: Double) {
            (l2Penalty * l1Ratio, l2Penalty * (1 - l1Ratio))
        }
    }

    /// Fits binary logistic regression with an L2 or elastic-net penalty, by Newton's method (IRLS) or by
    /// L-BFGS / OWL-QN (see ``Configuration/solver``).
    ///
    /// Minimizes, over the intercept `β₀` and coefficients `β`,
    /// `-Σ wᵢ [yᵢ log pᵢ + (1 - yᵢ) log(1 - pᵢ)] + λ(r‖β‖₁ + (1 − r)/2‖β‖²)` with `pᵢ = σ(β₀ + xᵢᵀβ)`,
    /// `λ = l2Penalty`, `r = l1Ratio` and the intercept unpenalized; `wᵢ` is the sample weight times the class
    /// weight. With `r = 0` this is exactly scikit-learn's `LogisticRegression(C=1/λ)`, whose objective is
    /// `(1/(2C))‖β‖² + Σ sᵢ ℓᵢ` (equivalently `C Σ sᵢ ℓᵢ + ½‖β‖²`); with `r > 0` it is
    /// `LogisticRegression(C=1/λ, l1_ratio=r)` (`C Σ sᵢℓᵢ + r‖β‖₁ + (1−r)/2‖β‖²`, divided by `C`); `λ = 0` is
    /// the unpenalized maximum-likelihood fit of statsmodels' `Logit` (scikit-learn's `C=inf`).
    ///
    /// **Newton** (``Solver/auto`` picks it without an L1 term and for at most ``newtonWidthLimit``
    /// features): each step computes the gradient `Xᵀ(w∘(p − y)) + λβ` with `gemv`, and the Hessian
    /// `XᵀWX + λI` (`W = diag(wᵢpᵢ(1 − pᵢ))`, no `λ` on the intercept) by scaling blocks of rows of `X` by
    /// `√(wᵢpᵢ(1−pᵢ))` into an 8 MB buffer, one `syrk` per block (`X` is never copied); the step is solved
    /// by `Cholesky`. If the Hessian is not positive definite or its reciprocal condition estimate is below
    /// 1e-13 (collinear or constant columns with `λ = 0`, or probabilities saturated at 0 or 1), a ridge
    /// `δI` is added, starting at `δ = 1e-10·max diag(H)` and growing ×10 until the factorization succeeds;
    /// this changes only the step, not the objective, and is reported in ``LogisticFitReport/hessianRidge``
    /// and its notes. The step is halved until the objective does not increase. The log-likelihood uses
    /// `log(1 + e^t) = max(t, 0) + log1p(e^−|t|)`.
    ///
    /// **L-BFGS** (wide problems): 10 correction pairs and a Wolfe line search, O(n·d) per iteration.
    /// **OWL-QN** (any L1 term): L-BFGS on the pseudo-gradient within an orthant; ``LogisticFitReport/gradientNorm``
    /// is then the optimality violation `‖pseudo-gradient‖∞`, zero exactly at the minimizer.
    ///
    /// Perfect or quasi-perfect separation (with `λ = 0`, or one class absent with an intercept) makes the
    /// coefficients grow without bound; the fit stops and sets ``LogisticFitReport/separationDetected``.
    /// For `λ = 0` the report also holds Wald standard errors, z scores and p-values from the inverse
    /// Hessian (as statsmodels' `Logit(y, add_constant(X)).fit()`), whichever solver ran.
    ///
    /// - Parameters:
    ///   - x: n×d design matrix, one row per observation, without an intercept column.
    ///   - labels: n outcomes, each 0 or 1.
    ///   - configuration: penalty, intercept, weights, solver and stopping rule; see ``Configuration``.
    /// - Returns: the model and a report; not converging is reported, not thrown.
    /// - Throws: ``LogisticError``: `.dimensionMismatch` if `labels` or `sampleWeights` do not have n
    ///   elements; `.invalidLabel` for a label other than 0 or 1; `.notFinite` for NaN or ±∞ in `x`;
    ///   `.invalidConfiguration` for a negative penalty or weight, a non-positive tolerance, `l1Ratio`
    ///   outside [0, 1], or `solver: .newton` with an L1 term; `.numericalFailure` if even a large ridge
    ///   cannot make the Hessian factorizable.
    /// - Complexity: Newton O(iterations · (n·d² + d³)); L-BFGS O(iterations · n·d). Memory: `X` plus a few
    ///   vectors of length n and the d×d Hessian.
    public static func fit(
        _ x: Matrix, labels: [Double], configuration: Configuration = .init()
    ) throws -> LogisticFit {
        try profiledFit(x, labels: labels, configuration: configuration).fit
    }

    /// ``fit(_:labels:configuration:)``, also returning the seconds spent building Hessians and their count
    /// (both 0 for L-BFGS), for `waypoint train logistic --timings`.
    package static func profiledFit(
        _ x: Matrix, labels: [Double], configuration: Configuration
    ) throws -> (fit: LogisticFit, hessianSeconds: Double, hessianBuilds: Int) {
        try validate(x, labels: labels, configuration: configuration)
        let classes = labels.map { $0 == 1 ? 1 : 0 }
        let weights = effectiveWeights(classes: classes, classCount: 2, configuration: configuration)
        let (l1, l2) = configuration.penalties
        let objective = BinaryLogisticObjective(
            x: x, labels: labels, weights: weights, l2: l2, fitIntercept: configuration.fitIntercept)
        var newton = NewtonSolver(objective, configuration: configuration)
        let solver = resolvedSolver(configuration, width: x.columns, multinomial: false)
        if solver == .newton {
            let fit = try newton.run()
            return (fit, newton.hessianSeconds, newton.hessianBuilds)
        }
        let result = try QuasiNewton(
            objective, l1: l1, tolerance: configuration.tolerance,
            maxIterations: configuration.maxQuasiNewtonIterations
        ).run(from: [Double](repeating: 0, count: objective.dimension))
        newton.notes = result.notes
        let fit = try newton.finish(
            beta: result.point, iterations: result.iterations, optimality: result.optimality, solver: solver, l1: l1,
            allowNewtonCheck: x.columns <= newtonWidthLimit
                && Double(x.rows) * Double(objective.dimension * objective.dimension) <= 1e9)
        return (fit, newton.hessianSeconds, newton.hessianBuilds)
    }

    /// The solver that runs for `configuration`: never `.auto`, `.owlqn` exactly when there is an L1 term.
    static func resolvedSolver(_ configuration: Configuration, width: Int, multinomial: Bool) -> Solver {
        let hasL1 = configuration.penalties.l1 > 0
        switch configuration.solver {
        case .newton: return .newton
        case .lbfgs, .owlqn: return hasL1 ? .owlqn : .lbfgs
        case .auto:
            if hasL1 { return .owlqn }
            return !multinomial && width <= newtonWidthLimit ? .newton : .lbfgs
        }
    }

    /// Sample weights (or 1) times the class weights.
    static func effectiveWeights(classes: [Int], classCount: Int, configuration: Configuration) -> [Double] {
        var weights = configuration.sampleWeights ?? [Double](repeating: 1, count: classes.count)
        if configuration.classWeight == .balanced {
            var counts = [Int](repeating: 0, count: classCount)
            for c in classes { counts[c] += 1 }
            let present = Double(counts.count(where: { $0 > 0 }))
            let n = Double(classes.count)
            for i in weights.indices {
                weights[i] *= n / (present * Double(counts[classes[i]]))
            }
        }
        return weights
    }

    typealias Problem = (LogisticError.Code, String, LogisticError.Position?)

    /// Checks shapes, labels, finiteness and configuration, reporting every problem at once.
    static func validate(_ x: Matrix, labels: [Double], configuration c: Configuration) throws {
        var problems: [Problem] = []
        if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            let count = labels.count(where: { $0 != 0 && $0 != 1 })
            problems.append((.invalidLabel,
                "labels[\(i)] is \(labels[i]); labels must be 0 or 1 (\(count) invalid in all)", .init(row: i)))
        }
        try validate(x, labelCount: labels.count, labelName: "labels", configuration: c, multinomial: false,
            extra: problems)
    }

    /// The checks shared by binary and multinomial fits; `extra` are label problems found by the caller.
    static func validate(
        _ x: Matrix, labelCount: Int, labelName: String, configuration c: Configuration, multinomial: Bool,
        extra: [Problem]
    ) throws {
        var problems: [Problem] = []
        let n = x.rows
        if labelCount != n {
            problems.append((.dimensionMismatch, "\(labelName) has \(labelCount) elements but x has \(n) rows", nil))
        }
        if !(c.l1Ratio >= 0 && c.l1Ratio <= 1) {
            problems.append((.invalidConfiguration, "l1Ratio must be in [0, 1], got \(c.l1Ratio)", nil))
        }
        if c.maxQuasiNewtonIterations < 0 {
            problems.append((.invalidConfiguration,
                "maxQuasiNewtonIterations must be ≥ 0, got \(c.maxQuasiNewtonIterations)", nil))
        }
        if c.solver == .newton && c.l1Ratio > 0 && c.l2Penalty > 0 {
            problems.append((.invalidConfiguration,
                "solver newton cannot fit an L1 term (l1Ratio \(c.l1Ratio)); use solver lbfgs or auto", nil))
        }
        if c.solver == .newton && multinomial {
            problems.append((.invalidConfiguration,
                "solver newton fits binary models only; use solver lbfgs or auto for multinomial", nil))
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
        problems += extra
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
