import Foundation
import Linalg

/// The state of one Newton/IRLS fit on a ``BinaryLogisticObjective``. Coordinates `0..<d` are the feature
/// coefficients (penalized), coordinate `d` the intercept when fitted (unpenalized).
struct NewtonSolver {
    /// Reciprocal condition estimates below this make the Hessian "singular" and trigger the ridge.
    static let rcondFloor = 1e-13
    /// `|ηᵢ|` above this means `pᵢ` is within 1e-13 of 0 or 1.
    static let saturatedEta = 30.0

    let objective: BinaryLogisticObjective
    let configuration: LogisticRegression.Configuration
    var notes: [String] = []
    var largestRidge = 0.0
    /// Wall-clock seconds spent building Hessians, and how many were built (for `waypoint train --timings`).
    var hessianSeconds = 0.0
    var hessianBuilds = 0

    init(_ objective: BinaryLogisticObjective, configuration: LogisticRegression.Configuration) {
        self.objective = objective
        self.configuration = configuration
    }

    var d: Int { objective.d }
    var k: Int { objective.dimension }
    var lambda: Double { objective.l2 }
    var labels: [Double] { objective.labels }
    var weights: [Double] { objective.weights }

    func evaluate(_ beta: [Double]) throws -> (eta: [Double], objective: Double, logLikelihood: Double) {
        try objective.evaluate(beta)
    }

    func gradient(_ beta: [Double], eta: [Double]) throws -> [Double] {
        try objective.gradient(beta, eta: eta)
    }

