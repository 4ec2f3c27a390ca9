/// The result of ``LogisticRegression/fit(_:labels:configuration:)``: the model and how the fit went.
public struct LogisticFit: Sendable {
    /// The fitted model.
    public let model: LogisticModel
    /// Iterations, convergence, separation and (for `l2Penalty == 0`) inference.
    public let report: LogisticFitReport
}

/// How a logistic regression fit went. Not converging and separation are reported here, not thrown.
public struct LogisticFitReport: Sendable, Codable, Equatable {
    /// Iterations taken: Newton steps, or L-BFGS/OWL-QN iterations (each with a line search).
    public let iterations: Int
    /// Whether `‖∇‖∞ ≤ tolerance` (for L1: the pseudo-gradient's) at the returned coefficients, without
    /// separation.
    public let converged: Bool
    /// `‖∇‖∞` of the objective at the returned coefficients; for an L1 term (`.owlqn`), the optimality
    /// violation `‖pseudo-gradient‖∞`.
    public let gradientNorm: Double
    /// The objective `-Σ wᵢ log-likelihoodᵢ + (λ/2)‖β‖²` at the returned coefficients.
    public let objective: Double
    /// The weighted log-likelihood `Σ wᵢ[yᵢ log pᵢ + (1 - yᵢ) log(1 - pᵢ)]` at the returned coefficients.
    public let logLikelihood: Double
    /// True when the fitted probabilities reach 0 or 1 (some `|ηᵢ| > 30`): the data are (quasi-)separated,
    /// the maximum-likelihood coefficients do not exist (they grow without bound) and the returned ones are
    /// only a point along a diverging path. Also raised when one class is absent with an unpenalized intercept.
    public let separationDetected: Bool
    /// Why ``separationDetected`` is set and what to do, or `nil`.
    public let separationMessage: String?
    /// The largest ridge `δ` added to the Hessian diagonal so its Cholesky factorization succeeds
    /// (0 when never needed). Non-zero means the Hessian was singular or nearly so: collinear or
    /// constant columns with `l2Penalty == 0`, or probabilities saturated at 0 or 1.
    public let hessianRidge: Double
    /// Human-readable notes: ridge fallbacks, stalled line searches, why inference is missing.
    public let notes: [String]
    /// Standard errors, z scores and p-values, only for `l2Penalty == 0` with a non-singular Hessian and
    /// no separation; `nil` otherwise (with a note saying why).
    public let inference: LogisticInference?
    /// The solver that ran: `.newton`, `.lbfgs`, or `.owlqn` (L-BFGS for an L1 term); never `.auto`.
    /// For `.owlqn`, ``gradientNorm`` is the optimality violation `‖pseudo-gradient‖∞` (0 exactly at a
    /// minimizer of the non-smooth objective), and ``objective`` includes the L1 term.
    public let solver: LogisticRegression.Solver

    init(
        iterations: Int, converged: Bool, gradientNorm: Double, objective: Double, logLikelihood: Double,
        separationDetected: Bool, separationMessage: String?, hessianRidge: Double, notes: [String],
        inference: LogisticInference?, solver: LogisticRegression.Solver
    ) {
        self.iterations = iterations
        self.converged = converged
        self.gradientNorm = gradientNorm
        self.objective = objective
        self.logLikelihood = logLikelihood
        self.separationDetected = separationDetected
        self.separationMessage = separationMessage
        self.hessianRidge = hessianRidge
        self.notes = notes
        self.inference = inference
        self.solver = solver
    }

    private enum CodingKeys: String, CodingKey {
        case iterations, converged, gradientNorm, objective, logLikelihood, separationDetected, separationMessage
        case hessianRidge, notes, inference, solver
    }

    /// Decodes a report; one written before ``solver`` existed decodes as `.newton` (the only solver then).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iterations = try c.decode(Int.self, forKey: .iterations)
        converged = try c.decode(Bool.self, forKey: .converged)
        gradientNorm = try c.decode(Double.self, forKey: .gradientNorm)
        objective = try c.decode(Double.self, forKey: .objective)
        logLikelihood = try c.decode(Double.self, forKey: .logLikelihood)
        separationDetected = try c.decode(Bool.self, forKey: .separationDetected)
        separationMessage = try c.decodeIfPresent(String.self, forKey: .separationMessage)
        hessianRidge = try c.decode(Double.self, forKey: .hessianRidge)
        notes = try c.decode([String].self, forKey: .notes)
        inference = try c.decodeIfPresent(LogisticInference.self, forKey: .inference)
        solver = try c.decodeIfPresent(LogisticRegression.Solver.self, forKey: .solver) ?? .newton
    }
}

/// Wald inference from the inverse Hessian (observed = expected information for the logit link), as
/// statsmodels' `Logit` reports: `se = √diag(H⁻¹)`, `z = β / se`, `p = 2Φ(−|z|)`.
public struct LogisticInference: Sendable, Codable, Equatable {
    /// One coefficient's estimate and its Wald statistics.
    public struct Coefficient: Sendable, Codable, Equatable {
        public let estimate: Double
        public let standardError: Double
        public let z: Double
        /// The two-sided p-value `2Φ(−|z|) = erfc(|z|/√2)`.
        public let pValue: Double
    }
    /// The intercept's statistics, or `nil` when fitted without an intercept.
    public let intercept: Coefficient?
    /// One entry per feature column, in column order.
    public let coefficients: [Coefficient]
}