    mutating func hessian(eta: [Double], penalized: Bool = true) throws -> Matrix {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            hessianSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            hessianBuilds += 1
        }
        return try objective.hessian(eta: eta, penalized: penalized)
    }

    /// Solves `H·s = g`, adding a growing ridge when `H` is not (numerically) positive definite.
    mutating func solve(_ h: Matrix, _ g: [Double], iteration: Int) throws -> [Double] {
        if let s = try? attempt(h, g) {
            return s
        }
        var scale = 0.0
        for j in 0..<k {
            scale = max(scale, abs(h[j, j]))
        }
        if !(scale > 0 && scale.isFinite) { scale = 1 }
        var delta = 1e-10 * scale
        var lastError: (any Error)?
        for _ in 0..<16 {
            var ridged = h
            for j in 0..<k {
                ridged[j, j] += delta
            }
            do {
                if let s = try attempt(ridged, g) {
                    if delta > largestRidge {
                        largestRidge = delta
                    }
                    if notes.count < 20 {
                        notes.append(
                            "iteration \(iteration): the Hessian is singular or nearly so (collinear or constant "
                                + "columns, or saturated probabilities); added a ridge of \(delta) to its diagonal")
                    }
                    return s
                }
            } catch {
                lastError = error
            }
            delta *= 10
        }
        throw LogisticError(
            .numericalFailure,
            "iteration \(iteration): the Hessian could not be factored even with a ridge of \(delta / 10); "
                + "check the features for extreme scales or raise l2Penalty",
            cause: lastError)
    }

    /// The Cholesky solution of `H·s = g`, or `nil` if `H` is not positive definite or too ill-conditioned.
    private func attempt(_ h: Matrix, _ g: [Double]) throws -> [Double]? {
        guard let cholesky = try factor(h), cholesky.reciprocalConditionNumber() >= Self.rcondFloor else { return nil }
        return try cholesky.solve(g)
    }

    mutating func run() throws -> LogisticFit {
        let beta = [Double](repeating: 0, count: k)
        return try run(from: beta)
    }

    mutating func run(from start: [Double]) throws -> LogisticFit {
        var beta = start
        var (eta, objective, _) = try evaluate(beta)
        var g = try gradient(beta, eta: eta)
        var iterations = 0
        var flatSteps = 0
        while maxNorm(g) > configuration.tolerance && iterations < configuration.maxIterations {
            let h = try hessian(eta: eta)
            let step = try solve(h, g, iteration: iterations)
            // Step halving: accept the first t = 1, ½, ¼, … with a non-increasing objective. Near the optimum
            // the objective changes by less than its rounding (|ΔF| ~ ‖∇‖²/‖H‖), so a full step whose objective
            // is within rounding of the current one is also accepted when it shrinks the gradient.
            var t = 1.0
            var accepted: (beta: [Double], eta: [Double], objective: Double, gradient: [Double]?)?
            let noise = 1e-13 * (1 + abs(objective))
            for _ in 0..<60 {
                var candidate = beta
                for j in 0..<k {
                    candidate[j] -= t * step[j]
                }
                let trial = try evaluate(candidate)
                if trial.objective.isFinite && trial.objective <= objective {
                    accepted = (candidate, trial.eta, trial.objective, nil)
                    break
                }
                if t == 1 && trial.objective.isFinite && trial.objective <= objective + noise {
                    let trialGradient = try gradient(candidate, eta: trial.eta)
                    if maxNorm(trialGradient) < maxNorm(g) {
                        accepted = (candidate, trial.eta, trial.objective, trialGradient)
                        break
                    }
                }
                t *= 0.5
            }
            guard let next = accepted else {
                notes.append(
                    "iteration \(iterations): step halving found no point with a lower objective; stopped at "
                        + "‖∇‖∞ = \(maxNorm(g)) (the tolerance may be below what double precision allows)")
                break
            }
            iterations += 1
            let previousNorm = maxNorm(g)
            let decreased = next.objective < objective
            (beta, eta, objective) = (next.beta, next.eta, next.objective)
            g = try next.gradient ?? gradient(beta, eta: eta)
            flatSteps = decreased || maxNorm(g) < previousNorm ? 0 : flatSteps + 1
            if flatSteps >= 3 {
                notes.append(
                    "iteration \(iterations): the objective stopped decreasing; stopped at ‖∇‖∞ = \(maxNorm(g))")
                break
            }
        }
        return try finish(
            beta: beta, iterations: iterations, optimality: maxNorm(g), solver: .newton, l1: 0, allowNewtonCheck: true)
    }

    /// Checks separation, computes inference for unpenalized fits and assembles the fit. Shared by every
    /// binary solver: `optimality` is `‖∇‖∞` (or the pseudo-gradient's for L1), `l1` the L1 coefficient.
    mutating func finish(
        beta: [Double], iterations: Int, optimality gradientNorm: Double, solver: LogisticRegression.Solver,
        l1: Double, allowNewtonCheck: Bool
    ) throws -> LogisticFit {
        let (eta, smooth, logLikelihood) = try evaluate(beta)
        var objective = smooth
        if l1 > 0 {
            objective += l1 * beta[0..<d].reduce(0) { $0 + abs($1) }
        }
        var maxEta = 0.0
        for i in eta.indices where weights[i] != 0 {
            maxEta = max(maxEta, abs(eta[i]))
        }

        // Separation: probabilities saturated and Newton still taking O(1) steps (the minimizer is at infinity).
        var separated = maxEta > Self.saturatedEta
        // With a penalty and both classes present the minimizer is finite: only unpenalized fits (or one class
        // absent, whose unpenalized intercept diverges) need the Newton-step test.
        let bothClasses = labels.contains(0) && labels.contains(1)
        if !separated && maxEta > 10 && allowNewtonCheck && l1 == 0 && (lambda == 0 || !bothClasses) {
            let g = try gradient(beta, eta: eta)
            let step = try solve(try hessian(eta: eta), g, iteration: iterations)
            separated = maxNorm(step) > 1e-4 * (1 + maxNorm(beta))
        }
        var separationMessage: String?
        if separated {
            let w = weights
            let saturated = eta.indices.count(where: { w[$0] != 0 && abs(eta[$0]) > 15 })
            separationMessage =
                "\(saturated) of \(eta.count) fitted probabilities are numerically 0 or 1 (max |η| = \(maxEta)): "
                + "the data are perfectly or quasi-perfectly separated"
                + (Set(labels).count < 2 ? " (only one class is present)" : "")
                + ", so the coefficients diverge and the returned ones are not a maximum-likelihood estimate; "
                + (lambda == 0 && l1 == 0 ? "set l2Penalty > 0" : "the intercept is unpenalized, so check the labels")
                + " or remove the separating features"
        }

        var inference: LogisticInference?
        if lambda == 0 && l1 == 0 && !separated {
            if k <= LogisticRegression.inferenceLimit {
                inference = try makeInference(beta, eta: eta)
            } else {
                notes.append(
                    "no standard errors: \(k) parameters is above \(LogisticRegression.inferenceLimit), too many "
                        + "to invert the Hessian")
            }
        }
        let report = LogisticFitReport(
            iterations: iterations,
            converged: gradientNorm <= configuration.tolerance && !separated,
            gradientNorm: gradientNorm,
            objective: objective,
            logLikelihood: logLikelihood,
            separationDetected: separated,
            separationMessage: separationMessage,
            hessianRidge: largestRidge,
            notes: notes,
            inference: inference,
            solver: solver)
        let model = LogisticModel(
            intercept: configuration.fitIntercept ? beta[d] : 0, coefficients: Array(beta[0..<d]))
        return LogisticFit(model: model, report: report)
    }

    /// Wald statistics from `H⁻¹` at the unpenalized optimum, or `nil` (with a note) if `H` is singular.
    private mutating func makeInference(_ beta: [Double], eta: [Double]) throws -> LogisticInference? {
        let h = try hessian(eta: eta, penalized: false)
        guard let cholesky = try factor(h) else {
            notes.append("no standard errors: the Hessian is singular (collinear or constant columns)")
            return nil
        }
        guard cholesky.reciprocalConditionNumber() >= Self.rcondFloor else {
            notes.append(
                "no standard errors: the Hessian is nearly singular (reciprocal condition "
                    + "\(cholesky.reciprocalConditionNumber())); remove collinear or constant columns")
            return nil
        }
        let inverse = try cholesky.solve(Matrix.identity(k))
        let stats = (0..<k).map { j -> LogisticInference.Coefficient in
            let se = inverse[j, j].squareRoot()
            let z = beta[j] / se
            return .init(estimate: beta[j], standardError: se, z: z, pValue: erfc(abs(z) / 2.0.squareRoot()))
        }
        return LogisticInference(
            intercept: configuration.fitIntercept ? stats[d] : nil, coefficients: Array(stats[0..<d]))
    }
}

/// The Cholesky factorization of `h`, or `nil` if it is not positive definite.
private func factor(_ h: Matrix) throws -> Cholesky? {
    do {
        return try Cholesky(h)
    } catch {
        if error.code == .notPositiveDefinite { return nil }
        throw error
    }
}

func maxNorm(_ v: [Double]) -> Double {
    v.reduce(0) { max($0, abs($1)) }
}
